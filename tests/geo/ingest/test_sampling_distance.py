"""sample_frames on small videos and GPX tracks made here: spacing, gaps, stops, offsets, bad input."""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from geo.crs import bearing_deg
from geo.ingest.gps import read_track
from geo.ingest.gpx import write_gpx
from geo.ingest.sampling import SamplingStats, TrackKinematics, sample_frames, sample_images
from geo.ingest.track_clean import track_from_fixes
from geo.ingest.video import encode_video
from roadcam.errors import CorruptInputError, TimeSyncError

UTC = UTC
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
LON0, LAT0 = 0.53, 51.39  # Gillingham, Medway


def _east(x_m: float) -> tuple[float, float]:
    """lon/lat ``x_m`` grid metres east of the start (EPSG:27700, the sampler's metric CRS)."""
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    inv = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    e, n = fwd.transform(LON0, LAT0)
    return inv.transform(e + x_m, n)


def _frames(n: int, size=(160, 120)):
    rng = np.random.default_rng(1)
    base = rng.integers(40, 220, (size[1], size[0], 3), dtype=np.uint8)
    for i in range(n):
        img = np.roll(base, i, axis=1)
        img[:8, :8] = (i * 7) % 256  # a mark that differs per frame
        yield img


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """15 s at 30 fps, camera clock 10:00:00 UTC."""
    path = tmp_path_factory.mktemp("vid") / "drive.mp4"
    return encode_video(path, _frames(450), fps=30, creation_time=T0, preset="ultrafast")


def _track(tmp_path: Path, positions_m: list[float], start=T0, name="t.gpx", times_s=None) -> Path:
    """A GPX heading due east; ``positions_m`` metres from the start at 1 Hz (or ``times_s``)."""
    times_s = list(range(len(positions_m))) if times_s is None else times_s
    lonlat = [_east(x) for x in positions_m]
    t = track_from_fixes(
        np.array(
            [
                np.datetime64((start + timedelta(seconds=s)).replace(tzinfo=None), "ns")
                for s in times_s
            ]
        ),
        [p[0] for p in lonlat],
        [p[1] for p in lonlat],
    )
    return write_gpx(t, tmp_path / name)


def test_constant_speed_every_5m(video, tmp_path):
    track = read_track(_track(tmp_path, [10.0 * s for s in range(21)]))  # 10 m/s for 20 s
    stats = SamplingStats()
    frames = list(sample_frames(video, track, spacing_m=5.0, stats=stats))
    # 14.967 s of footage at 10 m/s = 149.7 m: a frame at 0 m then every 5 m -> 30 frames
    assert [f.frame_index for f in frames] == list(range(0, 450, 15))
    assert stats.sampled == 30 and stats.targets == 30 and stats.dropped_gap == 0
    assert stats.time_sync == "camera" and stats.video_start == T0.isoformat()
    d = np.diff([f.distance_m for f in frames])
    assert d == pytest.approx(np.full(29, 5.0), abs=0.01)
    assert frames[0].time == T0 and frames[-1].time == T0 + timedelta(seconds=14.5)
    assert (frames[3].lon, frames[3].lat) == pytest.approx(_east(15.0), abs=2e-7)
    # true bearing of grid east here is 92 deg: grid convergence (0.53 - -2) * sin(51.39) = 1.98 deg
    assert frames[3].heading_deg == pytest.approx(
        float(bearing_deg(*_east(0.0), *_east(30.0))), abs=0.01
    )
    assert frames[3].speed_mps == pytest.approx(10.0, abs=0.01)
    assert all(f.image.shape == (120, 160, 3) for f in frames)
    # everything decoded once, only 30 converted to BGR
    assert stats.converted == 30 and stats.decoded <= 450


def test_image_is_the_frame_at_that_index(video, tmp_path):
    import av

    track = read_track(_track(tmp_path, [10.0 * s for s in range(21)]))
    frames = {f.frame_index: f.image for f in sample_frames(video, track, spacing_m=25.0)}
    with av.open(str(video)) as c:
        for i, fr in enumerate(c.decode(video=0)):
            if i in frames:
                assert np.array_equal(frames[i], fr.to_ndarray(format="bgr24"))
    assert sorted(frames) == [0, 75, 150, 225, 300, 375]


