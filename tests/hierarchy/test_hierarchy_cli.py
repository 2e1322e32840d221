"""``roadcam hierarchy review`` / ``override`` end to end on a hand-built GeoJSON network."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pytest
from hierarchy_testnet import hospital_network, hospital_sites

from pipeline.cli import main


@pytest.fixture()
def files(tmp_path):
    seg = hospital_network()
    net = seg[["segment_id", "name", "highway", "ref", "geometry"]].rename(columns={"segment_id": "id"}).to_crs(4326)
    net.to_file(tmp_path / "net.geojson", driver="GeoJSON")
    hospital_sites().to_file(tmp_path / "sites.geojson", driver="GeoJSON")
    (tmp_path / "aadt.csv").write_text("source_id,aadt\nclose,50\n")
    return tmp_path


def _rows(path):
    with open(path, newline="") as fh:
        return {r["source_id"]: r for r in csv.DictReader(fh)}


def test_review_writes_outputs(files, capsys):
    out = files / "review"
    code = main(["hierarchy", "review", "--network", str(files / "net.geojson"), "--sites", str(files / "sites.geojson"),
                 "--traffic", str(files / "aadt.csv"), "--out", str(out), "--no-database", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["segments"] == 8
    assert summary["raised"] == 4
    assert summary["lowered"] == 1
    # before: 3 x 0.2 km monthly + 5 x 0.2 km annual = 8.2; after: 4 x 0.2 km quarterly instead of annual.
    assert summary["inspection_km_per_year_before"] == pytest.approx(8.2, abs=0.01)
    assert summary["inspection_km_per_year_after"] == pytest.approx(10.6, abs=0.01)
    header = (out / "segments.csv").read_text().splitlines()[0]
    assert header == "segment_id,source_id,name,road_class,current_category,recommended_category,current_frequency,recommended_frequency,condition,reasons"
    rows = _rows(out / "segments.csv")
    assert rows["quiet-2"]["recommended_category"] == "4a"
    # After the GeoJSON round trip, millimetre length differences break the ring's proxy ties,
    # so one ring segment may also carry the proxy reason: check the site reason only.
    assert rows["quiet-2"]["reasons"].startswith("raised from 4b to 4a: ")
    assert rows["quiet-2"]["reasons"].endswith("alternative route to Medway Maritime Hospital")
    assert rows["close"]["recommended_category"] == "minor"
    assert rows["close"]["reasons"] == "lowered from 4b to minor: AADT 50 (counted) below 300"
    assert rows["A-1"]["road_class"] == "A"
    md = (out / "summary.md").read_text()
    assert "## Roads raised (4)" in md and "## Roads lowered (1)" in md
    assert "alternative route to Medway Maritime Hospital" in md
    assert "| change | +2.4 km (+29.3 %) |" in md
    assert "<h2>Roads raised (4)</h2>" in (out / "summary.html").read_text()
    gpkg = gpd.read_file(out / "segments.gpkg", layer="segments")
    assert len(gpkg) == 8 and gpkg.crs.to_epsg() == 27700


def test_override_survives_reruns(files, capsys):
    out = files / "review"
    args = ["hierarchy", "review", "--network", str(files / "net.geojson"), "--out", str(out), "--no-database"]
    assert main(args) == 0
    close_id = _rows(out / "segments.csv")["close"]["segment_id"]
    assert main(["hierarchy", "override", close_id, "3B", "--reason", "bin lorry depot access", "--author", "J Doe", "--out", str(out)]) == 0
    for _ in range(2):  # the override is kept by every later review
        assert main(args) == 0
        row = _rows(out / "segments.csv")["close"]
        assert row["recommended_category"] == "3b"
        assert row["recommended_frequency"] == "monthly"
        assert row["reasons"].startswith("override to 3b (from 4b) by J Doe on ")
        assert ": bin lorry depot access [review alone: " in row["reasons"]
    with open(out / "overrides.csv") as fh:
        assert len(fh.read().splitlines()) == 2  # header + one override, never rewritten


def test_user_errors_are_one_line(files, capsys):
    out = files / "review"
    code = main(["hierarchy", "review", "--network", str(files / "missing.geojson"), "--out", str(out), "--no-database"])
    err = capsys.readouterr().err
    assert code == 11 and err.count("\n") == 1 and "missing.geojson" in err
    (files / "bad.csv").write_text("id,flow\n1,2\n")
    code = main(["hierarchy", "review", "--network", str(files / "net.geojson"), "--traffic", str(files / "bad.csv"), "--out", str(out), "--no-database"])
    err = capsys.readouterr().err
    assert code == 13 and "missing columns: aadt, source_id" in err
    code = main(["hierarchy", "override", "x", "9z", "--reason", "r", "--out", str(out)])
    assert code == 21 and "unknown category '9z'" in capsys.readouterr().err
