"""Users (admin only): list, add, disable. The CLI has the same: ``roadcam users ...``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.auth import Admin
from api.deps import OffsetQuery, SessionDep
from api.schemas.auth import UserCreate, UserList, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=UserList)
def list_users(
    session: SessionDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
) -> UserList:
    from store.users import list_users as query

    rows = query(session)[offset : offset + limit]
    return UserList(users=[UserPublic.model_validate(u) for u in rows], count=len(rows))


@router.post("", response_model=UserPublic, status_code=201)
def add_user(body: UserCreate, session: SessionDep, admin: Admin) -> UserPublic:
    from store.audit import record_event
    from store.users import add_user as add
    from store.users import get_user

    if get_user(session, body.username) is not None:
        raise HTTPException(status_code=409, detail=f"user {body.username!r} already exists")
    user = add(session, body.username, body.role, body.password, body.full_name, body.contractor)
    record_event(session, "user", user.username, "add", admin.username, None, user.role)
    return UserPublic.model_validate(user)


@router.post("/{username}/disable", response_model=UserPublic)
def disable_user(
    username: Annotated[str, Path(min_length=1, max_length=100)], session: SessionDep, admin: Admin
) -> UserPublic:
    """Deactivate a user and revoke their tokens."""
    from store.audit import record_event
    from store.users import disable_user as disable

    user = disable(session, username)
    record_event(session, "user", user.username, "disable", admin.username, "active", "disabled")
    return UserPublic.model_validate(user)
