"""The finding life cycle over HTTP: the queue, confirm/correct, reject with a reason, confirm many,
history; contractors see and act on their own claims only."""

from __future__ import annotations

import pytest
from _auth import CONTRACTOR_ORG, bearer, make_role_users
from fastapi.testclient import TestClient
from test_api_http import candidate, seed

from api.main import create_app
from roadcam.settings import Settings


@pytest.fixture(scope="module")
def api(db_url, engine, tmp_path_factory):
    from store.defects import save_defects
    from store.engine import session_scope

    ids = seed(engine, n=6)
    with session_scope(engine) as s:
        ids += save_defects(s, [candidate(9, "skip")])
    tokens = make_role_users(engine)
    settings = Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(tokens["inspector"]))
        yield client, ids, tokens


def test_queue_oldest_first_with_filters(api):
    client, ids, _ = api
    q = client.get("/review/queue").json()
    assert q["waiting"] == 7 and [d["id"] for d in q["items"]] == [ids[0]]
    assert q["items"][0]["review_status"] == "proposed"
    q = client.get("/review/queue", params={"after_id": ids[0], "limit": 3}).json()
    assert [d["id"] for d in q["items"]] == ids[1:4]
    q = client.get("/review/queue", params={"class": "skip", "limit": 10}).json()
    assert q["waiting"] == 1 and [d["id"] for d in q["items"]] == [ids[6]]
    assert client.get("/review/queue", params={"segment_id": "nope"}).json()["waiting"] == 0
    assert client.get("/review/queue", params={"survey_id": 1}).json()["waiting"] == 0
    assert client.get("/review/queue", params={"class": "unicorn"}).status_code == 422


def test_confirm_with_correction_reject_with_reason_and_history(api):
    client, ids, _ = api
    r = client.post(
        f"/defects/{ids[0]}/review",
        json={"action": "confirm", "class_name": "crack", "risk_category": "cat2", "note": "ok"},
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["review_status"], body["class_name"], body["risk_category"]) == (
        "confirmed",
        "crack",
        "cat2",
    )
    assert body["reviewed_by"] == "inspector" and body["reviewed_at"]
    r = client.post(f"/defects/{ids[1]}/review", json={"action": "reject"})
    assert r.status_code == 422 and r.json()["kind"] == "validation"
    r = client.post(
        f"/defects/{ids[1]}/review", json={"action": "reject", "reason": "false_positive"}
    )
    assert r.json()["review_status"] == "rejected"
    assert r.json()["reject_reason"] == "false_positive"
    events = client.get(f"/defects/{ids[0]}/history").json()["events"]
    assert [(e["action"], e["actor"], e["from_value"], e["to_value"]) for e in events] == [
        ("class", "inspector", "pothole", "crack"),
        ("risk", "inspector", None, "cat2"),
        ("review", "inspector", "proposed", "confirmed"),
    ]
    rejected = client.get(f"/defects/{ids[1]}/history").json()["events"]
    assert rejected[-1]["to_value"] == "rejected (false_positive)"
    assert client.get("/review/queue").json()["waiting"] == 5


def test_confirm_many_is_all_or_nothing(api):
    client, ids, _ = api
    r = client.post("/review/confirm", json={"ids": [ids[2], ids[3], 999_999]})
    assert r.status_code == 404
    assert client.get(f"/defects/{ids[2]}").json()["review_status"] == "proposed"
    r = client.post("/review/confirm", json={"ids": [ids[2], ids[3]], "note": "bulk"})
    assert r.status_code == 200 and r.json()["confirmed"] == 2
    assert client.get(f"/defects/{ids[3]}").json()["review_status"] == "confirmed"
    assert client.post("/review/confirm", json={"ids": []}).status_code == 422


def test_only_confirmed_findings_count(api, engine):
    from sqlalchemy import func, select

    from store.engine import session_scope
    from store.review import confirmed_defects_query

    client, ids, _ = api
    with session_scope(engine, readonly=True) as s:
        confirmed = s.scalars(confirmed_defects_query()).all()
        n = s.scalar(select(func.count()).select_from(confirmed_defects_query().subquery()))
    assert {d.id for d in confirmed} == {ids[0], ids[2], ids[3]} and n == 3


def test_viewer_and_contractor_may_not_review(api):
    client, ids, tokens = api
    for role in ("viewer", "contractor"):
        r = client.post(
            f"/defects/{ids[4]}/review", json={"action": "confirm"}, headers=bearer(tokens[role])
        )
        assert r.status_code == 403


