"""Exports on both databases: map filters, files that read back, Confirm against its YAML
mapping, the incremental change feed, the last drive's layers and `roadcam export`."""

import io
import json
from datetime import UTC, datetime

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from pyproj import Transformer

from pipeline.cli import main
from roadcam.errors import ConfigError
from roadcam.settings import Settings
from store.confirm import DEFAULT_MAPPING_PATH, confirm_records, load_confirm_mapping
from tests.api._export_seed import LAT, T2, seed


@pytest.fixture(scope="module")
def seeded(db_url, engine):
    from store.engine import session_scope

    with session_scope(engine) as s:
        ids = seed(s)
    return db_url, ids


def _client(db_url, tmp_path, **settings):
    from api.main import create_app

    # reads opened by the setting (ROADCAM_PUBLIC_READS); the role matrix tests who may read
    settings.setdefault("public_reads", True)
    return TestClient(create_app(Settings(database_url=db_url, data_dir=tmp_path, **settings)))


def test_map_filters_by_first_seen_road_and_class(seeded, tmp_path):
    db_url, ids = seeded
    with _client(db_url, tmp_path) as client:

        def shown(**q):
            fc = client.get("/defects/geojson", params=q).json()
            return sorted(f["id"] for f in fc["features"])

        assert shown() == sorted(ids.values())
        assert shown(first_seen_from=T2.isoformat()) == [ids["crack"]]
        assert shown(first_seen_to="2026-11-02T23:59:59Z") == sorted(
            ids[c] for c in ("pothole", "skip", "faded_marking")
        )
        assert shown(last_seen_from="2026-11-03T00:00:00Z") == [ids["crack"]]
        assert shown(road="canterbury") == sorted(
            ids[c] for c in ("pothole", "crack", "faded_marking")
        )
        assert shown(road="B2004", **{"class": "pothole"}) == [ids["pothole"]]
        assert shown(risk="cat1") == []
        assert client.get("/defects/geojson", params={"first_seen_from": "soon"}).status_code == 422


@pytest.mark.parametrize("fmt", ["parquet", "gpkg", "geojson", "csv"])
def test_export_of_what_is_on_screen_reads_back_with_the_same_rows(seeded, tmp_path, fmt):
    db_url, ids = seeded
    q = {"road": "canterbury", "status": ["open", "repair_claimed", "closed"]}
    with _client(db_url, tmp_path) as client:
        on_screen = [f["id"] for f in client.get("/defects/geojson", params=q).json()["features"]]
        r = client.get(f"/exports/defects.{fmt}", params=q)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(r.content)
    if fmt == "parquet":
        back = gpd.read_parquet(path)
    elif fmt == "csv":
        back = pd.read_csv(path)
        assert back["geometry_wkt"].str.startswith("POINT").all()
    else:
        back = gpd.read_file(path)
    assert (
        list(back["id"])
        == on_screen
        == sorted(ids[c] for c in ("pothole", "crack", "faded_marking"))
    )
    if fmt != "csv":
        assert back.crs.to_epsg() == 4326
        assert back.geometry.iloc[0].y == pytest.approx(LAT)
    assert list(back["road_name"]) == ["Canterbury Street"] * 3


def test_confirm_export_follows_the_yaml_mapping(seeded, tmp_path):
    db_url, ids = seeded
    with _client(db_url, tmp_path) as client:
        text = client.get("/exports/confirm.csv").text
    rows = pd.read_csv(io.StringIO(text), dtype=str)
    mapping = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    assert list(rows.columns) == list(mapping["columns"].values())
    # only the confirmed defect (repair claimed); open proposals and the closed one stay home
    assert list(rows["Defect Reference"]) == [f"roadcam-{ids['pothole']}"]
    row = rows.iloc[0]
    assert row["Site Code"] == "21400123" and row["Site Name"] == "Canterbury Street"
    assert (row["Feature Type"], row["Defect Type"], row["Priority"]) == ("CWAY", "PHOL", "2L")
    e, n = Transformer.from_crs(4326, 27700, always_xy=True).transform(0.5485, LAT)
    assert float(row["Easting"]) == pytest.approx(e, abs=0.06)
    assert float(row["Northing"]) == pytest.approx(n, abs=0.06)
    assert row["Logged Date"] == "2026-11-02"

    council = dict(mapping, site_code_from="segment_id", defect_type={"pothole": "PH-7"})
    council["priority"] = {"unscored": "P3"}
    council["columns"] = {k: k.upper() for k in mapping["columns"]}
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(council), encoding="utf-8")
    with _client(db_url, tmp_path, confirm_mapping=path) as client:
        records = client.get("/exports/confirm.json").json()
    assert [(r["SITE_CODE"], r["DEFECT_TYPE"], r["PRIORITY"]) for r in records] == [
        ("w1-0", "PH-7", "P3")
    ]


