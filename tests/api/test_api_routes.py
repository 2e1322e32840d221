"""The API on both databases: health, segments, defects, surveys, and clear errors for bad requests."""

from datetime import UTC, datetime

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString

from geo.types import DefectCandidate
from roadcam.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(db_url, engine, tmp_path_factory):
    from store.defects import save_defects
    from store.engine import session_scope
    from store.segments import upsert_segments

    segs = gpd.GeoDataFrame(
        {
            "segment_id": ["w1-0", "w2-0"],
            "source_id": ["1", "2"],
            "name": ["Canterbury Street", "Cul-de-sac"],
            "ref": ["B2004", ""],
            "highway": ["secondary", "residential"],
            "road_class": ["B", "residential"],
            "oneway": [False, False],
            "u": ["a", "b"],
            "v": ["b", "c"],
            "length_m": [100.0, 50.0],
            "hierarchy": ["3b", ""],
        },
        geometry=[
            LineString([(0.548, 51.386), (0.5494, 51.386)]),
            LineString([(0.5494, 51.386), (0.5494, 51.3864)]),
        ],
        crs="EPSG:4326",
    )
    cands = [
        DefectCandidate(
            class_name="pothole",
            lon=0.5485,
            lat=51.386,
            segment_id="w1-0",
            chainage_m=35.0,
            offset_m=1.0,
            first_seen=T0,
            last_seen=T0,
            sightings=3,
            max_width_m=0.5,
            best_confidence=0.8,
            best_frame_index=1,
        ),
        DefectCandidate(
            class_name="skip",
            lon=0.5494,
            lat=51.3862,
            segment_id="w2-0",
            chainage_m=22.0,
            offset_m=3.0,
            first_seen=T0,
            last_seen=T0,
            sightings=2,
            max_width_m=1.8,
            best_confidence=0.7,
            best_frame_index=2,
        ),
    ]
    with session_scope(engine) as s:
        upsert_segments(s, segs)
        ids = save_defects(s, cands)
    settings = Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"))
    from _auth import bearer, make_role_users

    from api.main import create_app

    tokens = make_role_users(engine)
    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(tokens["admin"]))
        yield client, ids


def test_health_names_the_database(seeded):
    client, _ = seeded
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] in ("sqlite", "postgresql")


def test_segments_list_bbox_and_one(seeded):
    client, _ = seeded
    r = client.get("/segments")
    assert r.status_code == 200 and r.json()["count"] == 2
    r = client.get("/segments", params={"bbox": "0.5480,51.3855,0.5490,51.3862"})
    assert [s["segment_id"] for s in r.json()["segments"]] == ["w1-0"]
    one = client.get("/segments/w1-0").json()
    assert one["name"] == "Canterbury Street" and one["geometry"]["type"] == "LineString"
    assert client.get("/segments/nope").status_code == 404
    summary = client.get("/segments/summary").json()
    assert summary["segments"] == 2 and summary["total_km"] == pytest.approx(0.15)
    assert summary["bbox"] == pytest.approx(
        [0.548, 51.386, 0.5494, 51.3864]
    )  # the map's first view