def test_contractor_files_and_sees_only_its_own_claims(api):
    client, ids, tokens = api
    acme = bearer(tokens["contractor"])
    r = client.post(
        f"/defects/{ids[0]}/repair-claims", json={"contractor": "Other Ltd"}, headers=acme
    )
    assert r.status_code == 403 and r.json()["kind"] == "forbidden"
    r = client.post(
        f"/defects/{ids[0]}/repair-claims",
        json={"contractor": CONTRACTOR_ORG, "reference": "WO-1", "note": "patched, 40 mm"},
        headers=acme,
    )
    assert r.status_code == 201, r.text
    own = r.json()
    assert own["evidence"] == {"contractor_note": "patched, 40 mm"}
    other = client.post(
        f"/defects/{ids[2]}/repair-claims", json={"contractor": "Other Ltd"}
    ).json()  # an inspector records another contractor's claim
    seen = client.get("/repair-claims", headers=acme).json()
    assert [c["id"] for c in seen["claims"]] == [own["id"]]
    assert {c["id"] for c in client.get("/repair-claims").json()["claims"]} == {
        own["id"],
        other["id"],
    }
    assert client.get(f"/repair-claims/{other['id']}/history", headers=acme).status_code == 404
    r = client.post(
        f"/repair-claims/{own['id']}/decision", json={"status": "verified"}, headers=acme
    )
    assert r.status_code == 403
    r = client.post(
        f"/repair-claims/{own['id']}/decision", json={"status": "verified", "reason": "patched"}
    )
    assert r.status_code == 200 and r.json()["status"] == "verified"
    events = client.get(f"/repair-claims/{own['id']}/history", headers=acme).json()["events"]
    assert [(e["action"], e["actor"], e["to_value"]) for e in events] == [
        ("file", "contractor", "pending"),
        ("decision", "inspector", "verified"),
    ]
    status_events = client.get(f"/defects/{ids[0]}/history").json()["events"]
    assert [e["to_value"] for e in status_events if e["action"] == "status"] == [
        "repair_claimed",
        "verified_repaired",
    ]
    assert status_events[-1]["actor"] == "inspector"


def test_permit_changes_are_audited(api):
    client, _, tokens = api
    eng = bearer(tokens["engineer"])
    permit = {
        "reference": "SK-1",
        "lon": 0.548,
        "lat": 51.386,
        "valid_from": "2026-11-01T00:00:00Z",
        "valid_to": "2026-11-14T00:00:00Z",
    }
    first = client.post("/skip-permits", json=permit, headers=eng).json()
    later = {**permit, "valid_to": "2099-01-01T00:00:00Z"}
    assert client.post("/skip-permits", json=later).status_code == 403  # inspectors may not
    client.post("/skip-permits", json=later, headers=eng)
    events = client.get(f"/skip-permits/{first['id']}/history").json()["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("create", "engineer"),
        ("update", "engineer"),
    ]
    assert events[1]["to_value"].endswith("2099-01-01T00:00:00+00:00")


def test_contractor_attaches_a_photo_to_its_own_claim(api, tmp_path):
    import cv2
    import numpy as np

    client, ids, tokens = api
    acme = bearer(tokens["contractor"])
    claim = client.post(
        f"/defects/{ids[5]}/repair-claims",
        json={"contractor": CONTRACTOR_ORG, "note": "filled"},
        headers=acme,
    ).json()
    ok, png = cv2.imencode(".png", np.full((60, 80, 3), 90, np.uint8))
    files = {"photo": ("repair.png", bytes(png), "image/png")}
    r = client.post(f"/repair-claims/{claim['id']}/photos", files=files, headers=acme)
    assert r.status_code == 201, r.text
    assert r.json()["evidence"]["photos"] == ["1.jpg"]
    got = client.get(f"/repair-claims/{claim['id']}/photos/1", headers=acme)
    assert got.status_code == 200 and got.content[:2] == b"\xff\xd8"  # re-encoded as JPEG
    bad = {"photo": ("x.jpg", b"not an image", "image/jpeg")}
    r = client.post(f"/repair-claims/{claim['id']}/photos", files=bad, headers=acme)
    assert r.status_code == 422
    other = client.post(f"/defects/{ids[5]}/repair-claims", json={"contractor": "Other Ltd"})
    r = client.post(f"/repair-claims/{other.json()['id']}/photos", files=files, headers=acme)
    assert r.status_code == 404  # not its claim: not even shown to exist
    events = client.get(f"/repair-claims/{claim['id']}/history").json()["events"]
    assert [e["action"] for e in events] == ["file", "photo"]
