"""Users and tokens, the finding review life cycle, the audit trail, and serialised SpatiaLite writers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from geo.types import DefectCandidate
from roadcam.errors import InputNotFoundError, UsageError
from store.audit import history, record_event
from store.defects import save_defects, stored_defect_candidates
from store.engine import session_scope
from store.review import confirmed_defects_query, review_defect
from store.users import (
    add_user,
    authenticate,
    disable_user,
    issue_token,
    revoke_token,
    user_for_token,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POTHOLE = DefectCandidate(
    class_name="pothole",
    lon=0.5485,
    lat=51.386,
    segment_id="w1-0",
    chainage_m=35.0,
    offset_m=1.0,
    first_seen=T0,
    last_seen=T0,
    sightings=2,
    max_width_m=0.3,
    best_confidence=0.6,
    best_frame_index=1,
)


def test_passwords_are_hashed_and_checked(session):
    user = add_user(session, "ann", "inspector", "s3cret-pass")
    assert user.password_hash.startswith("$argon2") and "s3cret-pass" not in user.password_hash
    assert authenticate(session, "ann", "s3cret-pass") is user
    assert authenticate(session, "ann", "wrong") is None
    assert authenticate(session, "nobody", "s3cret-pass") is None
    with pytest.raises(UsageError):
        add_user(session, "ann", "inspector", "again")
    with pytest.raises(UsageError):
        add_user(session, "bob", "contractor", "pw-123456")  # no organisation
    with pytest.raises(UsageError):
        add_user(session, "bob", "wizard", "pw-123456")


def test_tokens_expire_revoke_and_die_with_the_user(session):
    user = add_user(session, "cat", "engineer", "pw-123456")
    token, row = issue_token(session, user, "session", hours=1)
    assert token.startswith("rs_") and row.token_hash != token
    assert user_for_token(session, token) is user
    assert user_for_token(session, token, now=T0 + timedelta(days=3650)) is None  # expired
    key, key_row = issue_token(session, user, "api_key", hours=None)
    assert key.startswith("rk_") and key_row.expires_at is None
    assert revoke_token(session, token) and user_for_token(session, token) is None
    disable_user(session, "cat")
    assert user_for_token(session, key) is None
    assert authenticate(session, "cat", "pw-123456") is None
    with pytest.raises(InputNotFoundError):
        disable_user(session, "nobody")


def test_audit_events_in_order(session):
    record_event(session, "defect", 7, "review", "ann", "proposed", "confirmed", "fine")
    record_event(session, "defect", 7, "status", "bob", "open", "closed")
    record_event(session, "defect", 8, "status", "bob", "open", "closed")
    rows = history(session, "defect", 7)
    assert [(e.action, e.actor, e.from_value, e.to_value) for e in rows] == [
        ("review", "ann", "proposed", "confirmed"),
        ("status", "bob", "open", "closed"),
    ]
    assert rows[0].at.tzinfo is not None


def test_new_findings_are_proposed_and_only_confirmed_count(session):
    a, b = save_defects(session, [POTHOLE, replace(POTHOLE, lon=0.549, class_name="crack")])
    assert session.scalars(confirmed_defects_query()).all() == []
    review_defect(session, a, "confirm", "ann")
    with pytest.raises(UsageError):
        review_defect(session, b, "reject", "ann")  # no reason
    review_defect(session, b, "reject", "ann", reason="duplicate")
    assert [d.id for d in session.scalars(confirmed_defects_query())] == [a]


def test_rejected_false_positive_seen_again_stays_rejected_unless_it_grew(session):
    (d,) = save_defects(session, [POTHOLE])
    review_defect(session, d, "reject", "ann", reason="false_positive")
    # the next survey merges into the stored (rejected) defect: it is among the merge targets
    assert d in [c.defect_id for c in stored_defect_candidates(session)]
    again = replace(POTHOLE, defect_id=d, last_seen=T0 + timedelta(days=7), sightings=3)
    save_defects(session, [again])
    from store.defects import get_defect

    assert get_defect(session, d).review_status == "rejected"
    grown = replace(again, last_seen=T0 + timedelta(days=14), max_width_m=0.6, sightings=4)
    save_defects(session, [grown])
    assert get_defect(session, d).review_status == "proposed"
    last = history(session, "defect", d)[-1]
    assert (last.actor, last.from_value, last.to_value) == ("pipeline", "rejected", "proposed")
    assert last.note == "seen again 0.60 m wide (was 0.30 m)"


def test_spatialite_writers_wait_instead_of_failing(db_url, engine):
    """8 threads, each 15 read-then-write transactions: 0 'database is locked'."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock is SpatiaLite's; PostGIS has row locks")
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from store.models import AuditEvent

    def writer(w: int) -> int:
        errors = 0
        for k in range(15):
            try:
                with session_scope(engine) as s:
                    n = s.scalar(select(func.count()).select_from(AuditEvent))
                    record_event(s, "test", w, "write", f"w{w}", n, k)
            except Exception:
                errors += 1
        return errors

    with ThreadPoolExecutor(8) as pool:
        errors = sum(pool.map(writer, range(8)))
    with session_scope(engine, readonly=True) as s:
        written = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.resource == "test")
        )
    assert (errors, written) == (0, 120)


def test_users_cli_add_list_token_disable(fresh_db_url, capsys):
    import json

    from pipeline.cli import main
    from store.engine import make_engine

    db = ["--database", fresh_db_url]
    assert main(["users", "add", "kim", "--role", "inspector", "--json", *db]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["role"] == "inspector" and len(added["password"]) >= 12
    assert main(["users", "add", "acme", "--role", "contractor", *db]) == 2  # no organisation
    assert "needs --contractor" in capsys.readouterr().err
    assert main(["users", "add", "acme", "--role", "contractor", "--contractor", "Acme", *db]) == 0
    capsys.readouterr()
    assert main(["users", "list", *db]) == 0
    assert capsys.readouterr().out.splitlines() == ["acme: contractor [Acme]", "kim: inspector"]
    assert main(["users", "token", "kim", "--api-key", "--json", *db]) == 0
    key = json.loads(capsys.readouterr().out)
    assert key["kind"] == "api_key" and key["expires_at"] is None
    engine = make_engine(fresh_db_url)
    try:
        with session_scope(engine, readonly=True) as s:
            assert user_for_token(s, key["token"]).username == "kim"
        assert main(["users", "disable", "kim", *db]) == 0
        with session_scope(engine, readonly=True) as s:
            assert user_for_token(s, key["token"]) is None
            assert [e.action for e in history(s, "user", "kim")] == ["add", "disable"]
    finally:
        engine.dispose()
    assert main(["users", "token", "kim", *db]) == 2  # disabled
    assert main(["users", "disable", "nobody", *db]) == 11
