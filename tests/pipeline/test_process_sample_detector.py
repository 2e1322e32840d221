"""`roadcam process sample_footage/drive1.mp4` with the shipped detector (no stand-in).

The shipped model was trained on real photos only (docs/model.md); on the rendered
sample it finds most potholes and no markings or skips (no real training data for
them yet). What it does find must be where the truth is: every defect within 3 m
of a rendered defect, on that defect's road, and no rendered defect reported twice.
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
        near = min(truth, key=lambda f: metres(lon, lat, *f["geometry"]["coordinates"]))
        assert metres(lon, lat, *near["geometry"]["coordinates"]) <= 3.0, f"{cls} defect far from any rendered defect"
        assert source == near["properties"]["source_id"], f"{cls} near {near['properties']['id']} on the wrong road"
        hits[near["properties"]["id"]] += 1
    assert all(n == 1 for n in hits.values()), f"rendered defects reported twice: {hits}"
    potholes_found = sum(1 for k in hits if k.startswith("P"))
    assert potholes_found >= 5, f"only {potholes_found} of 9 potholes found"
