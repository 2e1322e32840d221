"""``roadcam track PATH --json`` on real files and bad ones."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main


def test_track_json_blackvue(shared_data, capsys):
    f = shared_data / "blackvue_dashcam_minsk_nmea" / "examples" / "20170709_082717_N.gps"
    assert main(["track", str(f), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["format"] == "nmea" and s["points"] == 181 and s["valid_fixes"] == 181
    assert s["start"] == "2017-07-09T05:27:17+00:00" and s["end"] == "2017-07-09T05:30:17+00:00"
    assert s["dropped_outliers"] == 0 and s["max_speed_kmh"] == 101.0
    assert s["length_km"] == pytest.approx(5.008, abs=0.002)  # 180 s at about 100 km/h


def test_track_human_gopro(shared_data, capsys):
    f = shared_data / "gopro_gpmf_samples" / "samples" / "max-heromode.mp4"
    assert main(["track", str(f)]) == 0
    out = capsys.readouterr().out
    assert "(gpmf-mp4)" in out and "191 points, 191 valid fixes" in out


@pytest.mark.parametrize(
    ("content", "code", "text"),
    [("", 13, "empty file"), ("[1]$GPRMC,,V,,,,,,,,,,N*53\n", 14, "no valid GPS fix")],
)
def test_track_bad_file_one_line(tmp_path, capsys, content, code, text):
    f = tmp_path / "bad.gps"
    f.write_text(content)
    assert main(["track", str(f), "--json"]) == code
    err = capsys.readouterr().err.strip()
    assert err == f"roadcam: error: {f}: {text}" or (
        err.startswith(f"roadcam: error: {f}: {text}") and "\n" not in err
    )
