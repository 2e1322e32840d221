"""A drive repeated as laps in one file (sample_footage/laps.py): packets copied, GPS shifted."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import av
import numpy as np

from geo.ingest.gps import read_track
from geo.ingest.video import probe_video
from sample_footage.laps import GAP_S, repeat_drive


def _frame_at(video, index: int) -> np.ndarray:
    with av.open(str(video)) as c:
        for k, frame in enumerate(c.decode(video=0)):
            if k == index:
                return frame.to_ndarray(format="gray")
    raise AssertionError(f"no frame {index}")


def test_repeated_drive_is_the_same_pixels_and_a_gps_gap_at_each_join(repo_root, tmp_path):
    src = tmp_path / "drive1"
    src.mkdir()
    for name in ("drive1.mp4", "drive1.gpx", "camera.yaml"):
        shutil.copyfile(repo_root / "sample_footage" / name, src / name)
    info = probe_video(src / "drive1.mp4")
    meta = {"name": "drive1", "video": "drive1.mp4", "gpx": "drive1.gpx",
            "frames": info.frame_count, "laps": 1.0, "collection_stops": 0, "distance_m": 1.0}  # fmt: skip
    out = repeat_drive(src, meta, 3)
    folder = tmp_path / "drive1_x3"
    assert json.loads((folder / "drive1_x3.json").read_text()) == out
    rep = probe_video(folder / "drive1_x3.mp4")
    assert rep.frame_count == 3 * info.frame_count
    assert abs(rep.duration_s - 3 * info.duration_s) < 0.1
    assert rep.creation_time == info.creation_time
    lap = info.frame_count
    np.testing.assert_array_equal(
        _frame_at(folder / "drive1_x3.mp4", lap + 40), _frame_at(src / "drive1.mp4", 40)
    )
    one = read_track(src / "drive1.gpx")
    three = read_track(folder / "drive1_x3.gpx")
    t = (three.time.astype("datetime64[ns]").astype(np.int64) - three.time[0].astype("datetime64[ns]").astype(np.int64)) / 1e9  # fmt: skip
    gaps = np.diff(t)
    assert (gaps > 2 * GAP_S - 1.01).sum() >= 2  # one gap of about 2 x GAP_S at each of the 2 joins
    assert len(three) < 3 * len(one)
    start = datetime.fromisoformat(str(info.creation_time))
    assert start.tzinfo is not None
