"""Correct HTTP: commit before the response, bounded ids and pages, NUL bytes, sizes, error bodies,
and concurrent writers on SpatiaLite."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from _auth import bearer, make_role_users
from fastapi.testclient import TestClient

from api.main import create_app
from geo.types import DefectCandidate
from roadcam.settings import Settings
from tests.api._export_seed import canterbury_street

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def candidate(k: int, class_name: str = "pothole", segment: str = "s1-0") -> DefectCandidate:
    return DefectCandidate(
        class_name=class_name,
        lon=0.548 + 0.0001 * k,
        lat=51.386,
        segment_id=segment,
        chainage_m=7.0 * k,
        offset_m=1.0,
        first_seen=T0,
        last_seen=T0,
        sightings=2,
        max_width_m=0.4,
        best_confidence=0.8,
        best_frame_index=k,
    )


def seed(engine, n: int = 20) -> list[int]:
    from store.defects import save_defects
    from store.engine import session_scope
    from store.segments import upsert_segments

    segs = canterbury_street("s1-0", 150.0, 0.550)
    with session_scope(engine) as s:
        upsert_segments(s, segs)
        return save_defects(s, [candidate(k) for k in range(n)])


@pytest.fixture(scope="module")
def api(db_url, engine, tmp_path_factory):
    ids = seed(engine)
    tokens = make_role_users(engine)
    settings = Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(tokens["inspector"]))
        yield client, ids, tokens


def test_read_your_write(api):
    client, ids, _ = api
    r = client.patch(f"/defects/{ids[0]}/status", json={"status": "closed", "note": "done"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert client.get(f"/defects/{ids[0]}").json()["status"] == "closed"
    r = client.post(f"/defects/{ids[0]}/review", json={"action": "confirm"})
    assert client.get(f"/defects/{ids[0]}").json()["review_status"] == "confirmed"


def test_failed_commit_is_a_5xx_and_nothing_changes(api, monkeypatch):
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session

    client, ids, _ = api

    def broken_commit(self):
        raise sa_exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", broken_commit)
    r = client.patch(f"/defects/{ids[1]}/status", json={"status": "closed"})
    monkeypatch.undo()
    assert r.status_code == 503 and r.json()["kind"] == "database"
    assert client.get(f"/defects/{ids[1]}").json()["status"] == "open"
    assert client.get(f"/defects/{ids[1]}/history").json()["events"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/defects/99999999999999999999999",
        "/defects/9223372036854775808",
        "/defects/2147483648",
        "/defects/0",
        "/defects/-1",
        "/surveys/2147483648",
        "/defects?offset=9223372036854775808",
        "/defects?offset=1000001",
        "/segments?offset=-1",
        "/defects?limit=0",
        "/review/queue?after_id=2147483648",
        "/defects/2147483648/history",
    ],
)
def test_out_of_range_ids_and_offsets_are_422(api, url):
    client, _, _ = api
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert r.json()["kind"] == "validation"
    assert all({"loc", "msg", "type"} <= set(e) for e in r.json()["detail"])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/segments/a%00b", None),
        ("GET", "/defects?class=pot%00hole", None),
        ("GET", "/defects?segment_id=%00", None),
        ("PATCH", "/defects/1/status", '{"status": "closed", "note": "a\\u0000b"}'),
        ("POST", "/defects/1/review", '{"action": "reject", "reason": "other", "note": "\\u0000"}'),
    ],
)
def test_nul_bytes_are_422(api, method, url, body):
    client, _, _ = api
    headers = {"Content-Type": "application/json"}
    r = client.request(method, url, content=body, headers=headers)
    assert r.status_code == 422 and r.json()["kind"] == "validation"


def test_body_and_string_limits(api):
    client, ids, tokens = api
    big = {"status": "closed", "note": "x" * 3_000_000}
    r = client.patch(f"/defects/{ids[2]}/status", json=big)
    assert r.status_code == 413 and r.json()["kind"] == "too_large"
    r = client.patch(f"/defects/{ids[2]}/status", json={"status": "closed", "note": "x" * 2001})
    assert r.status_code == 422
    eng = bearer(tokens["engineer"])
    r = client.post(
        "/segments/s1-0/hierarchy/override",
        json={"category": "3a", "reason": "x" * 20_000},
        headers=eng,
    )
    assert r.status_code == 422


def test_error_bodies_have_kind(api):
    client, _, _ = api
    r = client.get("/defects/123456")
    assert r.status_code == 404 and r.json() == {"detail": "no defect 123456", "kind": "not_found"}
    r = client.get("/defects", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["kind"] == "unauthenticated"
    r = client.post("/skip-permits", json={})
    assert r.status_code == 403 and r.json()["kind"] == "forbidden"
    r = client.patch("/defects/1/status", json={"status": "verified_repaired"})
    assert r.status_code == 409 and r.json()["kind"] == "invalid_transition"
    r = client.delete("/defects/1")
    assert r.status_code == 405 and "kind" in r.json()


def test_every_list_is_paged_with_a_maximum(api):
    client, _, _ = api
    schema = client.get("/openapi.json").json()
    unbounded = []
    for path, ops in schema["paths"].items():
        get = ops.get("get")
        if not get or "{" in path and not path.endswith("history"):
            continue
        params = {p["name"]: p for p in get.get("parameters", [])}
        is_list = path in (
            "/defects",
            "/segments",
            "/surveys",
            "/repair-claims",
            "/skips",
            "/users",
        )
        is_list = is_list or path.endswith(("/geojson", "/history", "/queue"))
        if is_list and "maximum" not in params.get("limit", {}).get("schema", {}):
            unbounded.append(path)
    assert unbounded == []


def test_eight_concurrent_writers_no_errors(api, db_url):
    """8 writers at once (reviews, status changes, overrides): all 2xx, none 'database is locked'."""
    client, ids, tokens = api
    eng = bearer(tokens["engineer"])

    def writer(w: int) -> list[int]:
        codes = []
        for k in range(6):
            d = ids[4 + (w * 6 + k) % 16]
            action = {"action": "reject", "reason": "duplicate"} if k % 2 else {"action": "confirm"}
            codes.append(client.post(f"/defects/{d}/review", json=action, headers=eng).status_code)
            override = {"category": "3a" if k % 2 else "3b", "reason": f"writer {w} step {k}"}
            codes.append(
                client.post(
                    "/segments/s1-0/hierarchy/override", json=override, headers=eng
                ).status_code
            )
        return codes

    with ThreadPoolExecutor(8) as pool:
        codes = [c for cs in pool.map(writer, range(8)) for c in cs]
    assert len(codes) == 96
    assert sorted(set(codes)) == [200, 201]
    history = client.get("/segments/s1-0/history?limit=1000").json()
    assert history["count"] == 48


def _wait_for_job(client, job_id: int, headers: dict[str, str], seconds: float = 120.0) -> dict:
    import time

    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_hierarchy_review_as_a_background_job(api):
    client, _, tokens = api
    eng = bearer(tokens["engineer"])
    r = client.post("/hierarchy/review/jobs", json={"write": False}, headers=eng)
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["created_by"]) == ("hierarchy_review", "engineer")
    assert job["status"] in ("queued", "running", "done")
    done = _wait_for_job(client, job["id"], eng)
    assert done["status"] == "done", done
    assert done["result"]["segments"] == 1 and done["finished_at"]
    assert client.get("/jobs", headers=eng).json()["jobs"][0]["id"] == job["id"]
    bad = {"sites": {"type": "FeatureCollection", "features": [{"type": "Feature"}]}}
    failed = client.post("/hierarchy/review/jobs", json=bad, headers=eng).json()
    failed = _wait_for_job(client, failed["id"], eng)
    assert failed["status"] == "failed" and "sites" in failed["error"]
    assert client.get("/jobs/999999", headers=eng).json()["kind"] == "not_found"


def test_parallel_hierarchy_reviews_and_writers_no_errors(api):
    """The issue's case: 6 hierarchy reviews (writing) at once, with reviewers writing meanwhile."""
    client, ids, tokens = api
    eng = bearer(tokens["engineer"])

    def one(k: int) -> int:
        if k < 6:
            return client.post("/hierarchy/review", json={"write": True}, headers=eng).status_code
        d = ids[4 + k]
        return client.post(f"/defects/{d}/review", json={"action": "confirm"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(8)))
    assert codes == [200] * 8
