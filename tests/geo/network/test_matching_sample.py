"""Map matching of the sample footage's GPS (drive1.gpx, 1 Hz, 2–3 m correlated noise)
on its hand-made network, checked against the true pose of each video frame.

Measured 2026-11-29: 146/146 fixes matched, 0 breaks, every fix on the true segment;
matched-vs-true position error median 1.8 m, p95 2.8 m, max 3.6 m (raw GPS: 1.7 / 3.8 m).
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.crs import xy_from_lonlat
from geo.network.roads import load_network


@pytest.fixture(scope="module")
def sample(repo_root):
    d = repo_root / "sample_footage"
    assert (d / "network.geojson").is_file() and (d / "drive1.gpx").is_file(), "sample missing"
    return d


def test_drive1_on_true_segments(sample):
    import av
    import pandas as pd

    from geo.ingest.gps import read_track
    from geo.network.matching import match_track, snap_points_to_network

    net = load_network(sample / "network.geojson")
    track = read_track(sample / "drive1.gpx")
    r = match_track(net, track)
    assert r.n_matched == r.n_fixes == len(track) and r.n_breaks == 0
    # true position at each fix time, from the frame poses (video t0 = container creation_time)
    with av.open(str(sample / "drive1.mp4")) as c:
        t0 = pd.Timestamp(c.metadata["creation_time"]).tz_convert(None).to_datetime64()
    f = pd.read_csv(sample / "drive1_frames.csv")
    ft = t0 + (f["video_time_s"].to_numpy() * 1e9).astype("timedelta64[ns]")
    i = np.clip(np.searchsorted(ft, track.time), 0, len(f) - 1)
    tx, ty = xy_from_lonlat(f["lon"].to_numpy()[i], f["lat"].to_numpy()[i], "EPSG:27700")
    truth = snap_points_to_network(net, tx, ty)
    assert np.mean(truth.segment_id == r.segment_id) >= 0.98
    err = np.hypot(r.matched_x - tx, r.matched_y - ty)
    assert np.percentile(err, 95) < 4.0