def test_dict_stats_for_the_batch_runner(video, tmp_path):
    track = read_track(_track(tmp_path, [10.0 * s for s in range(21)]))
    stats: dict = {"frames": 7}
    n = sum(1 for _ in sample_frames(video, track, spacing_m=10.0, stats=stats))
    assert n == 15 and stats["sampled_frames"] == 15 and stats["frames"] == 7
    assert stats["gap_dropped_frames"] == 0 and stats["time_sync"] == "camera"


def test_gap_frames_dropped_and_counted(video, tmp_path):
    secs = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16]  # no fix for 5 s
    track = read_track(_track(tmp_path, [10.0 * s for s in secs], times_s=secs))
    stats = SamplingStats()
    frames = list(sample_frames(video, track, spacing_m=5.0, max_gap_s=3.0, stats=stats))
    assert stats.targets == 30 and stats.dropped_gap == 9 and stats.sampled == 21
    times = [f.video_time_s for f in frames]
    assert not any(5.0 < t < 10.0 for t in times)
    assert 5.0 in times and 10.0 in times
    # with a looser gap limit the same track interpolates straight across
    assert sum(1 for _ in sample_frames(video, track, spacing_m=5.0, max_gap_s=6.0)) == 30


def test_stationary_truck_yields_no_frames(video, tmp_path):
    pos = [10.0 * s for s in range(6)] + [
        50.2,
        49.8,
        50.1,
        49.9,
        50.0,
    ]  # GPS jitter (< 0.5 m/s) while parked
    pos += [50.0 + 10.0 * s for s in range(1, 7)]
    track = read_track(_track(tmp_path, pos))
    stats = SamplingStats()
    frames = list(sample_frames(video, track, spacing_m=5.0, stats=stats))
    times = [f.video_time_s for f in frames]
    assert not any(5.0 < t < 10.5 for t in times)  # parked 5..10 s with GPS jitter
    assert len(frames) == 20 and times[:11] == pytest.approx([0.5 * k for k in range(11)], abs=1e-6)
    assert stats.distance_m == pytest.approx(99.67, abs=0.05)


def test_no_overlap_is_a_time_sync_error(video, tmp_path):
    track = read_track(
        _track(tmp_path, [10.0 * s for s in range(31)], start=T0 + timedelta(seconds=60))
    )
    with pytest.raises(TimeSyncError, match=r"drive\.mp4: footage .* does not overlap"):
        next(sample_frames(video, track))


def test_time_offset_overrides(video, tmp_path):
    track = read_track(
        _track(tmp_path, [10.0 * s for s in range(31)], start=T0 + timedelta(seconds=60))
    )
    stats = SamplingStats()
    # the camera clock is 60 s behind GPS: camera - GPS = -60
    frames = list(sample_frames(video, track, spacing_m=5.0, time_offset_s=-60.0, stats=stats))
    assert len(frames) == 30 and stats.time_sync == "offset"
    assert frames[0].time == T0 + timedelta(seconds=60)
    assert frames[0].lon == pytest.approx(LON0, abs=1e-7)  # 1 cm after the grid round trip


def test_reset_camera_clock_gps_wins(tmp_path):
    vid = encode_video(
        tmp_path / "v.mp4", _frames(90), fps=30, creation_time=datetime(2000, 1, 1, tzinfo=UTC)
    )
    track = read_track(_track(tmp_path, [10.0 * s for s in range(10)]))
    stats = SamplingStats()
    frames = list(sample_frames(vid, track, spacing_m=5.0, stats=stats))
    assert stats.time_sync == "gps" and frames[0].time == T0 and len(frames) == 6


