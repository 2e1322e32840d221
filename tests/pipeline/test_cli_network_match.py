"""``roadcam match NETWORK TRACK -o matched.csv --path route.geojson`` end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pipeline.cli import main

SNIP = "osm_uk_osm2streets_snippets/tests/src"


def _gpx(path, lon, lat, t0=1_700_000_000):
    pts = "\n".join(
        f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><time>'
        f"{np.datetime_as_string(np.datetime64(t0 + i, 's'))}Z</time></trkpt>"
        for i, (lo, la) in enumerate(zip(lon, lat, strict=True))
    )
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="roadcam-test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>' + pts + "</trkseg></trk></gpx>"
    )


def test_match_cli(shared_data, tmp_path, capsys):
    from shapely import get_coordinates, line_interpolate_point

    from geo.crs import lonlat_from_xy
    from geo.network.roads import load_network

    osm = shared_data / SNIP / "service_road_loop/input.osm"
    net = load_network(osm)
    seg = net.segments.set_index("segment_id")
    line = seg.loc["340292788-0", "geometry"]  # Easton Road (B4465), 194.4 m, two-way
    c = get_coordinates(line_interpolate_point(line, np.arange(5.0, 190.0, 8.0)))
    off = np.full(len(c), 2.0)
    off[-2:] = 20.0  # the last two fixes lie beyond --max-distance-m 6: unmatched, empty rows
    lon, lat = lonlat_from_xy(c[:, 0], c[:, 1] + off, "EPSG:27700")
    gpx = tmp_path / "t.gpx"
    _gpx(gpx, lon, lat)
    out, route = tmp_path / "matched.csv", tmp_path / "route.geojson"
    code = main(
        [
            "match",
            str(osm),
            str(gpx),
            "-o",
            str(out),
            "--path",
            str(route),
            "--json",
            "--max-distance-m",
            "6",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    n = len(lon)
    assert (summary["fixes"], summary["matched"], summary["unmatched"]) == (n, n - 2, 2)
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [
        "index",
        "time",
        "lon",
        "lat",
        "matched_lon",
        "matched_lat",
        "segment_id",
        "source_id",
        "chainage_m",
        "distance_m",
    ]
    assert len(rows) == n
    assert {r["segment_id"] for r in rows[:-2]} == {"340292788-0"}
    assert {r["source_id"] for r in rows[:-2]} == {"340292788"}
    assert float(rows[0]["chainage_m"]) == pytest.approx(5.0, abs=0.5)
    assert float(rows[0]["distance_m"]) == pytest.approx(2.0, abs=0.5)
    assert rows[-1]["segment_id"] == "" and rows[-1]["matched_lon"] == "" and rows[-1]["time"]
    gj = json.loads(route.read_text())
    assert [f["geometry"]["type"] for f in gj["features"]] == ["LineString"]
    assert json.loads(gj["features"][0]["properties"]["segment_ids"]) == ["340292788-0"]
    assert gj["features"][0]["properties"]["length_m"] == pytest.approx(168.0, abs=2.0)


def test_match_cli_errors(shared_data, tmp_path, capsys):
    osm = shared_data / SNIP / "service_road_loop/input.osm"
    assert (
        main(["match", str(osm), str(tmp_path / "none.gpx"), "-o", str(tmp_path / "m.csv")]) == 11
    )
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
