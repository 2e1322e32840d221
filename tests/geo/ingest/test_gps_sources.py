"""read_track on real files (exact counts and fixes checked by hand) and on small made-up ones."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from geo.ingest.gps import detect_format, read_track
from geo.ingest.nmea import camera_clock_offset_s, parse_nmea
from geo.ingest.track_clean import track_from_fixes, track_length_m
from roadcam.errors import CorruptInputError, GPSError, InputNotFoundError, UnsupportedFormatError

UTC = UTC


def _blackvue(shared: Path) -> Path:
    return shared / "blackvue_dashcam_minsk_nmea" / "examples"


# ---------------------------------------------------------------- BlackVue NMEA (real)


def test_blackvue_first_file_exact(shared_data):
    f = _blackvue(shared_data) / "20170708_221449_N.gps"
    t = read_track(f)
    assert detect_format(f) == "nmea"
    assert len(t) == 46 and int(t.valid.sum()) == 46
    assert t.start == datetime(2017, 7, 8, 19, 14, 50, tzinfo=UTC)  # RMC 191450.00 080717
    assert t.end == datetime(2017, 7, 8, 19, 15, 35, tzinfo=UTC)
    assert t.lat[0] == pytest.approx(53 + 57.14375 / 60, abs=1e-9)
    assert t.lon[0] == pytest.approx(27 + 40.86226 / 60, abs=1e-9)
    assert t.lat[-1] == pytest.approx(53 + 57.19777 / 60, abs=1e-9)
    assert t.lon[-1] == pytest.approx(27 + 41.04339 / 60, abs=1e-9)
    assert t.speed_mps[0] == pytest.approx(7.525 * 1852 / 3600)
    assert t.heading_deg[0] == pytest.approx(62.67)
    assert t.hdop[0] == pytest.approx(0.81) and t.fix_quality[0] == 1
    assert t.dropped_outliers == 0 and t.merged_duplicates == 0


def test_blackvue_prefix_is_camera_local_clock(shared_data):
    # [1499552090960] is 22:14:50.96 "UTC" = local Minsk time (UTC+3), 0.95 s after the GPS fix
    f = _blackvue(shared_data) / "20170708_221449_N.gps"
    _, stats = parse_nmea(f)
    assert float(np.percentile(stats.arrival_minus_gps_s, 5)) == pytest.approx(10800.95, abs=0.01)
    assert (
        camera_clock_offset_s(f) == 10800.0
    )  # snapped to the time zone; 0.95 s is logging latency


def test_blackvue_all_29_logs(shared_data):
    files = sorted(_blackvue(shared_data).glob("*.gps"))
    assert len(files) == 29
    rmc = valid_rmc = points = merged = 0
    errors: dict[str, str] = {}
    max_speed = 0.0
    for f in files:
        _, stats = parse_nmea(f)
        rmc += stats.rmc
        valid_rmc += stats.rmc_valid
        try:
            t = read_track(f)
        except (GPSError, CorruptInputError) as err:
            assert f.name in str(err)
            errors[f.name] = type(err).__name__
            continue
        points += len(t)
        merged += t.merged_duplicates
        max_speed = max(max_speed, float(np.nanmax(t.speed_mps)))
    # PROVENANCE says 3,842 / 3,033 from a text grep; two sentences sit after binary junk
    # in 20170709_085648_N/085920_N and pass their checksums, so 3,844 / 3,035.
    assert (rmc, valid_rmc) == (3844, 3035)
    # 20170709_081815_N repeats 052107/052108 (receiver glitch): 2 merged, 3,033 fixes kept
    assert points == 3033 and merged == 2
    assert errors == {
        "20170709_080018_N.gps": "GPSError",
        "20170709_080319_N.gps": "GPSError",
        "20170709_080522_P.gps": "CorruptInputError",  # 0 bytes
        "20170709_081041_N.gps": "GPSError",
        "20170709_081342_N.gps": "GPSError",
        "20170709_081514_N.gps": "GPSError",
    }
    assert max_speed * 3.6 == pytest.approx(54.524 * 1.852, abs=1e-6)  # 100.98 km/h


def test_blackvue_no_fix_message_names_file(shared_data):
    f = _blackvue(shared_data) / "20170709_080018_N.gps"
    with pytest.raises(GPSError, match="080018_N.gps: no valid GPS fix"):
        read_track(f)


# ---------------------------------------------------------------- GoPro GPMF (real)


def test_gopro_max_mp4(shared_data):
    f = shared_data / "gopro_gpmf_samples" / "samples" / "max-heromode.mp4"
    assert detect_format(f) == "gpmf-mp4"
    t = read_track(f)
    assert len(t) == 191 and int(t.valid.sum()) == 191
    assert t.start == datetime(2019, 11, 18, 23, 45, 14, tzinfo=UTC)
    assert (t.end - t.start).total_seconds() == pytest.approx(11.9147, abs=1e-3)
    assert (t.lat[0], t.lon[0]) == pytest.approx((33.12677, -117.3273436), abs=1e-9)
    assert (t.lat[-1], t.lon[-1]) == pytest.approx((33.1266674, -117.3272734), abs=1e-9)
    assert t.fix_quality[0] == 2 and t.hdop[0] == pytest.approx(1.54)
    assert float(np.nanmax(t.speed_mps)) < 1.5  # walking


@pytest.mark.parametrize(
    ("name", "n", "start"),
    [
        ("hero5.raw", 18, datetime(2017, 4, 17, 17, 31, 3, tzinfo=UTC)),
        ("Fusion.raw", 19, datetime(2018, 3, 23, 17, 25, 37, 375000, tzinfo=UTC)),
    ],
)
def test_gopro_raw_payloads(shared_data, name, n, start):
    f = shared_data / "gopro_gpmf_samples" / "samples" / name
    assert detect_format(f) == "gpmf-raw"
    t = read_track(f)
    assert len(t) == n and t.start == start
    assert 33.126 < t.lat[0] < 33.127 and -117.328 < t.lon[0] < -117.327


@pytest.mark.parametrize("name", ["hero6.raw", "hero6+ble.raw", "karma.raw"])
def test_gopro_raw_without_fix(shared_data, name):
    # hero6*: GPSF 0, GPSP 9999 (no lock); karma: a drone payload without GPS5
    with pytest.raises(GPSError, match=name.replace("+", r"\+")):
        read_track(shared_data / "gopro_gpmf_samples" / "samples" / name)


# ---------------------------------------------------------------- JPEG EXIF (real)


def test_amsterdam_exif_matches_truth(shared_data):
    folder = shared_data / "amsterdam_waste_container_reports_geotagged"
    t = read_track(folder / "images")
    truth = list(csv.DictReader((folder / "images_gps.csv").open()))
    assert len(truth) == 151 and len(t) == 151 and int(t.valid.sum()) == 151
    assert t.dropped_outliers == 0 and t.merged_duplicates == 0
    # first and last by GPS (UTC) time, checked in images_gps.csv
    assert t.start == datetime(2016, 3, 29, 18, 15, 56, 270000, tzinfo=UTC)
    assert t.end == datetime(2018, 3, 21, 18, 53, 20, 330000, tzinfo=UTC)
    assert (t.lat[0], t.lon[0]) == pytest.approx((52.3698667, 4.8525194), abs=1e-6)
    got = sorted(zip(t.lat.round(6), t.lon.round(6), strict=True))
    want = sorted((round(float(r["lat"]), 6), round(float(r["lon"]), 6)) for r in truth)
    assert got == want


def test_exif_uses_gps_utc_not_local_camera_time(shared_data):
    from geo.ingest.exif import read_exif_fix

    img = shared_data / "amsterdam_waste_container_reports_geotagged" / "images"
    fix = read_exif_fix(img / "mdc_photo_mdc_035e00_cdv_photo_001_1468084643119.jpg")
    # DateTimeOriginal 19:15:14 is Amsterdam summer time; GPS says 17:15:16.03 UTC
    assert fix.time == datetime(2016, 7, 9, 17, 15, 16, 30000, tzinfo=UTC)
    assert fix.time_source == "gps"


# ---------------------------------------------------------------- made-up files


def _gpx(
    path: Path, pts: list[tuple[str, float, float]], extra: str = "", version: str = "1.1"
) -> Path:
    ns = (
        "http://www.topografix.com/GPX/1/1"
        if version == "1.1"
        else "http://www.topografix.com/GPX/1/0"
    )
    body = "".join(
        f'<trkpt lat="{la}" lon="{lo}"><time>{t}</time>{extra}</trkpt>' for t, lo, la in pts
    )
    path.write_text(
        f'<?xml version="1.0"?><gpx version="{version}" xmlns="{ns}"><trk><trkseg>{body}</trkseg></trk></gpx>'
    )
    return path


def test_gpx_derives_speed_and_heading(tmp_path):
    # due north ~11.1 m per 1e-4 degree of latitude, one fix a second
    pts = [(f"2024-05-01T10:00:0{i}Z", 0.5, 51.4 + i * 1e-4) for i in range(5)]
    t = read_track(_gpx(tmp_path / "a.gpx", pts))
    assert len(t) == 5 and t.start == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert t.speed_mps == pytest.approx(np.full(5, 11.12), abs=0.02)
    assert t.heading_deg == pytest.approx(np.zeros(5), abs=1e-6)
    assert track_length_m(t) == pytest.approx(4 * 11.12, abs=0.1)


def test_gpx10_speed_course_fix(tmp_path):
    pts = [(f"2024-05-01T10:00:0{i}", 0.5 + i * 1e-4, 51.4) for i in range(3)]
    extra = "<course>91.5</course><speed>7.0</speed><fix>3d</fix><hdop>1.2</hdop>"
    t = read_track(_gpx(tmp_path / "b.gpx", pts, extra, version="1.0"))
    assert list(t.speed_mps) == [7.0, 7.0, 7.0] and list(t.heading_deg) == [91.5] * 3
    assert list(t.fix_quality) == [2, 2, 2] and t.hdop[0] == 1.2


def test_jump_over_200kmh_dropped_and_counted(tmp_path):
    pts = [(f"2024-05-01T10:00:{i:02d}Z", 0.5, 51.4 + i * 1e-4) for i in range(10)]
    pts[4] = (pts[4][0], 0.52, 51.4004)  # 1.4 km east for one second
    t = read_track(_gpx(tmp_path / "j.gpx", pts))
    assert t.dropped_outliers == 1 and len(t) == 9
    assert 0.52 not in t.lon


def test_first_fix_outlier_dropped(tmp_path):
    pts = [(f"2024-05-01T10:00:{i:02d}Z", 0.5, 51.4 + i * 1e-4) for i in range(8)]
    pts[0] = (pts[0][0], 0.6, 51.4)  # a cold-start fix 7 km away
    t = read_track(_gpx(tmp_path / "first.gpx", pts))
    assert t.dropped_outliers == 1 and len(t) == 7 and t.lon[0] == 0.5


def test_real_relocation_after_long_gap_kept(tmp_path):
    # 10 km in 10 min (60 km/h) across a gap is travel, not a jump
    pts = [("2024-05-01T10:00:00Z", 0.5, 51.4), ("2024-05-01T10:00:01Z", 0.5, 51.4001),
           ("2024-05-01T10:10:01Z", 0.64, 51.4001), ("2024-05-01T10:10:02Z", 0.6401, 51.4001)]  # fmt: skip
    t = read_track(_gpx(tmp_path / "gap.gpx", pts))
    assert t.dropped_outliers == 0 and len(t) == 4


def test_duplicate_times_merged():
    times = np.array(
        ["2024-01-01T00:00:00", "2024-01-01T00:00:01", "2024-01-01T00:00:01"],
        dtype="datetime64[ns]",
    )
    t = track_from_fixes(times, [0.5, 0.5001, 0.5003], [51.4, 51.4, 51.4])
    assert len(t) == 2 and t.merged_duplicates == 1
    assert t.lon[1] == pytest.approx(0.5002)


def test_plain_nmea_gga_fix_and_vtg(tmp_path):
    def s(body: str) -> str:
        cs = 0
        for ch in body:
            cs ^= ord(ch)
        return f"${body}*{cs:02X}"

    lines = [
        s("GPRMC,235959.00,A,5123.4000,N,00030.0000,E,,,311224,,,A"),
        s("GPVTG,45.0,T,,M,10.0,N,18.52,K,A"),
        s("GPGGA,235959.00,5123.4000,N,00030.0000,E,2,09,0.90,10.0,M,45.0,M,,"),
        s("GPGGA,000000.00,5123.4060,N,00030.0060,E,1,09,1.10,10.0,M,45.0,M,,"),  # date rolls over
        s("GPRMC,000001.00,V,,,,,,,010125,,,N"),
        "$GPRMC,garbage*00",
    ]
    f = tmp_path / "drive.nmea"
    f.write_text("\r\n".join(lines))
    t = read_track(f)
    assert len(t) == 2
    assert t.start == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert t.end == datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert list(t.fix_quality) == [2, 1] and list(t.hdop) == [0.9, 1.1]
    assert t.speed_mps[0] == pytest.approx(10 * 1852 / 3600) and t.heading_deg[0] == 45.0
    assert t.lat[0] == pytest.approx(51 + 23.4 / 60)


def test_csv_flexible_columns(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "Timestamp;Latitude;Longitude;Speed_kmh;Course\n"
        "1714557600000;51.4;0.5;36;90\n1714557601000;51.4;0.50014;36;90\n"
    )
    t = read_track(f)
    assert detect_format(f) == "csv"
    assert t.start == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert list(t.speed_mps) == pytest.approx([10.0, 10.0]) and list(t.heading_deg) == [90.0, 90.0]


def test_csv_iso_times(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "time,lon,lat\n2024-05-01T11:00:00+01:00,0.5,51.4\n2024-05-01 10:00:02,0.5,51.40002\n"
    )
    t = read_track(f)
    assert t.start == datetime(2024, 5, 1, 10, tzinfo=UTC) and len(t) == 2
    assert t.speed_mps[0] == pytest.approx(2.224 / 2, abs=0.01)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("empty.gpx", "", CorruptInputError),
        ("empty.nmea", "\n\n", CorruptInputError),
        ("junk.nmea", "hello world\n\x00\x01\x02 not nmea\n", CorruptInputError),
        ("junk.gpx", "<gpx><trk><trkpt lat=", CorruptInputError),
        ("junk.csv", "a,b,c\n1,2,3\n", CorruptInputError),
        (
            "notime.gpx",
            '<gpx><trk><trkseg><trkpt lat="51" lon="0"/></trkseg></trk></gpx>',
            GPSError,
        ),
        ("track.xyz", "whatever", UnsupportedFormatError),
        ("nofix.gps", "[1]$GPRMC,,V,,,,,,,,,,N*53\n", GPSError),
    ],
)
def test_bad_inputs_one_clear_error(tmp_path, name, content, error):
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(error) as info:
        read_track(f)
    assert str(info.value).startswith(str(f) + ": ")
    assert "\n" not in str(info.value)


def test_missing_path(tmp_path):
    with pytest.raises(InputNotFoundError, match="nope.gpx"):
        read_track(tmp_path / "nope.gpx")


def test_sampling_helpers_keep_nan_heading_only_without_motion():
    times = np.array(["2024-01-01T00:00:00", "2024-01-01T00:00:01"], dtype="datetime64[ns]")
    t = track_from_fixes(times, [0.5, 0.5], [51.4, 51.4])
    assert all(math.isnan(h) for h in t.heading_deg) and list(t.speed_mps) == [0.0, 0.0]


# ---------------------------------------------------------------- GPMF GPS9 (made here)


def _klv(key: bytes, typ: str, size: int, repeat: int, data: bytes) -> bytes:
    import struct

    head = struct.pack(">4scBH", key, typ.encode() if typ else b"\0", size, repeat)
    return head + data + b"\0" * (-len(data) % 4)


def test_gpmf_gps9_preferred_over_gps5(tmp_path):
    import struct

    scal9 = struct.pack(">9l", 10_000_000, 10_000_000, 1000, 1000, 100, 1, 1000, 100, 1)
    # 2024-05-01 = day 8887 since 2000-01-01; 36000.5 s = 10:00:00.5
    rows = [(513_900_000, 5_300_000, 12_000, 8_000, 800, 8887, 36_000_500, 120, 3),
            (513_900_100, 5_300_100, 12_000, 8_000, 800, 8887, 36_000_600, 130, 3)]  # fmt: skip
    gps9 = b"".join(struct.pack(">7l2H", *r) for r in rows)
    strm9 = (
        _klv(b"TYPE", "c", 9, 1, b"lllllllSS")
        + _klv(b"SCAL", "l", 4, 9, scal9)
        + _klv(b"GPS9", "?", 32, 2, gps9)
    )
    scal5 = struct.pack(">5l", 10_000_000, 10_000_000, 1000, 1000, 100)
    strm5 = (_klv(b"GPSU", "U", 16, 1, b"240501100000.500") + _klv(b"GPSF", "L", 4, 1, struct.pack(">L", 3))
             + _klv(b"SCAL", "l", 4, 5, scal5) + _klv(b"GPS5", "l", 20, 1, struct.pack(">5l", *rows[0][:5])))  # fmt: skip
    body = _klv(b"STRM", "", 1, len(strm9), strm9) + _klv(b"STRM", "", 1, len(strm5), strm5)
    f = tmp_path / "hero12.raw"
    f.write_bytes(_klv(b"DEVC", "", 1, len(body), body))
    t = read_track(f)
    assert detect_format(f) == "gpmf-raw" and len(t) == 2
    assert t.start == datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert t.end == datetime(2024, 5, 1, 10, 0, 0, 600000, tzinfo=UTC)
    assert (
        (t.lat[0], t.lon[0]) == (51.39, 0.53)
        and list(t.hdop) == [1.2, 1.3]
        and list(t.fix_quality) == [2, 2]
    )
