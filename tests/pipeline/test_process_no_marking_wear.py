"""`roadcam process --no-marking-wear`: a batch that measures no paint stores no wear runs and
leaves everything else as it was (the sample's drive 1, detector off to keep it quick)."""

import json

import pytest
from sample_oracle import SAMPLE

from pipeline.cli import main

pytestmark = pytest.mark.slow


def _process(tmp_path, name, extra, capsys):
    db = f"sqlite:///{tmp_path / (name + '.sqlite')}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    capsys.readouterr()
    args = ["process", str(SAMPLE / "drive1.mp4"), "--database", db, "--no-detect", "--json"]
    assert main([*args, "--frames-dir", str(tmp_path / f"{name}_frames"), *extra]) == 0
    (survey,) = json.loads(capsys.readouterr().out)["surveys"]
    return survey


def test_no_marking_wear_stores_no_runs_and_changes_nothing_else(tmp_path, capsys):
    with_wear = _process(tmp_path, "wear", [], capsys)
    without = _process(tmp_path, "none", ["--no-marking-wear"], capsys)
    assert with_wear["marking_runs"] > 0
    assert without["marking_runs"] == 0
    for key in ("frames", "usable_frames", "observations", "defects_new", "decoded_frames"):
        assert without.get(key) == with_wear.get(key), key
