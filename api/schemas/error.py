"""The one error body every non-2xx answer has: ``detail`` and ``kind``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """``detail`` is a message, or (422) the list of what failed validation."""

    detail: str | list[ValidationItem]
    kind: str = Field(
        description="unauthenticated, forbidden, not_found, validation, invalid_transition, "
        "conflict, too_large, database, usage, http, ..."
    )


def error_responses() -> dict[int | str, dict]:
    """The error statuses every route may answer, all with :class:`ErrorBody`."""
    what = {
        400: "a value the domain refuses (unknown status, bad combination)",
        401: "not signed in, or the token is invalid, expired or revoked",
        403: "signed in, but the role may not do this",
        404: "no such resource",
        409: "conflicts with the current state (life cycle, duplicate)",
        413: "request body too large",
        422: "invalid request (validation, NUL bytes, out-of-range ids)",
        503: "database unavailable or busy",
    }
    return {code: {"model": ErrorBody, "description": text} for code, text in what.items()}
