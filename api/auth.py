"""Who is calling, and may they: bearer tokens, roles, and the ``require_roles`` dependency.

People sign in at ``POST /auth/token`` (OAuth2 password flow) and get a bearer
token; machines use an API key made with ``roadcam users token NAME --api-key``.
Both go in ``Authorization: Bearer ...``. Every route declares the roles it
allows with :func:`require_roles` (or :func:`public` for the few open ones);
``tests/api/test_api_auth_matrix.py`` walks the app's route table and checks
each one for every role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from store.models import USER_ROLES

ALL_ROLES = USER_ROLES
#: People who decide findings and claims on the council's behalf.
REVIEWERS = ("admin", "engineer", "inspector")
#: People who change plans and registers (hierarchy, permits).
ENGINEERS = ("admin", "engineer")
#: Who may decide a contractor's repair claim.
CLAIM_DECIDERS = ("admin", "inspector")
#: Who may file a repair claim (a contractor only for its own organisation).
CLAIMANTS = ("admin", "engineer", "inspector", "contractor")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """The signed-in caller, as the routes see them."""

    id: int | None
    username: str
    role: str
    contractor: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.id is None


ANONYMOUS = Principal(id=None, username="anonymous", role="anonymous")


def _unauthenticated(detail: str = "sign in first (Authorization: Bearer TOKEN)") -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller behind the bearer token, or :data:`ANONYMOUS` when there is none.

    A token that is present but wrong, expired or revoked is a 401, never anonymous.
    """
    if not token:
        return ANONYMOUS
    from store.engine import session_scope
    from store.users import user_for_token

    if len(token) > 200 or "\x00" in token:
        raise _unauthenticated("invalid token")
    with session_scope(request.app.state.engine, readonly=True) as session:
        user = user_for_token(session, token)
        if user is None:
            raise _unauthenticated("invalid, expired or revoked token")
        return Principal(user.id, user.username, user.role, user.contractor)


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_roles(*roles: str, open_read: bool = False) -> Callable[..., Principal]:
    """A dependency that lets only ``roles`` through (401 anonymous, 403 other roles).

    ``open_read`` marks a read: anonymous callers pass when ``settings.public_reads`` is on.
    The allowed roles are kept on the dependency (``.roles``, ``.open_read``) for the route
    matrix test and the docs.
    """
    unknown = set(roles) - set(ALL_ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def dependency(request: Request, user: CurrentUser) -> Principal:
        if user.is_anonymous:
            if open_read and request.app.state.settings.public_reads:
                return user
            raise _unauthenticated()
        if user.role not in roles:
            raise HTTPException(
                status_code=403,
                detail=f"role {user.role!r} may not do this (allowed: {', '.join(roles)})",
            )
        return user

    dependency.roles = tuple(roles)  # type: ignore[attr-defined]
    dependency.open_read = open_read  # type: ignore[attr-defined]
    return dependency


def public() -> Callable[..., Principal]:
    """A dependency for the few routes anyone may call (health, sign-in, the web pages)."""

    def dependency(user: CurrentUser) -> Principal:
        return user

    dependency.roles = ("anonymous", *ALL_ROLES)  # type: ignore[attr-defined]
    dependency.open_read = True  # type: ignore[attr-defined]
    return dependency


Reader = Annotated[Principal, Depends(require_roles(*ALL_ROLES, open_read=True))]
Reviewer = Annotated[Principal, Depends(require_roles(*REVIEWERS))]
Engineer = Annotated[Principal, Depends(require_roles(*ENGINEERS))]
Admin = Annotated[Principal, Depends(require_roles("admin"))]


def declared_roles(route: object) -> tuple[tuple[str, ...], bool] | None:
    """The roles a route's :func:`require_roles`/:func:`public` dependency allows, and open_read.

    None when the route declares none (the route matrix test fails such a route).
    """
    dependant = getattr(route, "dependant", None)
    stack = list(getattr(dependant, "dependencies", []))
    while stack:
        dep = stack.pop()
        call = getattr(dep, "call", None)
        if hasattr(call, "roles"):
            return call.roles, call.open_read
        stack.extend(getattr(dep, "dependencies", []))
    return None
