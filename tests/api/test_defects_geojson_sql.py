"""/defects/geojson built by the database: the same features as the old Python path
(rows -> DefectPublic -> Feature) for every map filter, valid against the documented
FeatureCollection / DefectPublic schema, honest totals and keyset pages; both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.schemas.common import Feature, FeatureCollection
from api.schemas.defect import DefectPublic
from roadcam.settings import Settings
from store.defect_filter import DefectFilter
from store.exports import filtered_defects
from tests.api._export_seed import LAT, T1, T2, seed

QUERIES = [
    {},
    {"class": ["pothole", "skip"]},
    {"status": ["open", "closed"]},
    {"risk": ["cat1"]},
    {"road": "canterbury"},
    {"road": "B2004", "class": "pothole"},
    {"segment_id": "w2-0"},
    {"bbox": f"0.5480,{LAT - 0.0001},0.5490,{LAT + 0.0001}"},
    {"first_seen_from": T2.isoformat()},
    {"first_seen_to": "2026-11-02T23:59:59Z", "last_seen_from": T1.isoformat()},
    {"last_seen_to": (T2 - timedelta(days=1)).isoformat()},
]


@pytest.fixture(scope="module")
def seeded(db_url, engine):
    from store.defects import set_defect_risk
    from store.engine import session_scope

    with session_scope(engine) as s:
        ids = seed(s)
        set_defect_risk(s, ids["crack"], "cat1", 0.83, T2 + timedelta(hours=24))
    return db_url, ids


def old_path(session, q: dict) -> dict:
    """What the route answered before: ORM rows, DefectPublic, Feature, in Python."""

    def many(key):
        v = q.get(key)
        return None if v is None else ([v] if isinstance(v, str) else v)

    def when(key):
        return datetime.fromisoformat(q[key].replace("Z", "+00:00")) if key in q else None

    bbox = [float(v) for v in q["bbox"].split(",")] if "bbox" in q else None
    flt = DefectFilter(
        class_names=many("class"),
        statuses=many("status"),
        risk_categories=many("risk"),
        road=q.get("road"),
        segment_ids=many("segment_id"),
        bbox=bbox,
        first_seen_from=when("first_seen_from"),
        first_seen_to=when("first_seen_to"),
        last_seen_from=when("last_seen_from"),
        last_seen_to=when("last_seen_to"),
    )
    features = []
    for row in filtered_defects(session, flt, limit=5000):
        d = DefectPublic.from_row(row)
        props = d.model_dump(mode="json", exclude={"lon", "lat"})
        geometry = {"type": "Point", "coordinates": [d.lon, d.lat]}
        features.append(Feature(id=d.id, geometry=geometry, properties=props))
    fc = FeatureCollection(features=features, total=len(features))
    return json.loads(fc.model_dump_json())


def assert_same_features(got: list[dict], want: list[dict]) -> None:
    assert [f["id"] for f in got] == [f["id"] for f in want]
    for g, w in zip(got, want, strict=True):
        assert g["type"] == w["type"] == "Feature" and g["geometry"]["type"] == "Point"
        assert g["geometry"]["coordinates"] == pytest.approx(
            w["geometry"]["coordinates"], abs=1e-12
        )
        assert g["properties"].keys() == w["properties"].keys()
        for k, v in w["properties"].items():
            if isinstance(v, float):
                assert g["properties"][k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
            else:
                assert g["properties"][k] == v, (k, g["properties"][k], v)


def test_sql_built_geojson_equals_the_old_path_and_the_schema(seeded, session, tmp_path):
    db_url, ids = seeded
    settings = Settings(database_url=db_url, data_dir=tmp_path, public_reads=True)
    from api.main import create_app

    with TestClient(create_app(settings)) as client:
        nonempty = 0
        for q in QUERIES:
            r = client.get("/defects/geojson", params=q)
            assert r.status_code == 200 and r.headers["content-type"] == "application/json"
            body = r.json()
            FeatureCollection.model_validate(body)  # the documented response model
            for f in body["features"]:
                lon, lat = f["geometry"]["coordinates"]
                DefectPublic.model_validate({**f["properties"], "lon": lon, "lat": lat})
            want = old_path(session, q)
            assert_same_features(body["features"], want["features"])
            assert body["total"] == body["count"] == len(want["features"]), q
            assert body["total_exact"] is True and body["next_after_id"] is None
            nonempty += bool(body["features"])
        assert nonempty >= 8  # the queries exercise the filters, not empty answers
        assert [f["id"] for f in client.get("/defects/geojson?risk=cat1").json()["features"]] == [
            ids["crack"]
        ]


def test_geojson_keyset_pages_and_honest_total(seeded, tmp_path):
    db_url, ids = seeded
    settings = Settings(database_url=db_url, data_dir=tmp_path, public_reads=True)
    from api.main import create_app

    with TestClient(create_app(settings)) as client:
        seen, after = [], None
        while True:
            params = {"limit": 3} | ({"after_id": after} if after is not None else {})
            page = client.get("/defects/geojson", params=params).json()
            assert page["total"] == len(ids) and page["total_exact"] and page["count"] <= 3
            seen += [f["id"] for f in page["features"]]
            after = page["next_after_id"]
            if after is None:
                break
        assert seen == sorted(ids.values())
        assert client.get("/defects/geojson", params={"after_id": -1}).status_code == 422


def test_no_time_zone_slips_in_dates(seeded, tmp_path):
    db_url, ids = seeded
    settings = Settings(database_url=db_url, data_dir=tmp_path, public_reads=True)
    from api.main import create_app

    with TestClient(create_app(settings)) as client:
        body = client.get("/defects/geojson", params={"id": ids["pothole"]}).json()
        props = body["features"][0]["properties"]
        assert props["first_seen"] == T1.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
