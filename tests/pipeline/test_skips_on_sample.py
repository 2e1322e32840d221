"""On the sample drive, with the shipped detector: the unpermitted-skip list holds the real
unpermitted skip and no parked car.

Before the evidence rule the list held 4 skips, 3 of them parked cars seen once at
confidence 0.29-0.38. The rule (policy ``evidence.min_sightings`` = 2) was chosen on
rendered validation scenes, never on this drive (bench/results/skips_validation.json).
The sample register (sample_footage/permits.csv) licenses Gordon Road (S01) by address;
Livingstone Road's licence (S02) ended a month earlier.
"""

import json
from pathlib import Path

import pytest
from reviewing import confirm_all_findings
from sample_oracle import SAMPLE, distance_to_truth_m, ground_truth

from pipeline.cli import main
from roadcam.settings import PROJECT_ROOT

WEIGHTS = PROJECT_ROOT / "detector" / "weights" / "roadcam.onnx"
pytestmark = [pytest.mark.slow]


def test_unpermitted_skips_on_the_sample_are_the_real_one(tmp_path: Path, capsys):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    args = ["process", str(SAMPLE / "drive1.mp4"), "--database", db]
    assert main([*args, "--frames-dir", str(tmp_path / "frames")]) == 0
    assert main(["skips", "import-permits", str(SAMPLE / "permits.csv"), "--database", db]) == 0
    # the worst case for the machine's own rule: an engineer who confirms every proposed skip
    confirm_all_findings(db, "skip")
    capsys.readouterr()
    assert main(["skips", "check", "--database", db, "--all", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["skips"]
    truth = {
        f["properties"]["id"]: f
        for f in ground_truth("drive1")
        if f["properties"]["class"] == "skip"
    }

    def nearest(r):
        return min(truth, key=lambda k: distance_to_truth_m(r["lon"], r["lat"], truth[k]))

    for r in rows:  # every listed skip is a rendered skip, none a parked car
        assert distance_to_truth_m(r["lon"], r["lat"], truth[nearest(r)]) < 3.0, r
    states = {nearest(r): r["permit_state"] for r in rows}
    assert states == {"S01": "permitted", "S02": "unlicensed"}
    (s02,) = [r for r in rows if nearest(r) == "S02"]
    assert s02["street"] == "Livingstone Road" and len(s02["evidence_frames"]) >= 2
    assert s02["charge"]["total_gbp"] == 197.5
