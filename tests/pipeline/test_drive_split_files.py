"""A drive gives the same defects whether it comes as one file or cut into several.

The sample drive is cut with a stream copy at keyframes (``sample_footage/split.py``:
pixel-identical frames, a GPX slice per piece). ``roadcam process`` with the shipped
detector must find the same defects (within 1 m) with the same number of sightings
from the whole file and from its four pieces. And one long file shared between two
worker processes in time chunks gives exactly the single-process result.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest
from sample_oracle import SAMPLE, metres

from pipeline.cli import main
from roadcam.settings import PROJECT_ROOT
from sample_footage.split import split_drive

WEIGHTS = PROJECT_ROOT / "detector" / "weights" / "roadcam.onnx"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WEIGHTS.is_file(), reason="no committed weights"),
]


def _defects(folder: Path, tmp: Path) -> list[tuple]:
    from store.defects import defect_lonlat, list_defects
    from store.engine import make_engine, session_scope

    db = f"sqlite:///{tmp / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    args = ["process", str(folder), "--vehicle", "RCV-01", "--database", db]
    assert main([*args, "--frames-dir", str(tmp / "frames")]) == 0
    engine = make_engine(db)
    with session_scope(engine) as s:
        found = [(d.class_name, *defect_lonlat(d), d.sightings) for d in list_defects(s, limit=None)]  # fmt: skip
    engine.dispose()
    return sorted(found)


def test_a_drive_cut_into_files_gives_the_same_defects(tmp_path: Path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir()
    for name in ("drive1.mp4", "drive1.gpx", "camera.yaml"):
        shutil.copy(SAMPLE / name, whole / name)
    pieces = split_drive(SAMPLE / "drive1.mp4", SAMPLE / "drive1.gpx", parts, every_s=40.0)
    assert len(pieces) == 4
    shutil.copy(SAMPLE / "camera.yaml", parts / "camera.yaml")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = _defects(whole, tmp_path / "a")
    many = _defects(parts, tmp_path / "b")
    assert len(one) >= 15  # the shipped model finds ~22 on drive1
    assert len(many) == len(one)
    for cls, lon, lat, sightings in one:
        near = [d for d in many if d[0] == cls and metres(lon, lat, d[1], d[2]) <= 1.0]
        assert len(near) == 1, f"{cls} at {lon:.6f},{lat:.6f}: {len(near)} within 1 m"
        assert near[0][3] == sightings


def _frame_key(f):
    return (f.source, f.frame_index, round(f.lon, 9), round(f.lat, 9))


def _observations(result):
    return [(o.frame_index, o.class_name, round(o.lon, 7), round(o.lat, 7)) for o in result.observations]  # fmt: skip


def test_one_file_in_time_chunks_on_two_workers_equals_one_process():
    from pipeline.compute import ComputeOptions
    from pipeline.discover import discover_footage
    from pipeline.runner import compute_all

    items = discover_footage([SAMPLE / "drive2.mp4"], vehicle_id="RCV-01")
    options = ComputeOptions(weights_path=WEIGHTS)
    (single,) = list(compute_all(items, options, workers=1))
    (chunked,) = list(compute_all(items, options, workers=2))
    assert single.ok and chunked.ok
    assert [_frame_key(f) for f in chunked.frames] == [_frame_key(f) for f in single.frames]
    assert len(single.frames) > 40
    assert _observations(chunked) == _observations(single)
    assert chunked.stats["frames"] == single.stats["frames"]
    assert np.isclose(chunked.stats["sampled_distance_m"], single.stats["sampled_distance_m"])


def test_planning_joins_consecutive_files_and_keeps_other_days_apart(tmp_path: Path):
    from pipeline.compute import ComputeOptions
    from pipeline.discover import FootageItem, discover_footage
    from pipeline.drives import plan_group

    options = ComputeOptions()
    days = discover_footage([SAMPLE / "drive1.mp4", SAMPLE / "drive2.mp4"], vehicle_id="RCV-01")
    assert [len(d.items) for d in plan_group(days, options)] == [1, 1]  # 14 days apart
    pieces = split_drive(SAMPLE / "drive2.mp4", SAMPLE / "drive2.gpx", tmp_path, every_s=10.0)
    whole_item = FootageItem("video", SAMPLE / "drive2.mp4", SAMPLE / "drive2.gpx", "RCV-01")
    (whole,) = plan_group([whole_item], options)  # the same GPS source as the pieces
    (cut,) = plan_group(discover_footage(pieces, vehicle_id="RCV-01"), options)
    assert len(cut.items) == len(pieces) >= 3 and not cut.errors
    # one distance grid over the pieces: the same frame times as the whole file
    starts = [(p.video_start - whole.plans[0].video_start).total_seconds() for p in cut.plans]
    times = np.concatenate([p.times_s + s for p, s in zip(cut.plans, starts, strict=True)])
    assert np.allclose(times, whole.plans[0].times_s, atol=1e-3)
