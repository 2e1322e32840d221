"""A contractor's claim photo is blurred (people, plate zones) before it is stored, unless the
``privacy_blur`` setting is off."""

from __future__ import annotations

import numpy as np
import pytest
from _auth import CONTRACTOR_ORG, bearer, make_role_users
from fastapi.testclient import TestClient
from test_api_http import seed

from api.main import create_app
from roadcam.settings import Settings

STREET = "potholes_mexico_streetview_circles/Baches_Img/bache_0002.jpg"
MAN = (slice(215, 280), slice(552, 598))  # the man crossing at the right of the photo
ROAD = (slice(400, 600), slice(100, 500))  # empty road


@pytest.fixture(scope="module")
def world(engine):
    return seed(engine, n=2), make_role_users(engine)


@pytest.mark.parametrize("blur", [True, False])
def test_claim_photo_is_blurred_before_it_is_stored(world, db_url, tmp_path, shared_data, blur):
    import cv2

    ids, tokens = world
    photo = (shared_data / STREET).read_bytes()
    settings = Settings(database_url=db_url, data_dir=tmp_path, privacy_blur=blur)
    acme = bearer(tokens["contractor"])
    with TestClient(create_app(settings)) as client:
        claim = client.post(f"/defects/{ids[0]}/repair-claims", headers=acme,
                            json={"contractor": CONTRACTOR_ORG, "note": "filled"}).json()  # fmt: skip
        files = {"photo": ("repair.jpg", photo, "image/jpeg")}
        r = client.post(f"/repair-claims/{claim['id']}/photos", files=files, headers=acme)
        assert r.status_code == 201, r.text
        got = client.get(f"/repair-claims/{claim['id']}/photos/1", headers=acme)
    stored = cv2.imdecode(np.frombuffer(got.content, np.uint8), cv2.IMREAD_COLOR).astype(int)
    seen = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR).astype(int)
    man = np.abs(stored[MAN] - seen[MAN]).mean()
    assert (man > 8) if blur else (man < 4)
    assert (
        np.abs(stored[ROAD] - seen[ROAD]).mean() < 4
    )  # the road (the repair) stays as photographed
