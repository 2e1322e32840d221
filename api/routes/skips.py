"""Skips on the highway checked against the council's permit register."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Engineer, Reader
from api.deps import OffsetQuery, SessionDep
from api.schemas.skip import SkipCheck, SkipCheckList, SkipPermitCreate, SkipPermitPublic

router = APIRouter(tags=["skips"])


def _utc(t):
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


@router.post("/skip-permits", response_model=SkipPermitPublic, status_code=201)
def create_permit(body: SkipPermitCreate, session: SessionDep, user: Engineer) -> SkipPermitPublic:
    """Add a permit, or update the one with the same reference."""
    from store.audit import record_event
    from store.permits import create_skip_permit, get_permit_by_reference

    old = get_permit_by_reference(session, body.reference)
    before = None if old is None else f"{old.valid_from.isoformat()}/{old.valid_to.isoformat()}"
    permit = create_skip_permit(
        session,
        body.reference,
        body.lon,
        body.lat,
        _utc(body.valid_from),
        _utc(body.valid_to),
        body.address,
        body.holder,
    )
    after = f"{permit.valid_from.isoformat()}/{permit.valid_to.isoformat()}"
    action = "create" if old is None else "update"
    record_event(session, "skip_permit", permit.id, action, user.username, before, after)
    return SkipPermitPublic.model_validate(permit)


@router.get("/skips", response_model=SkipCheckList)
def check_skips(
    session: SessionDep,
    _: Reader,
    radius_m: Annotated[float, Query(gt=0, le=200)] = 20.0,
    unpermitted_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: OffsetQuery = 0,
) -> SkipCheckList:
    """Every skip seen on the highway, with the permit that covers it (valid on the day it was last seen)."""
    from store.permits import check_skips_against_permits

    rows = [SkipCheck(**r) for r in check_skips_against_permits(session, radius_m=radius_m)]
    if unpermitted_only:
        rows = [r for r in rows if not r.permitted]
    unpermitted = sum(not r.permitted for r in rows)
    return SkipCheckList(skips=rows[offset : offset + limit], unpermitted=unpermitted)
