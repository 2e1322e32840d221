"""Which clock wins: offset, GoPro GPS, BlackVue side-car clock, camera, GPS."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo.ingest.gps import find_sidecar, read_track
from geo.ingest.timesync import sync_video_to_track
from geo.ingest.track_clean import track_from_fixes
from geo.ingest.video import VideoInfo, encode_video, parse_creation_time, probe_video
from roadcam.errors import TimeSyncError

UTC = UTC
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def _info(created: datetime | None, duration_s: float = 60.0, name: str = "clip.mp4") -> VideoInfo:
    return VideoInfo(path=name, width=320, height=240, fps=30.0, duration_s=duration_s,
                     frame_count=int(duration_s * 30), codec="h264", creation_time=created)  # fmt: skip


def _track(start: datetime, seconds: int = 120):
    times = np.array(
        [
            np.datetime64((start + timedelta(seconds=s)).replace(tzinfo=None), "ns")
            for s in range(seconds)
        ]
    )
    return track_from_fixes(times, 0.53 + np.arange(seconds) * 1e-4, np.full(seconds, 51.39))


def test_creation_time_is_the_start_not_start_plus_duration():
    # a 60 s clip whose creation_time is 10:00:30 starts at 10:00:30 (not 09:59:30, PR #832's bug)
    sync = sync_video_to_track(_info(T0 + timedelta(seconds=30)), _track(T0))
    assert sync.method == "camera" and sync.video_start == T0 + timedelta(seconds=30)
    assert sync.correction_s == 0.0 and sync.overlap_s == 60.0


def test_partial_overlap_is_kept():
    sync = sync_video_to_track(_info(T0 + timedelta(seconds=100)), _track(T0, 120))
    assert sync.overlap_s == pytest.approx(19.0)


def test_camera_within_a_day_but_no_overlap_errors():
    with pytest.raises(
        TimeSyncError, match=r"^clip\.mp4: footage 2024-05-01 13:00:00 UTC .* does not overlap"
    ):
        sync_video_to_track(_info(T0 + timedelta(hours=3)), _track(T0))


def test_offset_overrides_and_rescues():
    # the camera clock runs 3 h - 10 s ahead of GPS: --time-offset 10790
    sync = sync_video_to_track(
        _info(T0 + timedelta(hours=3)), _track(T0), time_offset_s=3 * 3600 - 10
    )
    assert sync.method == "offset" and sync.video_start == T0 + timedelta(seconds=10)
    assert sync.correction_s == -3 * 3600 + 10


def test_offset_without_camera_clock_counts_from_track_start():
    sync = sync_video_to_track(_info(None), _track(T0), time_offset_s=-5)
    assert sync.video_start == T0 + timedelta(seconds=5) and sync.camera_start is None


@pytest.mark.parametrize(
    "created", [datetime(2000, 1, 1, tzinfo=UTC), T0 + timedelta(days=1, seconds=1), None]
)
def test_gps_wins_over_reset_or_missing_clock(created):
    sync = sync_video_to_track(_info(created), _track(T0))
    assert sync.method == "gps" and sync.video_start == T0


def test_unset_creation_time_is_none():
    assert parse_creation_time("1904-01-01T00:00:00.000000Z") is None
    assert parse_creation_time("1970-01-01 00:00:00") is None
    assert parse_creation_time("2024-05-01T10:00:00.000000Z") == T0
    assert parse_creation_time("2024-05-01T12:00:00+02:00") == T0


def test_gopro_embedded_gps_beats_camera_clock(shared_data):
    f = shared_data / "gopro_gpmf_samples" / "samples" / "max-heromode.mp4"
    info = probe_video(f)
    # the GoPro wrote its local (UTC-8) clock as if it were UTC
    assert info.creation_time == datetime(2019, 11, 18, 15, 45, 32, tzinfo=UTC)
    assert info.frame_count == 315 and info.duration_s == pytest.approx(10.5105, abs=1e-3)
    sync = sync_video_to_track(info, read_track(f))
    assert sync.method == "gpmf" and sync.video_start == datetime(
        2019, 11, 18, 23, 45, 14, tzinfo=UTC
    )
    assert sync.correction_s == pytest.approx(8 * 3600 - 18)


def test_blackvue_sidecar_clock(shared_data, tmp_path):
    """A BlackVue front video with no creation_time next to its real .gps side-car."""
    src = shared_data / "blackvue_dashcam_minsk_nmea" / "examples" / "20170708_221449_N.gps"
    car = tmp_path / src.name
    os.symlink(src, car)  # a link in tmp, the data stays in shared/
    vid = encode_video(tmp_path / "20170708_221449_NF.mp4", (np.full((48, 64, 3), 90, np.uint8) for _ in range(60)),
                       fps=30, preset="ultrafast")  # fmt: skip
    assert find_sidecar(vid) == car
    track = read_track(vid)  # the video itself has no GPS: read_track uses the side-car
    assert len(track) == 46
    sync = sync_video_to_track(vid, track)
    # name 22:14:49 on the camera clock, which runs 3 h (UTC+3) ahead of GPS -> 19:14:49 UTC
    assert sync.method == "sidecar-clock"
    assert sync.video_start == datetime(2017, 7, 8, 19, 14, 49, tzinfo=UTC)


def test_sidecar_zone_not_applied_to_utc_creation_time(shared_data, tmp_path):
    """A camera that logs local time in the side-car but writes UTC creation_time keeps its UTC start."""
    src = shared_data / "blackvue_dashcam_minsk_nmea" / "examples" / "20170708_221449_N.gps"
    os.symlink(src, tmp_path / src.name)
    vid = encode_video(tmp_path / "20170708_221449_N.mp4", (np.full((48, 64, 3), 90, np.uint8) for _ in range(60)),
                       fps=30, preset="ultrafast", creation_time=datetime(2017, 7, 8, 19, 14, 55, tzinfo=UTC))  # fmt: skip
    sync = sync_video_to_track(vid, read_track(vid))
    assert sync.method == "camera" and sync.video_start == datetime(
        2017, 7, 8, 19, 14, 55, tzinfo=UTC
    )
