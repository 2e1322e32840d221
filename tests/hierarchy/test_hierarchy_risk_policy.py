"""Policy loading, defect risk scoring, condition and the risk-based frequency adjustment."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from hierarchy_testnet import hospital_network

from hierarchy.policy import DEFAULT_POLICY_PATH, load_policy
from hierarchy.review import review_hierarchy
from hierarchy.risk import add_working_days, condition_from_evidence, score_defect_risk
from roadcam.errors import ConfigError, InputNotFoundError


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_default_policy(policy):
    assert policy.codes == ("2", "3a", "3b", "4a", "4b", "minor", "lane")
    assert [policy.frequency_for(c) for c in ("2", "3a", "3b", "4a", "4b")] == [
        "monthly",
        "monthly",
        "monthly",
        "quarterly",
        "annual",
    ]
    assert policy.frequency_ladder == ("weekly", "monthly", "quarterly", "six_monthly", "annual")
    assert (
        policy.step("4b", -1) == "4a"
        and policy.step("2", -3) == "2"
        and policy.step("lane", 2) == "lane"
    )


def test_every_policy_default_cites_a_source():
    """Every line that sets a value (except names) carries a source comment (C ... or I ...)."""
    import re

    value_line = re.compile(r"^\s*(- )?[\w\"']+:\s*[^\s#]|^\s*- \{")
    for n, line in enumerate(DEFAULT_POLICY_PATH.read_text().splitlines(), 1):
        body = line.split("#")[0]
        if not value_line.match(body) or re.match(r"^\s*name:", body):
            continue
        comment = line.partition("#")[2]
        assert re.search(r"\b(C|I)\b|fixed seed|for hours|sampled|exact|bound", comment), (
            f"line {n} cites no source: {line}"
        )


def test_bad_policies(tmp_path):
    with pytest.raises(InputNotFoundError):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("frequencies: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_policy(bad)
    text = DEFAULT_POLICY_PATH.read_text().replace('    hospital: "4a"', '    hospital: "9x"')
    bad.write_text(text)
    with pytest.raises(ConfigError, match="unknown category '9x'"):
        load_policy(bad)


def test_policy_rejects_unknown_and_missing_keys(tmp_path):
    """A typo must not fall back to a built-in number: there are none."""
    bad = tmp_path / "bad.yaml"
    text = DEFAULT_POLICY_PATH.read_text()
    bad.write_text(text.replace("  junction_distance_m: 20", "  junction_distance: 20"))
    with pytest.raises(ConfigError, match="junction_distance"):
        load_policy(bad)
    bad.write_text(text.replace("  inspection_speed_kmh: 15", "  inspection_speed_kmh: -1"))
    with pytest.raises(ConfigError, match="resource.inspection_speed_kmh"):
        load_policy(bad)


def test_working_days():
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert add_working_days(friday, 2) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tuesday


def test_defect_risk(policy):
    seg = review_hierarchy(hospital_network(), None, policy)
    found = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday
    defects = pd.DataFrame(
        [
            # wide pothole on the A road (3a, 40 mph), in a wheel track, 10 m from the a1 junction
            {
                "id": 1,
                "class_name": "pothole",
                "segment_id": "A-2",
                "width_m": 0.35,
                "offset_m": 0.8,
                "chainage_m": 10.0,
                "first_seen": found,
            },
            # narrow pothole mid-segment on the A road, off the wheel tracks
            {
                "id": 2,
                "class_name": "pothole",
                "segment_id": "A-2",
                "width_m": 0.2,
                "offset_m": 0.0,
                "chainage_m": 100.0,
                "first_seen": found,
            },
            # crack on the quiet cul-de-sac (recommended minor)
            {
                "id": 3,
                "class_name": "crack",
                "segment_id": "close",
                "width_m": 0.5,
                "offset_m": 0.0,
                "chainage_m": 100.0,
                "first_seen": found,
            },
        ]
    )
    s = score_defect_risk(defects, seg, policy).set_index("id")
    # 1: impact 3 + 1 (>= 0.3 m) + 1 (40 mph) -> 4; probability 3 (3a) + 1 wheel track + 1 junction -> 4.
    assert (s.at[1, "impact"], s.at[1, "probability"], s.at[1, "risk"]) == (4, 4, 16)
    assert s.at[1, "risk_category"] == "emergency"
    assert s.at[1, "response_due"] == pd.Timestamp("2026-11-27T12:00:00Z")
    assert bool(s.at[1, "to_confirm"]) is True
    assert "confirm depth >= 40 mm" in s.at[1, "risk_reasons"]
    # 2: impact 3 + 1 (40 mph) = 4; probability 3 -> 12 = Cat 1, two working days (Friday -> Tuesday).
    assert (s.at[2, "risk"], s.at[2, "risk_category"]) == (12, "cat1")
    assert s.at[2, "response_due"] == pd.Timestamp("2026-12-01T10:00:00Z")
    assert bool(s.at[2, "to_confirm"]) is False
    # 3: crack impact 2 + 1 (0.5 m wide) = 3; probability 1 (minor) -> 3 = Cat 2 low: next (annual) inspection.
    assert (s.at[3, "risk"], s.at[3, "risk_category"]) == (3, "cat2_low")
    assert s.at[3, "response_due"] == found + pd.Timedelta(days=365)
    # Re-scored on the current category instead (4b, probability 1): same here; on a 4a road it doubles.
    seg2 = seg.copy()
    seg2.loc[seg2["segment_id"] == "close", "recommended_category"] = "4a"
    s2 = score_defect_risk(defects, seg2, policy).set_index("id")
    assert (s2.at[3, "risk"], s2.at[3, "risk_category"]) == (6, "cat2_medium")
    assert s2.at[3, "response_due"] == found + pd.Timedelta(days=28)


def test_condition_and_frequency_adjustment(policy):
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    # Windmill Road (0.2 km): 4 potholes and 2 cracks in 2026; 'short' none.
    rows = [
        {
            "segment_id": "hosp",
            "class_name": "pothole",
            "first_seen": t0 + pd.Timedelta(days=30 * k),
            "status": "open",
        }
        for k in range(4)
    ]
    rows += [
        {
            "segment_id": "hosp",
            "class_name": "crack",
            "first_seen": t0 + pd.Timedelta(days=200 + k),
            "status": "open",
        }
        for k in range(2)
    ]
    rows += [
        {
            "segment_id": "A-3",
            "class_name": "pothole",
            "first_seen": t0 + pd.Timedelta(days=300),
            "status": "repaired",
        }
    ]
    passes = pd.DataFrame(
        {
            "segment_id": ["hosp", "short", "A-3", "quiet-1"],
            "passes": [40, 40, 40, 0],
            "first_pass": [t0] * 4,
            "last_pass": [t0 + pd.Timedelta(days=304)] * 4,  # ~10 months
        }
    )
    r = review_hierarchy(
        hospital_network(), None, policy, defects=pd.DataFrame(rows), passes=passes
    ).set_index("segment_id")
    # hosp: weighted open (4 x 1.0 + 2 x 0.5) / 0.2 km = 25 per km -> condition 5;
    # 6 defects / 0.2 km / 9.99 months = 3.0 per km per month -> one step more often (annual -> six_monthly).
    assert r.at["hosp", "condition"] == 5
    assert r.at["hosp", "defects_per_km_month"] == pytest.approx(6 / 0.2 / (304 / 30.44), rel=1e-3)
    assert r.at["hosp", "recommended_frequency"] == "six_monthly"
    assert (
        "inspected six_monthly not annual: cameras saw 3.00 defects/km/month"
        in r.at["hosp", "reasons"]
    )
    # short: 40 passes over ~10 months, no defects -> condition 1; already annual (4b's least frequent).
    assert r.at["short", "condition"] == 1
    assert r.at["short", "recommended_frequency"] == "annual"
    # its only defect is repaired -> condition 1; but a defect did appear (0.5/km/month),
    # so it is neither fast (>= 1.0) nor stable (0): monthly stays.
    assert r.at["A-3", "condition"] == 1
    assert (
        r.at["A-3", "recommended_frequency"] == "monthly"
    )  # a defect appeared: not 'no new defects'
    # quiet-1: never passed -> no condition.
    assert pd.isna(r.at["quiet-1", "condition"])
    assert condition_from_evidence(1.5, True, policy) == 2
    assert condition_from_evidence(0.0, True, policy) == 1
    assert condition_from_evidence(11.0, True, policy) == 5
    assert condition_from_evidence(0.0, False, policy) is None


def test_stable_segment_inspected_less_often(policy):
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    passes = pd.DataFrame(
        {
            "segment_id": ["A-1"],
            "passes": [30],
            "first_pass": [t0],
            "last_pass": [t0 + pd.Timedelta(days=240)],
        }
    )
    defects = pd.DataFrame([{"segment_id": "hosp", "class_name": "crack", "first_seen": t0}])
    r = review_hierarchy(
        hospital_network(), None, policy, defects=defects, passes=passes
    ).set_index("segment_id")
    assert r.at["A-1", "recommended_frequency"] == "quarterly"
    assert (
        "inspected quarterly not monthly: stable, 30 camera passes in 8 months, no new defects"
        in r.at["A-1", "reasons"]
    )
