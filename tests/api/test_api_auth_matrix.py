"""Every route x every role (anonymous included): allowed, or 401/403, from the app's own route table.

A route added later is covered automatically; one that declares no roles fails
``test_every_route_declares_its_roles``.
"""

from __future__ import annotations

import re

import pytest
from _auth import PASSWORD, ROLES, bearer, make_role_users
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from api.auth import declared_roles
from api.main import create_app
from roadcam.settings import Settings

#: FastAPI's own documentation routes and the static files: public by design.
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}
CALLERS = ("anonymous", *ROLES)


def route_table(app) -> list[tuple[str, str, tuple[str, ...] | None, bool]]:
    """(method, path, roles, open_read) of every API route, sign-out last (it revokes the token)."""
    rows = []
    for rc in iter_route_contexts(app.routes):
        if rc.path in DOCS:
            continue
        declared = declared_roles(rc.route)
        roles, open_read = declared if declared else (None, False)
        for method in sorted(rc.methods or ()):
            if method != "HEAD":
                rows.append((method, rc.path, roles, open_read))
    return sorted(rows, key=lambda r: r[1] == "/auth/logout")


@pytest.fixture(scope="module")
def matrix_client(db_url, engine, tmp_path_factory):
    tokens = make_role_users(engine, prefix="m-")
    settings = Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        yield client, tokens


def _call(client, method: str, path: str, headers: dict[str, str]):
    url = re.sub(r"\{[^}]+\}", "1", path)
    if path == "/auth/logout" and headers:  # sign out a second token, keep the matrix's own
        who = client.get("/auth/me", headers=headers).json()["username"]
        login = {"username": who, "password": PASSWORD}
        fresh = client.post("/auth/token", data=login).json()["access_token"]
        headers = bearer(fresh)
    if method in ("POST", "PATCH", "PUT"):
        if path == "/auth/token":
            return client.request(method, url, data={"username": "x", "password": "y"})
        return client.request(method, url, json={}, headers=headers)
    return client.request(method, url, headers=headers)


def test_every_route_declares_its_roles(matrix_client):
    client, _ = matrix_client
    table = route_table(client.app)
    assert len(table) >= 39
    undeclared = [(m, p) for m, p, roles, _ in table if roles is None]
    assert undeclared == []


@pytest.mark.parametrize("caller", CALLERS)
def test_route_matrix(matrix_client, caller):
    client, tokens = matrix_client
    headers = bearer(tokens[caller]) if caller != "anonymous" else {}
    wrong = []
    for method, path, roles, _open in route_table(client.app):
        r = _call(client, method, path, headers)
        allowed = caller in roles
        if allowed and r.status_code in (401, 403) and path != "/auth/token":
            wrong.append((method, path, r.status_code, "should be allowed"))
        if not allowed:
            expected = 401 if caller == "anonymous" else 403
            if r.status_code != expected:
                wrong.append((method, path, r.status_code, f"should be {expected}"))
            assert r.json()["kind"] == ("unauthenticated" if expected == 401 else "forbidden")
    assert wrong == []


def test_public_reads_setting_opens_reads_only(db_url, tmp_path):
    settings = Settings(database_url=db_url, data_dir=tmp_path, public_reads=True)
    with TestClient(create_app(settings)) as client:
        for method, path, roles, open_read in route_table(client.app):
            r = _call(client, method, path, {})
            if path == "/auth/token":
                assert r.status_code == 401  # the matrix's made-up password
            elif "anonymous" in roles or (open_read and method == "GET"):
                assert r.status_code not in (401, 403), (method, path, r.status_code)
            else:
                assert r.status_code == 401, (method, path, r.status_code)


def test_reads_are_only_gets(matrix_client):
    client, _ = matrix_client
    for method, path, roles, open_read in route_table(client.app):
        if open_read and "anonymous" not in roles:
            assert method == "GET", (method, path)


def test_bad_tokens_are_401_not_anonymous(matrix_client):
    client, tokens = matrix_client
    for token in ("nonsense", tokens["viewer"] + "x", "a" * 300):
        r = client.get("/health", headers=bearer(token))
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["kind"] == "unauthenticated"


def test_sign_in_me_and_sign_out(matrix_client):
    client, _ = matrix_client
    bad = client.post("/auth/token", data={"username": "m-inspector", "password": "wrong"})
    assert bad.status_code == 401 and bad.json()["kind"] == "unauthenticated"
    r = client.post(
        "/auth/token", data={"username": "m-inspector", "password": "correct horse battery"}
    )
    assert r.status_code == 200 and r.json()["role"] == "inspector"
    token = r.json()["access_token"]
    assert client.get("/auth/me", headers=bearer(token)).json() == {
        "username": "m-inspector",
        "role": "inspector",
        "contractor": None,
    }
    assert client.post("/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401


def test_disabled_user_is_locked_out(matrix_client, engine):
    from store.engine import session_scope
    from store.users import add_user, issue_token

    client, tokens = matrix_client
    with session_scope(engine) as s:
        token, _ = issue_token(s, add_user(s, "leaver", "engineer", "leaver-password"))
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    r = client.post("/users/leaver/disable", headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/auth/me", headers=bearer(token)).status_code == 401
    login = client.post("/auth/token", data={"username": "leaver", "password": "leaver-password"})
    assert login.status_code == 401