def test_truncated_video_is_corrupt(video, tmp_path):
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    track = read_track(_track(tmp_path, [10.0 * s for s in range(21)]))
    with pytest.raises(CorruptInputError, match=r"cut\.mp4: "):
        next(sample_frames(bad, track))


def test_garbage_video_is_corrupt(tmp_path):
    bad = tmp_path / "junk.mp4"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    track = read_track(_track(tmp_path, [10.0 * s for s in range(21)]))
    with pytest.raises(CorruptInputError, match=r"junk\.mp4: "):
        next(sample_frames(bad, track))


def test_heading_interpolates_through_north():
    times = np.array(["2024-01-01T00:00:00", "2024-01-01T00:00:01"], dtype="datetime64[ns]")
    t = track_from_fixes(times, [0.5, 0.5001], [51.4, 51.4001], heading_deg=[350.0, 10.0])
    kin = TrackKinematics(t, datetime(2024, 1, 1, tzinfo=UTC))
    assert kin.crs == "EPSG:27700"
    assert kin.at(0.5)["heading_deg"] == pytest.approx(0.0, abs=1e-9)
    assert kin.at(0.25)["heading_deg"] == pytest.approx(355.0)


def test_metric_crs_outside_gb():
    from geo.crs import metric_crs_for_lonlat

    assert metric_crs_for_lonlat(27.6, 53.9) == "EPSG:32635"  # Minsk
    assert metric_crs_for_lonlat(-117.3, 33.1) == "EPSG:32611"  # Carlsbad
    assert metric_crs_for_lonlat(0.53, 51.39) == "EPSG:27700"


def test_sample_images_amsterdam(shared_data, tmp_path):
    src = shared_data / "amsterdam_waste_container_reports_geotagged" / "images"
    names = sorted(p.name for p in src.iterdir())[:6]
    for n in names:  # a scratch copy in tmp, never in the repo
        shutil.copy(src / n, tmp_path / n)
    (tmp_path / "nogps.jpg").write_bytes(_plain_jpeg())
    stats = SamplingStats()
    frames = list(sample_images(tmp_path, spacing_m=5.0, stats=stats))
    assert stats.no_gps == 1 and stats.sampled + stats.duplicates == 6
    assert all(f.image is not None and f.quality is not None for f in frames)
    assert [f.time for f in frames] == sorted(f.time for f in frames)
    assert all(52.3 < f.lat < 52.42 and 4.77 < f.lon < 5.01 for f in frames)
    assert all(f.heading_deg != f.heading_deg or 0 <= f.heading_deg < 360 for f in frames)


def test_sample_images_dedupes_by_spacing(tmp_path):
    for k, (x, sec) in enumerate([(0.0, 0), (2.0, 1), (6.0, 2), (20.0, 3)]):
        _geotagged_jpeg(tmp_path / f"img{k}.jpg", *_east(x), T0 + timedelta(seconds=sec))
    stats = SamplingStats()
    frames = list(sample_images(tmp_path, spacing_m=5.0, stats=stats))
    assert [Path(f.source).name for f in frames] == ["img0.jpg", "img2.jpg", "img3.jpg"]
    assert stats.duplicates == 1
    assert frames[1].distance_m == pytest.approx(6.0, rel=0.005)  # haversine vs grid metres
    assert frames[1].heading_deg == pytest.approx(
        float(bearing_deg(*_east(2.0), *_east(6.0))), abs=0.01
    )
    assert frames[2].time == T0 + timedelta(seconds=3)


def _plain_jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 120, 120)).save(buf, "JPEG")
    return buf.getvalue()


def _geotagged_jpeg(path: Path, lon: float, lat: float, when: datetime) -> None:
    from PIL import Image

    def dms(v: float):
        v = abs(v)
        d = int(v)
        m = int((v - d) * 60)
        s = (v - d - m / 60) * 3600
        return (float(d), float(m), round(s, 6))

    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon),
                7: (float(when.hour), float(when.minute), float(when.second)),
                29: when.strftime("%Y:%m:%d")})  # fmt: skip
    img.save(path, "JPEG", exif=exif)
    assert not math.isnan(lon)
