"""The audit trail: ``GET /{resource}/{id}/history`` for defects, claims, permits and segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.auth import Principal, Reader
from api.deps import ClaimIdPath, DefectIdPath, IdPath, KeyPath, OffsetQuery, SessionDep
from api.schemas.auth import AuditEventPublic, History

router = APIRouter(tags=["history"])

LimitQuery = Annotated[int, Query(ge=1, le=1000)]


def _history(session, resource: str, resource_id, limit: int, offset: int) -> History:
    from store.audit import history

    rows = history(session, resource, resource_id, limit=limit, offset=offset)
    return History(
        resource=resource,
        resource_id=str(resource_id),
        events=[AuditEventPublic.model_validate(r) for r in rows],
        count=len(rows),
    )


@router.get("/defects/{defect_id}/history", response_model=History)
def defect_history(
    defect_id: DefectIdPath,
    session: SessionDep,
    _: Reader,
    limit: LimitQuery = 500,
    offset: OffsetQuery = 0,
) -> History:
    """Who proposed, confirmed, rejected, corrected, closed or reopened this finding, and when."""
    from store.defects import get_defect

    if get_defect(session, defect_id) is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    return _history(session, "defect", defect_id, limit, offset)


@router.get("/repair-claims/{claim_id}/history", response_model=History)
def claim_history(
    claim_id: ClaimIdPath,
    session: SessionDep,
    user: Reader,
    limit: LimitQuery = 500,
    offset: OffsetQuery = 0,
) -> History:
    """A repair claim's filing and decisions (a contractor sees only its own claims)."""
    from store.claims import get_repair_claim

    claim = get_repair_claim(session, claim_id)
    if claim is None or not may_see_claim(user, claim.contractor):
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    return _history(session, "repair_claim", claim_id, limit, offset)


@router.get("/skip-permits/{permit_id}/history", response_model=History)
def permit_history(
    permit_id: IdPath,
    session: SessionDep,
    _: Reader,
    limit: LimitQuery = 500,
    offset: OffsetQuery = 0,
) -> History:
    """A skip permit's creation and every change to it."""
    from store.permits import get_skip_permit

    if get_skip_permit(session, permit_id) is None:
        raise HTTPException(status_code=404, detail=f"no skip permit {permit_id}")
    return _history(session, "skip_permit", permit_id, limit, offset)


@router.get("/segments/{segment_id}/history", response_model=History)
def segment_history(
    segment_id: KeyPath,
    session: SessionDep,
    _: Reader,
    limit: LimitQuery = 500,
    offset: OffsetQuery = 0,
) -> History:
    """A segment's hierarchy overrides: who set which category, and why."""
    from store.segments import get_segment

    if get_segment(session, segment_id) is None:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id!r}")
    return _history(session, "segment", segment_id, limit, offset)


def may_see_claim(user: Principal, contractor: str) -> bool:
    """A contractor sees only its own organisation's claims; everyone else with a role sees all."""
    return user.role != "contractor" or contractor == user.contractor
