"""NMEA rules from issue 11 on small made-up logs: validation, centuries, dating, encodings."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from geo.ingest.gps import detect_format, read_track
from geo.ingest.nmea import full_year, parse_nmea
from pipeline.cli import main
from roadcam.errors import GPSError


def s(body: str, prefix: str = "") -> str:
    """A sentence with its checksum (and a BlackVue ``[unix_ms]`` prefix when given)."""
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return f"{prefix}${body}*{cs:02X}"


def write(tmp_path, name: str, lines: list[str], encoding: str = "ascii"):
    f = tmp_path / name
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return f


def rmc(tod: str, ddmmyy: str, status: str = "A", lat: str = "5124.0000", lon: str = "00030.0000"):
    return s(f"GPRMC,{tod},{status},{lat},N,{lon},E,0.0,0.0,{ddmmyy},,,A")


# ------------------------------------------------------------------ centuries


@pytest.mark.parametrize(
    ("yy", "ref", "year"),
    [(94, None, 1994), (69, None, 1969), (68, None, 2068), (0, None, 2000), (80, None, 1980),
     (99, 2019, 1999), (19, 1999, 2019), (94, 2094, 2094), (2, 1998, 2002)],
)  # fmt: skip
def test_full_year(yy, ref, year):
    assert full_year(yy, ref) == year


def test_two_digit_year_uses_pivot(tmp_path):
    # pynmea2's test sentence: 19 November 1994, not 2094
    t = read_track(write(tmp_path, "a.nmea", [rmc("225446", "191194")]))
    assert t.start == datetime(1994, 11, 19, 22, 54, 46, tzinfo=UTC)


def test_zda_year_decides_the_century(tmp_path):
    # a log from 2071 (past the pivot) with a ZDA: 71 is 2071, not 1971
    lines = [s("GPZDA,120000.00,05,06,2071,00,00"), rmc("120001", "050671")]
    t = read_track(write(tmp_path, "z.nmea", lines))
    assert t.start == datetime(2071, 6, 5, 12, 0, 1, tzinfo=UTC)


def test_default_receiver_date_of_void_rmc_not_used(tmp_path):
    # cold start: status V with the receiver's default date 05/01/80, then a real fix
    lines = [rmc("235946", "050180", status="V"), rmc("081436", "230808")]
    t = read_track(write(tmp_path, "cold.nmea", lines))
    assert len(t) == 1 and t.start == datetime(2008, 8, 23, 8, 14, 36, tzinfo=UTC)
    assert t.ingest_counts == {"dropped_status_v": 1}


# ------------------------------------------------------------------ validation


def test_out_of_range_void_fix_is_a_clean_error(tmp_path):
    # gpsd tn200: RMC V with lat 36000.0000, GGA fix quality 0 at 0,0: dropped, never a crash
    lines = [s("GPGGA,000416.984,0000.0000,N,00000.0000,E,0,00,50.0,0.0,M,0.0,M,0.0,0000"),
             s("GPRMC,000416.984,V,36000.0000,N,72000.0000,E,0.000000,,260120,,")]  # fmt: skip
    f = write(tmp_path, "tn.log", lines)
    with pytest.raises(GPSError, match=r"no valid GPS fix .*dropped: 1 status v"):
        read_track(f)


def test_out_of_range_valid_fix_dropped_and_counted(tmp_path):
    lines = [rmc("100000", "010524"), rmc("100001", "010524", lat="9130.0000"),
             rmc("100002", "010524", lat="5124.0060")]  # fmt: skip
    t = read_track(write(tmp_path, "r.nmea", lines))
    assert len(t) == 2 and t.ingest_counts == {"dropped_out_of_range": 1}


def test_gga_fix_quality_zero_dropped(tmp_path):
    lines = [s("GPGGA,100000.00,5124.0000,N,00030.0000,E,0,00,99.0,0.0,M,0.0,M,,"),
             s("GPGGA,100001.00,5124.0010,N,00030.0000,E,1,08,0.9,0.0,M,0.0,M,,"),
             s("GPZDA,100001.00,01,05,2024,00,00")]  # fmt: skip
    t = read_track(write(tmp_path, "q.nmea", lines))
    assert len(t) == 1 and t.start == datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)
    assert t.ingest_counts == {"dropped_no_fix_quality": 1}


def test_sentences_without_checksum_accepted_when_clean(tmp_path):
    lines = ["$GPGGA,222449,3349.0337,S,01843.9282,E,1,07,02.31,000115.4,M,0033.3,M,,",
             "$GPZDA,222449,25,10,2010,+00,00",
             "$GPGGA,222450,3349.0337,S,01843.9282,E,1,07,02.31,000115.4,M,0033.3,M,,",
             "$GPGGA,222451,3349.03"]  # truncated: not the standard field count  # fmt: skip
    f = write(tmp_path, "hp.log", lines)
    assert detect_format(f) == "nmea"
    t = read_track(f)
    assert len(t) == 2 and t.start == datetime(2010, 10, 25, 22, 24, 49, tzinfo=UTC)
    assert t.lat[0] == pytest.approx(-(33 + 49.0337 / 60))
    assert t.ingest_counts == {"accepted_no_checksum": 3, "skipped_unparsed": 1}


def test_bad_checksum_still_skipped(tmp_path):
    good = rmc("100000", "010524")
    bad = rmc("100001", "010524")[:-2] + "00"
    t = read_track(write(tmp_path, "c.nmea", [good, bad]))
    assert len(t) == 1 and t.ingest_counts == {"skipped_bad_checksum": 1}


# ------------------------------------------------------------------ dating


def test_gga_log_dated_by_one_zda_over_two_midnights(tmp_path):
    # GPSBabel's addmultipledays: 28 hourly GGA from 22:00, one ZDA at the end
    hours = [(22 + k) % 24 for k in range(28)]
    lines = [s(f"GPGGA,{h:02d}0000.000,5013.476,N,01710.477,E,1,09,0.8,468.7,M,0.0,M,,")
             for h in hours] + [s("GPZDA,033141,10,03,2019,00,00")]  # fmt: skip
    t = read_track(write(tmp_path, "days.nmea", lines))
    assert len(t) == 28
    assert t.start == datetime(2019, 3, 8, 22, tzinfo=UTC)
    assert t.end == datetime(2019, 3, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("prefix_ms", "tod", "when"),
    [
        (1637794800000, "010000.00", datetime(2021, 11, 25, 1, tzinfo=UTC)),  # camera 23:00 the day before
        (1637802000000, "230000.00", datetime(2021, 11, 24, 23, tzinfo=UTC)),  # camera 01:00 the day after
        (1637762688000, "110448.00", datetime(2021, 11, 24, 11, 4, 48, tzinfo=UTC)),  # camera UTC+3
    ],
)  # fmt: skip
def test_blackvue_gga_only_dated_by_prefix(tmp_path, prefix_ms, tod, when):
    line = s(f"GPGGA,{tod},3853.16949,N,07659.54604,W,2,10,0.82,7.7,M,-34.7,M,,0000",
             prefix=f"[{prefix_ms}]")  # fmt: skip
    t = read_track(write(tmp_path, "bv.gps", [line]))
    assert len(t) == 1 and t.start == when


def test_blackvue_gll_only(tmp_path):
    line = s("GNGLL,4404.14012,N,12118.85993,W,001037.00,A,A", prefix="[1629874404069]")
    t = read_track(write(tmp_path, "gll.gps", [line]))
    assert t.start == datetime(2021, 8, 25, 0, 10, 37, tzinfo=UTC)
    assert t.lat[0] == pytest.approx(44 + 4.14012 / 60)


def test_gll_beside_rmc_not_read_twice(tmp_path):
    # Magellan eXplorist 210: GLL stamped 5 ms before the RMC of the same fix
    lines = [s("GPGLL,5313.2228,N,00634.4228,E,200619.295,A"),
             s("GPRMC,200619.30,A,5313.2228,N,00634.4228,E,00.0,000.0,200506,00,W")]  # fmt: skip
    t = read_track(write(tmp_path, "x.log", lines))
    assert len(t) == 1 and t.ingest_counts == {"skipped_gll_redundant": 1}


def test_undated_gga_is_a_clean_error(tmp_path):
    f = write(tmp_path, "nodate.nmea",
              [s("GPGGA,100000.00,5124.0000,N,00030.0000,E,1,08,0.9,0.0,M,0.0,M,,")])  # fmt: skip
    with pytest.raises(GPSError, match="times but no date"):
        read_track(f)
    t = read_track(f, default_date=date(2024, 5, 1))
    assert t.start == datetime(2024, 5, 1, 10, tzinfo=UTC)


# ------------------------------------------------------------------ encodings and the CLI


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_byte_order_mark_logs(tmp_path, encoding):
    lines = [rmc("100000", "010524"), rmc("100001", "010524", lat="5124.0060")]
    f = tmp_path / "nmea_utf16"
    text = "\r\n".join(lines) + "\r\n"
    f.write_bytes(
        ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    )
    assert detect_format(f) == "nmea"
    assert len(read_track(f)) == 2


def test_cli_json_reports_what_was_dropped_and_why(tmp_path, capsys):
    lines = [rmc("100000", "010524", status="V"), rmc("100001", "010524"),
             rmc("100002", "010524", lat="5124.0060")]  # fmt: skip
    f = write(tmp_path, "drive.nmea", lines)
    assert main(["track", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["points"] == 2 and out["cleaning"]["dropped_status_v"]["count"] == 1
    assert "status V" in out["cleaning"]["dropped_status_v"]["why"]


def test_parse_nmea_stats(tmp_path):
    lines = [rmc("100000", "010524"), s("GPGGA,100000.00,5124.0000,N,00030.0000,E,1,08,0.9,0,M,0,M,,"),
             s("GPVTG,45.0,T,,M,10.0,N,18.52,K,A")]  # fmt: skip
    _, stats = parse_nmea(write(tmp_path, "st.nmea", lines))
    assert (stats.sentences, stats.rmc, stats.rmc_valid, stats.gga, stats.vtg) == (3, 1, 1, 1, 1)


def test_cli_human_output_lists_cleaning(tmp_path, capsys):
    lines = [rmc("100000", "010524", status="V"), rmc("100001", "010524")]
    assert main(["track", str(write(tmp_path, "d.nmea", lines))]) == 0
    out = capsys.readouterr().out
    assert "1 points, 1 valid fixes" in out and "dropped_status_v: 1 (the receiver marked" in out
