"""The markings policy file and the re-lining programme built from wear runs."""

from __future__ import annotations

import pytest
import yaml

from hierarchy.relining import (
    load_markings_policy,
    programme_csv_rows,
    relining_programme,
    response_for,
)
from roadcam.errors import ConfigError


def run(seg, start, wear, kind="centre", marking_type="longitudinal", confirmed_by=None):
    return {
        "id": hash((seg, start)) % 1000,
        "segment_id": seg,
        "line_offset_m": 0.0,
        "line_kind": kind,
        "marking_type": marking_type,
        "start_m": start,
        "end_m": start + 10.0,
        "wear": wear,
        "frames": [["drive1.mp4", 12]],
        "confirmed_by": confirmed_by,
    }


def test_shipped_policy_has_a_source_for_every_number():
    policy = load_markings_policy()
    assert policy.wear_threshold.value == 0.3 and "Hampshire" in policy.wear_threshold.source
    assert policy.cost_per_m_gbp.value == 2.53 and "Wiltshire" in policy.cost_per_m_gbp.source
    assert policy.safety_marking_types.value == ("stop", "give_way")


def test_policy_refuses_unknown_and_missing_keys(tmp_path):
    raw = yaml.safe_load(load_markings_policy.__globals__["DEFAULT_MARKINGS_POLICY"].read_text())
    bad = tmp_path / "extra.yaml"
    bad.write_text(yaml.safe_dump({**raw, "surprise": {"value": 1, "source": "I: no"}}))
    with pytest.raises(ConfigError):
        load_markings_policy(bad)
    raw.pop("cycle_years")
    missing = tmp_path / "missing.yaml"
    missing.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError):
        load_markings_policy(missing)


def test_markings_are_planned_unless_the_policy_names_the_type():
    policy = load_markings_policy()
    assert response_for("longitudinal", policy) == {"response": "planned", "response_days": None}
    assert response_for("stop", policy)["response"] == "safety"


def test_programme_ranks_costs_and_compares_with_the_cycle():
    policy = load_markings_policy()
    runs = [
        run("a", 0, 0.1),  # sound: not in the programme
        run("a", 10, 0.5),
        run("b", 0, 0.9),
        run("c", 0, 0.4, marking_type="give_way", confirmed_by="J. Smith"),
    ]
    prog = relining_programme(runs, {"a": "3b", "b": "4b", "c": "4b"}, policy)
    assert [(r["segment_id"], r["rank"]) for r in prog["runs"]] == [("c", 1), ("a", 2), ("b", 3)]
    assert prog["runs"][0]["response"] == "safety" and prog["runs"][1]["response"] == "planned"
    t = prog["totals"]
    assert t["measured_line_km"] == 0.04 and t["programme_km"] == 0.03
    assert t["programme_gbp"] == pytest.approx(30 * 2.53)
    assert t["confirmed_km"] == 0.01
    assert t["cyclical_km_per_year"] == pytest.approx(0.04 / 5)
    assert t["saved_km"] == pytest.approx(0.008 - 0.03)
    rows = programme_csv_rows(prog)
    assert rows[0]["frames"] == "drive1.mp4#12" and rows[0]["cost_gbp"] == pytest.approx(25.3)