def test_defects_filter_geojson_and_status_life_cycle(seeded):
    client, (pothole_id, skip_id) = seeded
    assert client.get("/defects").json()["count"] == 2
    r = client.get("/defects", params={"class": "skip"})
    assert [d["id"] for d in r.json()["defects"]] == [skip_id]
    fc = client.get("/defects/geojson").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    assert fc["features"][0]["geometry"]["coordinates"] == pytest.approx([0.5485, 51.386])
    r = client.patch(
        f"/defects/{pothole_id}/status", json={"status": "closed", "note": "not a defect"}
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client.patch(f"/defects/{pothole_id}/status", json={"status": "verified_repaired"})
    assert r.status_code == 409 and "cannot go from closed" in r.json()["detail"]
    assert client.get(f"/defects/{pothole_id}/image").status_code == 404


@pytest.mark.parametrize(
    "method,url,kwargs",
    [
        ("get", "/defects", {"params": {"bbox": "1,2,3"}}),
        ("get", "/defects", {"params": {"bbox": "a,b,c,d"}}),
        ("get", "/defects", {"params": {"status": "fixed"}}),
        ("get", "/defects", {"params": {"limit": 0}}),
        ("get", "/defects/abc", {}),
        ("patch", "/defects/1/status", {"json": {"status": "mended"}}),
        (
            "patch",
            "/defects/1/status",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("get", "/segments", {"params": {"bbox": "10,60,0,50"}}),
    ],
)
def test_malformed_requests_get_422_with_reason(seeded, method, url, kwargs):
    client, _ = seeded
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == 422
    assert r.json()["detail"]


def test_surveys_empty_list_and_404(seeded):
    client, _ = seeded
    assert client.get("/surveys").json() == {"surveys": [], "count": 0}
    assert client.get("/surveys/99").status_code == 404


def test_repair_claim_life_cycle(seeded):
    client, (_, skip_id) = seeded
    r = client.post(
        f"/defects/{skip_id}/repair-claims",
        json={"contractor": "Acme", "reference": "WO-1", "claimed_at": "2026-11-20T12:00:00"},
    )
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "pending" and claim["claimed_at"].startswith("2026-11-20T12:00:00")
    assert client.get(f"/defects/{skip_id}").json()["status"] == "repair_claimed"
    assert [
        c["id"] for c in client.get("/repair-claims", params={"status": "pending"}).json()["claims"]
    ] == [claim["id"]]
    decide = f"/repair-claims/{claim['id']}/decision"
    assert client.post(decide, json={"status": "verified"}).status_code == 422  # why
    r = client.post(
        decide,
        json={"status": "rejected", "decided_by": "J. Inspector", "reason": "skip still there"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    # the signed-in user decided, whatever name the body gives
    assert r.json()["decided_by"] == "admin" and r.json()["decision_reason"]
    assert client.get(f"/defects/{skip_id}").json()["status"] == "still_present"
    # the inspector may overrule (here: their own earlier decision), with a reason
    r = client.post(
        decide,
        json={"status": "verified", "decided_by": "K. Senior", "reason": "gone on site visit"},
    )
    assert r.status_code == 200 and r.json()["status"] == "verified"
    assert [d["by"] for d in r.json()["evidence"]["decisions"]] == ["admin", "admin"]
    assert client.get(f"/defects/{skip_id}").json()["status"] == "verified_repaired"
    # contractor filter (was ignored) and the payment report in three forms
    assert client.get("/repair-claims", params={"contractor": "acme"}).json()["count"] == 1
    assert client.get("/repair-claims", params={"contractor": "Other Ltd"}).json()["count"] == 0
    q = {"contractor": "Acme", "from": "2026-11-01", "to": "2026-11-30"}
    rep = client.get("/repair-claims/report", params=q).json()
    assert rep["totals"] == {"pending": 0, "verified": 1, "rejected": 0}
    assert rep["claims"][0]["decided_by"] == "admin"
    assert (
        client.get("/repair-claims/report", params={**q, "to": "2026-11-19"}).json()["claims"] == []
    )
    csv_text = client.get("/repair-claims/report", params={**q, "format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("claim_id,contractor,reference")
    assert ",verified,yes," in csv_text.splitlines()[1]
    html = client.get("/repair-claims/report", params={**q, "format": "html"}).text
    assert "Verified by an inspector: payable (1)" in html
    assert client.get(f"/repair-claims/{claim['id']}").json()["id"] == claim["id"]
    assert client.get(f"/repair-claims/{claim['id']}/crops/after/0").status_code == 404
    assert client.get("/repair-claims/999").status_code == 404
    assert (
        client.post("/defects/9999/repair-claims", json={"contractor": "Acme"}).status_code == 404
    )
    assert (
        client.post(f"/defects/{skip_id}/repair-claims", json={"contractor": ""}).status_code == 422
    )
    assert client.get(f"/defects/{skip_id}/repair-claims").json()["count"] == 1


def test_skips_checked_against_the_permit_register(seeded):
    client, (_, skip_id) = seeded
    # a proposed skip is not chargeable: nothing is listed until an engineer confirms it
    assert client.get("/skips").json()["skips"] == []
    r = client.post(f"/defects/{skip_id}/review", json={"action": "confirm"})
    assert r.status_code == 200, r.text
    # the skip (last seen 2026-11-02) has no permit yet
    r = client.get("/skips").json()
    assert (
        r["unpermitted"] == 1
        and r["skips"][0]["defect_id"] == skip_id
        and r["skips"][0]["permitted"] is False
    )
    # an expired permit 10 m away is reported as such, not as cover
    expired = {
        "reference": "SK-1",
        "lon": 0.5494,
        "lat": 51.38629,
        "valid_from": "2026-10-01T00:00:00Z",
        "valid_to": "2026-10-14T23:59:59Z",
        "address": "12 Windmill Road",
        "holder": "Acme Skips",
    }
    assert client.post("/skip-permits", json=expired).status_code == 201
    row = client.get("/skips").json()["skips"][0]
    assert row["permitted"] is False and row["other_permit_reference"] == "SK-1"
    assert row["permit_state"] == "unlicensed" and row["street"] == "Cul-de-sac"
    assert (
        row["charge"]["total_gbp"] == 197.5
        and "thurrock" in row["charge"]["sources"]["unlicensed_gbp"]
    )
    assert row["days_on_highway"] == 1 and row["evidence_frames"] == ["#2"]
    # a valid permit 10 m away covers it
    valid = {
        **expired,
        "reference": "SK-2",
        "valid_from": "2026-10-28T00:00:00Z",
        "valid_to": "2026-11-10T23:59:59Z",
    }
    assert client.post("/skip-permits", json=valid).status_code == 201
    row = client.get("/skips").json()["skips"][0]
    assert (
        row["permitted"] is True
        and row["permit_reference"] == "SK-2"
        and 8 < row["permit_distance_m"] < 12
    )
    listed = client.get("/skips", params={"unpermitted_only": True}).json()
    assert (listed["skips"], listed["unpermitted"]) == ([], 0)
    assert client.get("/skips.csv").text.splitlines()[0].startswith("defect_id,permit_state,street")
    # a permit 100 m away does not count, and bad permits are 422
    assert client.get("/skips", params={"radius_m": 5}).json()["unpermitted"] == 1
    bad = {**valid, "reference": "SK-3", "valid_to": "2026-01-01T00:00:00Z"}
    assert client.post("/skip-permits", json=bad).status_code == 422
    # a permit with no coordinates is placed by its street; an unknown street is 422
    by_street = {**valid, "reference": "SK-4", "lon": None, "lat": None, "street": "CUL DE SAC"}
    placed = client.post("/skip-permits", json=by_street).json()
    assert (placed["location_source"], placed["street"], placed["segment_id"]) == (
        "street",
        "Cul-de-sac",
        "w2-0",
    )
    assert client.get("/skips", params={"radius_m": 5}).json()["unpermitted"] == 0
    nowhere = {**by_street, "reference": "SK-5", "street": "Nowhere Lane"}
    r = client.post("/skip-permits", json=nowhere)
    assert r.status_code == 422 and "Nowhere Lane" in r.json()["detail"]
