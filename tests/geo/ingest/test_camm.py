"""Google CAMM GPS in MP4, on files written here to the published spec.

No real CAMM video is in ../shared/data, so these check the reader against the
spec (https://developers.google.com/streetview/publish/camm-spec), not against a
camera: a real Insta360 file is still to be tried.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from geo.ingest.camm import GPS_EPOCH, camm_video_start, gps_to_utc
from geo.ingest.gps import detect_format, read_track
from roadcam.errors import GPSError


def _box(typ: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), typ) + payload


def _full(typ: bytes, payload: bytes) -> bytes:
    return _box(typ, b"\0\0\0\0" + payload)


def _moov(sizes: list[int], mdat_at: int) -> bytes:
    n = len(sizes)
    entry = _box(b"camm", b"\0" * 6 + struct.pack(">H", 1))
    stbl = _box(b"stbl", b"".join([
        _full(b"stsd", struct.pack(">I", 1) + entry),
        _full(b"stts", struct.pack(">III", 1, n, 1000)),  # one sample a second
        _full(b"stsc", struct.pack(">IIII", 1, 1, n, 1)),
        _full(b"stsz", struct.pack(">II", 0, n) + struct.pack(f">{n}I", *sizes)),
        _full(b"stco", struct.pack(">II", 1, mdat_at)),
    ]))  # fmt: skip
    mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, 1000, n * 1000) + b"\0" * 4)
    hdlr = _full(b"hdlr", b"\0" * 4 + b"camm" + b"\0" * 13)
    return _box(b"moov", _box(b"trak", _box(b"mdia", mdhd + hdlr + _box(b"minf", stbl))))


def _mp4(path, samples: list[bytes]):
    ftyp = _box(b"ftyp", b"isom\0\0\0\0isom")
    sizes = [len(s) for s in samples]
    moov = _moov(sizes, 0)
    moov = _moov(sizes, len(ftyp) + len(moov) + 8)
    path.write_bytes(ftyp + moov + _box(b"mdat", b"".join(samples)))
    return path


def _gps6(utc: datetime, lat: float, lon: float, east: float, north: float, fix: int = 3):
    gps_s = (utc - GPS_EPOCH).total_seconds() + 18  # GPS time runs 18 s ahead of UTC since 2017
    return struct.pack("<HH", 0, 6) + struct.pack(
        "<diddfffffff", gps_s, fix, lat, lon, 10.0, 2.0, 3.0, east, north, 0.0, 0.5
    )


def test_gps_time_to_utc():
    assert gps_to_utc(0) == GPS_EPOCH
    assert gps_to_utc(1e9) == datetime(2011, 9, 14, 1, 46, 25, tzinfo=UTC)  # 15 leap seconds
    assert gps_to_utc((datetime(2024, 5, 1, tzinfo=UTC) - GPS_EPOCH).total_seconds() + 18) == (
        datetime(2024, 5, 1, tzinfo=UTC)
    )


def test_camm_gps_track(tmp_path):
    t0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    gyro = struct.pack("<HH", 0, 2) + struct.pack("<fff", 0.1, 0.2, 0.3)  # not GPS: skipped
    samples = [
        _gps6(t0, 51.4, 0.5, 10.0, 0.0),
        gyro,
        _gps6(t0.replace(second=2), 51.4, 0.50026, 10.0, 0.0),
        _gps6(t0.replace(second=3), 51.4, 0.50039, 10.0, 0.0, fix=0),
    ]
    f = _mp4(tmp_path / "insta360.mp4", samples)
    assert detect_format(f) == "camm-mp4"
    t = read_track(f)
    assert len(t) == 3 and t.start == t0 and list(t.fix_quality) == [2, 2, 0]
    assert t.speed_mps[0] == pytest.approx(10.0) and t.heading_deg[0] == pytest.approx(90.0)
    assert (t.lat[1], t.lon[1]) == pytest.approx((51.4, 0.50026))
    assert camm_video_start(f) == t0  # first timed sample at media time 0


def test_camm_minimal_gps_only_is_a_clean_error(tmp_path):
    f = _mp4(tmp_path / "min.mp4", [struct.pack("<HH", 0, 5) + struct.pack("<ddd", 51.4, 0.5, 9)])
    with pytest.raises(GPSError, match="1 minimal GPS samples"):
        read_track(f)
