"""Repair claims: contractors' claims, checked against later footage, decided by inspectors before payment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse

from api.deps import SessionDep
from api.schemas.repair import (
    ClaimStatus,
    MachineVerdict,
    RepairClaimCreate,
    RepairClaimDecision,
    RepairClaimList,
    RepairClaimPublic,
    RepairReport,
)

router = APIRouter(tags=["repairs"])


@router.post(
    "/defects/{defect_id}/repair-claims", response_model=RepairClaimPublic, status_code=201
)
def create_claim(defect_id: int, body: RepairClaimCreate, session: SessionDep) -> RepairClaimPublic:
    """Record a claim; the defect becomes ``repair_claimed`` until an inspector decides."""

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


def _period(
    claimed_from: date | None, claimed_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Whole days, ``claimed_to`` included."""
    start = datetime.combine(claimed_from, datetime.min.time(), UTC) if claimed_from else None
    end = (
        datetime.combine(claimed_to, datetime.min.time(), UTC) + timedelta(days=1)
        if claimed_to
        else None
    )
    return start, end


@router.get("/repair-claims", response_model=RepairClaimList)
def list_claims(
    session: SessionDep,
    status: Annotated[ClaimStatus | None, Query()] = None,
    contractor: Annotated[str | None, Query(description="exact name, any case")] = None,
    verdict: Annotated[MachineVerdict | None, Query(description="the machine's proposal")] = None,
    claimed_from: Annotated[date | None, Query()] = None,
    claimed_to: Annotated[date | None, Query(description="included")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> RepairClaimList:
    """Claims, newest first; ``status=pending`` is the inspectors' queue."""
    from store.claims import list_repair_claims

    start, end = _period(claimed_from, claimed_to)
    rows = list_repair_claims(
        session,
        status=status,
        limit=limit,
        contractor=contractor,
        verdict=verdict,
        claimed_from=start,
        claimed_to=end,
    )
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get(
    "/repair-claims/report",
    response_model=RepairReport,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def payment_report(
    session: SessionDep,
    contractor: Annotated[str | None, Query()] = None,
    claimed_from: Annotated[date | None, Query(alias="from")] = None,
    claimed_to: Annotated[date | None, Query(alias="to", description="included")] = None,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
):
    """The payment report of a contractor's claims in a period: verified (payable), rejected, pending."""
    from store.claim_report import report_csv, report_html
    from store.claims import repair_claims_report

    start, end = _period(claimed_from, claimed_to)
    report = repair_claims_report(session, contractor, start, end)
    if format == "csv":
        name = f"repairs_{(contractor or 'all').replace(' ', '_')}.csv"
        return PlainTextResponse(
            report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if format == "html":
        return HTMLResponse(
            report_html(
                report, lambda r, kind, n, _ref: f"/repair-claims/{r['claim_id']}/crops/{kind}/{n}"
            )
        )
    return RepairReport.model_validate(report)


@router.get("/repair-claims/{claim_id}", response_model=RepairClaimPublic)
def get_claim(claim_id: int, session: SessionDep) -> RepairClaimPublic:
    """One claim with its evidence (before/after crops and measures) and decisions."""
    from store.claims import get_repair_claim

    claim = get_repair_claim(session, claim_id)
    if claim is None:
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    return RepairClaimPublic.model_validate(claim)


@router.get("/repair-claims/{claim_id}/crops/{kind}/{n}", response_class=FileResponse)
def claim_crop(
    claim_id: int, kind: Literal["before", "after"], n: int, session: SessionDep, request: Request
) -> FileResponse:
    """Crop ``n`` of the spot before (the survey that found it) or after (the checking survey)."""
    from store.claims import get_repair_claim

    claim = get_repair_claim(session, claim_id)
    if claim is None:
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    refs = [v["crop"] for v in (claim.evidence or {}).get(kind, []) if v.get("crop")]
    if not 0 <= n < len(refs):
        raise HTTPException(status_code=404, detail=f"claim {claim_id} has no {kind} crop {n}")
    data_dir = Path(request.app.state.settings.data_dir).resolve()
    path = (data_dir / refs[n]).resolve()
    if data_dir not in path.parents or not path.is_file():
        raise HTTPException(status_code=404, detail=f"{kind} crop {n} is not available")
    return FileResponse(path, media_type="image/jpeg")


@router.post("/repair-claims/{claim_id}/decision", response_model=RepairClaimPublic)
def decide_claim(
    claim_id: int, body: RepairClaimDecision, session: SessionDep
) -> RepairClaimPublic:
    """An inspector verifies (payable) or rejects a claim, with their name and reason.

    Either way, whatever the footage proposed; a decided claim may be decided again.
    """
    from store.claims import decide_repair_claim

    claim = decide_repair_claim(session, claim_id, body.status, body.decided_by, body.reason)
    return RepairClaimPublic.model_validate(claim)
