"""Sign-in, users and the audit trail's events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "engineer", "inspector", "contractor", "viewer"]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime | None
    username: str
    role: Role


class Me(BaseModel):
    username: str
    role: Role
    contractor: str | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    full_name: str
    role: Role
    contractor: str | None = None
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    full_name: str = Field(default="", max_length=200)
    contractor: str | None = Field(default=None, min_length=1, max_length=200)


class UserList(BaseModel):
    users: list[UserPublic]
    count: int


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource: str
    resource_id: str
    action: str
    actor: str
    at: datetime
    from_value: str | None = None
    to_value: str | None = None
    note: str | None = None


class History(BaseModel):
    resource: str
    resource_id: str
    events: list[AuditEventPublic]
    count: int


class JobPublic(BaseModel):
    """A background job: ``queued`` -> ``running`` -> ``done`` (with ``result``) or ``failed``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class JobList(BaseModel):
    jobs: list[JobPublic]
    count: int
