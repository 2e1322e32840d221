"""Repair claims: contractors' claims, checked against later footage, decided by inspectors before payment."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import SessionDep
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
def create_claim(defect_id: int, body: RepairClaimCreate, session: SessionDep) -> RepairClaimPublic:
    """Record a claim; the defect becomes ``repair_claimed`` until footage or an inspector decides."""

    from store.claims import create_repair_claim

    claimed_at = body.claimed_at
    if claimed_at is not None and claimed_at.tzinfo is None:
        claimed_at = claimed_at.replace(tzinfo=UTC)
    claim = create_repair_claim(session, defect_id, body.contractor, body.reference, claimed_at)
    return RepairClaimPublic.model_validate(claim)


@router.get("/defects/{defect_id}/repair-claims", response_model=RepairClaimList)
def defect_claims(defect_id: int, session: SessionDep) -> RepairClaimList:
    from store.claims import list_repair_claims

    rows = list_repair_claims(session, defect_id=defect_id)
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get("/repair-claims", response_model=RepairClaimList)
def list_claims(
    session: SessionDep,
    status: Annotated[ClaimStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> RepairClaimList:
    """Claims, newest first; ``status=pending`` is the inspectors' queue."""
    from store.claims import list_repair_claims

    rows = list_repair_claims(session, status=status, limit=limit)
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.post("/repair-claims/{claim_id}/decision", response_model=RepairClaimPublic)
def decide_claim(
    claim_id: int, body: RepairClaimDecision, session: SessionDep
) -> RepairClaimPublic:
    """An inspector verifies (the defect is repaired) or rejects (still present) a pending claim."""
    from store.claims import get_repair_claim, set_claim_status
    from store.defects import set_defect_status

    claim = get_repair_claim(session, claim_id)
    if claim is None:
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
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
    )
    return RepairClaimPublic.model_validate(claim)
