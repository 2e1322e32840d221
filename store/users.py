"""Users, roles and bearer tokens (sign-in sessions for people, API keys for machines).

Passwords are hashed with argon2 (``pwdlib``). A token is 32 random bytes shown
once; only its SHA-256 is stored, so a copy of the database signs nobody in.
Roles: ``admin``, ``engineer``, ``inspector``, ``contractor`` (bound to one
contractor organisation) and ``viewer``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, UsageError
from store.models import TOKEN_KINDS, USER_ROLES, ApiToken, User, utcnow

SESSION_HOURS = 12.0
_HASHER = None


def _password_hasher():
    global _HASHER
    if _HASHER is None:
        from pwdlib import PasswordHash

        _HASHER = PasswordHash.recommended()
    return _HASHER


def hash_password(password: str) -> str:
    """The argon2 hash of ``password``."""
    return _password_hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; a user without a password never matches."""
    if not password_hash:
        return False
    try:
        return bool(_password_hasher().verify(password, password_hash))
    except Exception:  # a malformed stored hash is a non-match, not a crash
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check_user_fields(role: str, contractor: str | None) -> None:
    if role not in USER_ROLES:
        raise UsageError(f"unknown role {role!r}; one of {', '.join(USER_ROLES)}")
    if role == "contractor" and not contractor:
        raise UsageError("a contractor user needs --contractor ORGANISATION")
    if role != "contractor" and contractor:
        raise UsageError("only a contractor user belongs to a contractor organisation")


def add_user(
    session: Session,
    username: str,
    role: str,
    password: str | None = None,
    full_name: str = "",
    contractor: str | None = None,
) -> User:
    """Create a user; raise UsageError for an unknown role or a taken name."""
    username = username.strip()
    if not username or len(username) > 100:
        raise UsageError("a username is 1-100 characters")
    _check_user_fields(role, contractor)
    if get_user(session, username) is not None:
        raise UsageError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        contractor=contractor or None,
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def disable_user(session: Session, username: str) -> User:
    """Deactivate a user and revoke every token they hold."""
    user = get_user(session, username)
    if user is None:
        raise InputNotFoundError(f"no user {username!r}")
    user.active = False
    now = utcnow()
    for tok in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        tok.revoked_at = now
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = get_user(session, username)
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return user


def issue_token(
    session: Session,
    user: User,
    kind: str = "session",
    name: str = "",
    hours: float | None = SESSION_HOURS,
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user`` (returned once) and its stored record."""
    if kind not in TOKEN_KINDS:
        raise UsageError(f"unknown token kind {kind!r}; one of {', '.join(TOKEN_KINDS)}")
    token = ("rk_" if kind == "api_key" else "rs_") + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        kind=kind,
        name=name,
        created_at=now,
        expires_at=now + timedelta(hours=hours) if hours else None,
    )
    session.add(row)
    session.flush()
    return token, row


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to, or None."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def revoke_token(session: Session, token: str) -> bool:
    """Revoke a token (sign out); False when it was not known."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    session.flush()
    return True
