"""Schema drift closed: unknown classes are 422, claims of a missing defect 404, a repair time
outside 2000 .. now + 10 min 422, and a pending claim is answered by its decision only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from _auth import CONTRACTOR_ORG, bearer, make_role_users
from fastapi.testclient import TestClient
from test_api_http import seed

from api.main import create_app
from roadcam.errors import UsageError
from roadcam.settings import Settings
from store.claims import checked_claimed_at


@pytest.fixture(scope="module")
def api(db_url, engine, tmp_path_factory):
    ids = seed(engine, n=4)
    tokens = make_role_users(engine)
    settings = Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(tokens["inspector"]))
        yield client, ids, tokens


@pytest.mark.parametrize(
    "url",
    ["/defects", "/defects/geojson", "/tiles/defects/14/8216/5461.json", "/exports/defects.csv"],
)
def test_an_unknown_class_is_422(api, url):
    client, _, _ = api
    r = client.get(url, params={"class": "unicorn"})
    assert r.status_code == 422 and r.json()["kind"] == "validation"
    assert client.get(url, params={"class": "pothole"}).status_code == 200


def test_claims_of_a_missing_defect_are_404(api):
    client, ids, _ = api
    r = client.get("/defects/999999/repair-claims")
    assert r.status_code == 404 and r.json() == {"detail": "no defect 999999", "kind": "not_found"}
    assert client.get(f"/defects/{ids[0]}/repair-claims").json() == {"claims": [], "count": 0}


@pytest.mark.parametrize(
    "claimed_at", [0, "1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00"]
)
def test_a_repair_time_outside_2000_to_now_is_422(api, claimed_at):
    client, ids, tokens = api
    body = {"contractor": CONTRACTOR_ORG, "claimed_at": claimed_at}
    r = client.post(
        f"/defects/{ids[1]}/repair-claims", json=body, headers=bearer(tokens["contractor"])
    )
    assert r.status_code == 422 and r.json()["kind"] == "validation"
    assert "claimed_at" in str(r.json()["detail"])
    assert client.get(f"/defects/{ids[1]}/repair-claims").json()["count"] == 0  # nothing stored


def test_the_repair_time_rule():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert checked_claimed_at(datetime(2000, 1, 1), now) == datetime(2000, 1, 1, tzinfo=UTC)
    assert checked_claimed_at(now + timedelta(minutes=10), now) == now + timedelta(minutes=10)
    with pytest.raises(UsageError, match="outside 2000-01-01"):
        checked_claimed_at(now + timedelta(minutes=11), now)
    with pytest.raises(UsageError):
        checked_claimed_at(datetime.fromtimestamp(0, UTC), now)


def test_a_pending_claim_is_answered_by_its_decision_only(api):
    client, ids, tokens = api
    acme = bearer(tokens["contractor"])
    when = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    claim = client.post(f"/defects/{ids[2]}/repair-claims", headers=acme,
                        json={"contractor": CONTRACTOR_ORG, "claimed_at": when}).json()  # fmt: skip
    assert claim["claimed_at"][:10] == when[:10]
    for status in ("verified_repaired", "still_present"):
        r = client.patch(f"/defects/{ids[2]}/status", json={"status": status})
        assert r.status_code == 409 and f"pending repair claim {claim['id']}" in r.json()["detail"]
    assert client.get(f"/defects/{ids[2]}").json()["status"] == "repair_claimed"
    r = client.post(f"/repair-claims/{claim['id']}/decision",
                    json={"status": "verified", "reason": "seen on site"})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "verified"
    assert client.get(f"/defects/{ids[2]}").json()["status"] == "verified_repaired"
    # decided: the defect's own life cycle goes on (the claim is no longer pending)
    r = client.patch(f"/defects/{ids[2]}/status", json={"status": "still_present"})
    assert r.status_code == 200
