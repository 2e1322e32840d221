"""Repair claims: contractors' claims, checked against later footage, decided by inspectors before payment."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from api.auth import CLAIM_DECIDERS, CLAIMANTS, Principal, Reader, require_roles
from api.deps import ClaimIdPath, DefectIdPath, OffsetQuery, SessionDep
from api.routes.history import may_see_claim
from api.schemas.repair import (
    ClaimStatus,
    RepairClaimCreate,
    RepairClaimDecision,
    RepairClaimList,
    RepairClaimPublic,
)

router = APIRouter(tags=["repairs"])


@router.post(
    "/defects/{defect_id}/repair-claims", response_model=RepairClaimPublic, status_code=201
)
def create_claim(
    defect_id: DefectIdPath,
    body: RepairClaimCreate,
    session: SessionDep,
    user: Annotated[Principal, Depends(require_roles(*CLAIMANTS))],
) -> RepairClaimPublic:
    """Record a claim; the defect becomes ``repair_claimed`` until footage or an inspector decides."""

    from store.audit import record_event
    from store.claims import create_repair_claim

    if not may_see_claim(user, body.contractor):
        raise HTTPException(
            status_code=403, detail="a contractor files claims only in its own name"
        )
    claimed_at = body.claimed_at
    if claimed_at is not None and claimed_at.tzinfo is None:
        claimed_at = claimed_at.replace(tzinfo=UTC)
    evidence = {"contractor_note": body.note} if body.note else None
    claim = create_repair_claim(
        session, defect_id, body.contractor, body.reference, claimed_at, evidence=evidence
    )
    record_event(
        session, "repair_claim", claim.id, "file", user.username, None, "pending", body.note
    )
    return RepairClaimPublic.model_validate(claim)


@router.get("/defects/{defect_id}/repair-claims", response_model=RepairClaimList)
def defect_claims(defect_id: DefectIdPath, session: SessionDep, user: Reader) -> RepairClaimList:
    from store.claims import list_repair_claims

    rows = [
        r
        for r in list_repair_claims(session, defect_id=defect_id)
        if may_see_claim(user, r.contractor)
    ]
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get("/repair-claims", response_model=RepairClaimList)
def list_claims(
    session: SessionDep,
    user: Reader,
    status: Annotated[ClaimStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: OffsetQuery = 0,
) -> RepairClaimList:
    """Claims, newest first; ``status=pending`` is the inspectors' queue (a contractor: its own)."""
    from store.claims import list_repair_claims

    rows = list_repair_claims(session, status=status, limit=None)
    rows = [r for r in rows if may_see_claim(user, r.contractor)][offset : offset + limit]
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.post("/repair-claims/{claim_id}/decision", response_model=RepairClaimPublic)
def decide_claim(
    claim_id: ClaimIdPath,
    body: RepairClaimDecision,
    session: SessionDep,
    user: Annotated[Principal, Depends(require_roles(*CLAIM_DECIDERS))],
) -> RepairClaimPublic:
    """An inspector verifies (the defect is repaired) or rejects (still present) a pending claim."""
    from store.audit import record_event
    from store.claims import get_repair_claim, set_claim_status
    from store.defects import set_defect_status

    claim = get_repair_claim(session, claim_id)
    if claim is None:
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    before = claim.status
    claim = set_claim_status(
        session,
        claim_id,
        body.status,
        evidence={"inspector_note": body.note} if body.note else None,
    )
    set_defect_status(
        session,
        claim.defect_id,
        "verified_repaired" if body.status == "verified" else "still_present",
        note=body.note or f"claim {claim_id} {body.status} by an inspector",
        actor=user.username,
    )
    record_event(
        session, "repair_claim", claim_id, "decision", user.username, before, body.status, body.note
    )
    return RepairClaimPublic.model_validate(claim)