def test_confirm_mapping_refuses_gaps_rather_than_guessing(seeded, engine, tmp_path):
    from store.engine import session_scope

    mapping = yaml.safe_load(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))
    no_pothole = dict(mapping, defect_type={"crack": "CRAK"})
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(no_pothole), encoding="utf-8")
    with session_scope(engine) as s, pytest.raises(ConfigError, match="'pothole'"):
        confirm_records(s, load_confirm_mapping(path))
    for bad, message in (
        (dict(mapping, colour="red"), "colour"),
        (dict(mapping, priority={"cat1": "1"}), "unscored"),
        (dict(mapping, columns={"site_code": "Site"}), "missing"),
    ):
        path.write_text(yaml.safe_dump(bad), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_confirm_mapping(path)


def test_change_feed_gives_confirmed_changes_since_the_cursor(seeded, tmp_path):
    db_url, ids = seeded
    with _client(db_url, tmp_path) as client:
        feed = client.get("/changes", params={"since": "2026-01-01T00:00:00Z"}).json()
        assert feed["complete"] is True
        got = {d["id"]: d["action"] for d in feed["defects"]}
        assert got == {ids["pothole"]: "created", ids["faded_marking"]: "closed"}
        cursor = feed["next_since"]
        assert client.get("/changes", params={"since": cursor}).json()["count"] == 0
        from _auth import bearer, make_role_users

        from store.engine import make_engine

        engine = make_engine(db_url)
        tokens = make_role_users(engine, prefix="feed-")
        engine.dispose()
        r = client.patch(
            f"/defects/{ids['pothole']}/status",
            json={"status": "verified_repaired"},
            headers=bearer(tokens["engineer"]),
        )
        assert r.status_code == 200
        later = client.get("/changes", params={"since": cursor}).json()
        assert [(d["id"], d["action"], d["status"]) for d in later["defects"]] == [
            (ids["pothole"], "updated", "verified_repaired")
        ]
        page = client.get("/changes", params={"since": "2026-01-01T00:00:00Z", "limit": 1}).json()
        assert page["complete"] is False and page["count"] == 1
        assert page["next_since"] == page["defects"][0]["updated_at"]
        assert client.get("/changes").status_code == 422  # since is required
        client.patch(f"/defects/{ids['pothole']}/status", json={"status": "still_present"})


def test_last_drive_layers_new_and_not_seen_again(seeded, tmp_path):
    db_url, ids = seeded
    with _client(db_url, tmp_path) as client:
        layers = client.get("/map/drive-layers").json()
    assert layers["started_at"].startswith("2026-11-09")
    assert [f["id"] for f in layers["new"]["features"]] == [ids["crack"]]
    # drive 2 passed the pothole (0 m) without seeing it; the skip is 22 m off its route
    assert [f["id"] for f in layers["not_seen"]["features"]] == [ids["pothole"]]


def test_roadcam_export_writes_geoparquet_csv_and_schema(seeded, tmp_path, capsys):
    db_url, ids = seeded
    out = tmp_path / "lake"
    assert main(["export", "--since", "2026-01-01", str(out), "--database", db_url]) == 0
    assert "exported 4 defects" in capsys.readouterr().out
    schema = json.loads((out / "schema.json").read_text())
    assert set(schema["tables"]) == {"defects", "sightings", "segments", "claims", "permits"}
    defects = gpd.read_parquet(out / "defects.parquet")
    assert sorted(defects["id"]) == sorted(ids.values())
    assert defects.crs.to_epsg() == 4326
    assert dict(zip(defects["id"], defects["confirmed"], strict=True))[ids["pothole"]]
    assert len(pd.read_csv(out / "defects.csv")) == 4 == schema["tables"]["defects"]["rows"]
    assert len(gpd.read_parquet(out / "segments.parquet")) == 2
    sightings = gpd.read_parquet(out / "sightings.parquet")
    assert list(sightings["frame_index"]) == [12, 13]
    assert set(sightings["vehicle_id"]) == {"truck-7"} and set(sightings["class_name"]) == {"crack"}
    cols = [c["name"] for c in schema["tables"]["defects"]["columns"]]
    assert cols[:3] == ["id", "class_name", "status"] and "geometry" in cols
    future = datetime(2100, 1, 1, tzinfo=UTC).isoformat()
    assert main(["export", "--since", future, str(tmp_path / "none"), "--database", db_url]) == 0
    assert gpd.read_parquet(tmp_path / "none" / "defects.parquet").empty
    assert gpd.read_parquet(tmp_path / "none" / "sightings.parquet").empty
    with pytest.raises(SystemExit) as usage:
        main(["export", "--since", "yesterday", str(out)])
    assert usage.value.code == 2
