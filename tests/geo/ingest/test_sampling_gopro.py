"""sample_frames end to end on a real GoPro clip with embedded GPS (walking, ~12 m)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geo.ingest.gps import read_track
from geo.ingest.sampling import SamplingStats, sample_frames


def test_gopro_max_every_5m(shared_data):
    video = shared_data / "gopro_gpmf_samples" / "samples" / "max-heromode.mp4"
    stats = SamplingStats()
    frames = list(sample_frames(video, read_track(video), spacing_m=5.0, stats=stats))
    assert stats.time_sync == "gpmf" and stats.video_start == "2019-11-18T23:45:14+00:00"
    assert stats.distance_m == pytest.approx(11.966, abs=0.01)
    assert [f.frame_index for f in frames] == [0, 155, 266]
    assert [round(f.distance_m, 1) for f in frames] == [0.0, 5.0, 10.0]
    assert frames[0].time == datetime(2019, 11, 18, 23, 45, 14, tzinfo=UTC)
    assert (frames[0].lon, frames[0].lat) == pytest.approx((-117.3273436, 33.12677), abs=1e-7)
    assert all(f.usable and f.quality.fix_quality == 2 for f in frames)
    assert (
        stats.converted == 3 and stats.seeks == 1
    )  # the 5 s walk to the next 5 m is skipped by a seek
