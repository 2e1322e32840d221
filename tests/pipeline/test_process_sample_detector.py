"""`roadcam process sample_footage/drive1.mp4` with the shipped detector (no stand-in).

The shipped model (docs/model.md: real photos, then a fine-tune with rendered frames
that are never the sample's own) finds most of the sample's potholes and its skips.
What it reports must mostly be where the truth is: at least 70 % of its defects (measured: 12 of 16) within
3 m of a rendered defect of the same class, on that defect's road; no rendered defect
reported twice.
"""

from collections import Counter
from pathlib import Path

import pytest
from sample_oracle import SAMPLE, ground_truth, metres

from pipeline.cli import main
from roadcam.settings import PROJECT_ROOT

WEIGHTS = PROJECT_ROOT / "detector" / "weights" / "roadcam.onnx"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not WEIGHTS.is_file(), reason="no committed weights")]


def test_shipped_detector_on_the_sample_drive(tmp_path: Path):
    from store.defects import defect_lonlat, list_defects
    from store.engine import make_engine, session_scope
    from store.segments import list_segments

    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    assert main(["process", str(SAMPLE / "drive1.mp4"), "--database", db, "--frames-dir", str(tmp_path / "frames")]) == 0
    engine = make_engine(db)
    with session_scope(engine) as s:
        source_of = {seg.id: seg.source_id for seg in list_segments(s)}
        defects = [(d.class_name, *defect_lonlat(d), source_of.get(d.segment_id)) for d in list_defects(s, limit=None)]
    engine.dispose()
    truth = ground_truth("drive1")
    hits = Counter()
    for cls, lon, lat, source in defects:
        same = [f for f in truth if f["properties"]["class"] == cls]
        near = min(same, key=lambda f: metres(lon, lat, *f["geometry"]["coordinates"]), default=None)
        if near is None or metres(lon, lat, *near["geometry"]["coordinates"]) > 3.0:
            continue  # a false positive
        assert source == near["properties"]["source_id"], f"{cls} near {near['properties']['id']} on the wrong road"
        hits[near["properties"]["id"]] += 1
    assert all(n == 1 for n in hits.values()), f"rendered defects reported twice: {hits}"
    assert sum(hits.values()) >= 0.7 * len(defects), f"{len(defects) - sum(hits.values())} of {len(defects)} defects are false"
    assert sum(1 for k in hits if k.startswith("P")) >= 6, f"potholes found: {sorted(k for k in hits if k[0] == 'P')}"
    assert {"S01", "S02"} <= set(hits), "both skips should be found"
