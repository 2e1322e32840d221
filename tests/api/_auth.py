"""Test helpers: one user per role in a database, and their bearer tokens."""

from __future__ import annotations

ROLES = ("admin", "engineer", "inspector", "contractor", "viewer")
PASSWORD = "correct horse battery"
CONTRACTOR_ORG = "Acme Roads"


def make_role_users(engine, prefix: str = "") -> dict[str, str]:
    """Create ``<prefix><role>`` users (contractor: Acme Roads); return {role: bearer token}."""
    from store.engine import session_scope
    from store.users import add_user, issue_token

    tokens: dict[str, str] = {}
    with session_scope(engine) as s:
        for role in ROLES:
            org = CONTRACTOR_ORG if role == "contractor" else None
            user = add_user(s, f"{prefix}{role}", role, PASSWORD, contractor=org)
            tokens[role], _ = issue_token(s, user, "session")
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
