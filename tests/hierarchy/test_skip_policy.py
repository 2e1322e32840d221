"""The skip-charging policy file and the charge it gives."""

from pathlib import Path

import pytest
import yaml

from hierarchy.skip_policy import (
    DEFAULT_SKIP_POLICY_PATH,
    charge_for_skip,
    csv_row,
    load_skip_policy,
)
from roadcam.errors import ConfigError, InputNotFoundError


def _finding(state, days=1, overstay=0, ref=None):
    return {
        "permit_state": state,
        "days_on_highway": days,
        "overstay_days": overstay,
        "permit_reference": ref,
    }


def test_shipped_policy_is_medway_with_a_source_for_every_number():
    p = load_skip_policy()
    assert (p.licence.fee_gbp.value, p.licence.period_days.value) == (65, 14)
    assert "medway.gov.uk" in p.licence.fee_gbp.source
    raw = yaml.safe_load(DEFAULT_SKIP_POLICY_PATH.read_text())
    for section in ("licence", "overstay", "unlicensed", "evidence"):
        for key, item in raw[section].items():
            assert set(item) == {"value", "source"} and item["source"].strip(), (section, key)


def test_charges_for_each_state():
    p = load_skip_policy()
    ok = charge_for_skip(_finding("permitted", ref="SK-1"), p)
    assert ok["total_gbp"] == 0 and ok["sources"] == {}
    # 20 days without a licence: 2 retrospective 14-day licences at 1.5 x £65, plus £100.
    unl = charge_for_skip(_finding("unlicensed", days=20), p)
    assert (unl["licence_fee_gbp"], unl["unlicensed_gbp"], unl["total_gbp"]) == (
        195.0,
        100.0,
        295.0,
    )
    assert "thurrock" in unl["sources"]["unlicensed_gbp"]
    assert "1000" in unl["basis"] and unl["overstay_gbp"] == 0
    # 3 days over: one renewal; 15 days over: two.
    assert (
        charge_for_skip(_finding("overstay", days=17, overstay=3, ref="SK-1"), p)["total_gbp"]
        == 65.0
    )
    over = charge_for_skip(_finding("overstay", days=29, overstay=15, ref="SK-1"), p)
    assert over["overstay_gbp"] == 130.0 and "SK-1" in over["basis"]
    row = csv_row({**_finding("unlicensed"), "evidence_frames": ["a.jpg", "b.jpg"], "charge": unl})
    assert row["evidence_frames"] == "a.jpg | b.jpg" and row["total_gbp"] == 295.0


def test_policy_refuses_unknown_and_missing_keys(tmp_path: Path):
    raw = yaml.safe_load(DEFAULT_SKIP_POLICY_PATH.read_text())
    raw["licence"]["fee_gbp"]["colour"] = "red"
    bad = tmp_path / "p.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="licence.fee_gbp.colour"):
        load_skip_policy(bad)
    del raw["licence"]["fee_gbp"]["colour"]
    del raw["licence"]["fee_gbp"]["source"]
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="source"):
        load_skip_policy(bad)
    with pytest.raises(InputNotFoundError):
        load_skip_policy(tmp_path / "none.yaml")
