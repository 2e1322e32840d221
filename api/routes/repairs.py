"""Repair claims: contractors' claims, checked against later footage, decided by inspectors before payment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse

from api.auth import CLAIM_DECIDERS, CLAIMANTS, Principal, Reader, require_roles
from api.deps import ClaimIdPath, DefectIdPath, OffsetQuery, SessionDep
from api.routes.history import may_see_claim
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
def create_claim(
    defect_id: DefectIdPath,
    body: RepairClaimCreate,
    session: SessionDep,
    user: Annotated[Principal, Depends(require_roles(*CLAIMANTS))],
) -> RepairClaimPublic:
    """Record a claim; the defect becomes ``repair_claimed`` until an inspector decides."""
    from store.audit import record_event
    from store.claims import create_repair_claim

    if not may_see_claim(user, body.contractor):
        raise HTTPException(
            status_code=403, detail="a contractor files claims only in its own name"
        )
    evidence = {"contractor_note": body.note} if body.note else None
    claim = create_repair_claim(
        session, defect_id, body.contractor, body.reference, body.claimed_at, evidence=evidence
    )
    record_event(
        session, "repair_claim", claim.id, "file", user.username, None, "pending", body.note
    )
    return RepairClaimPublic.model_validate(claim)


def _own_claim(session, claim_id: int, user: Principal):
    """The claim, or 404 when it does not exist or belongs to another contractor."""
    from store.claims import get_repair_claim

    claim = get_repair_claim(session, claim_id)
    if claim is None or not may_see_claim(user, claim.contractor):
        raise HTTPException(status_code=404, detail=f"no repair claim {claim_id}")
    return claim


@router.get("/defects/{defect_id}/repair-claims", response_model=RepairClaimList)
def defect_claims(defect_id: DefectIdPath, session: SessionDep, user: Reader) -> RepairClaimList:
    """A defect's claims (a contractor sees its own); 404 when there is no such defect."""
    from store.claims import list_repair_claims
    from store.defects import get_defect

    if get_defect(session, defect_id) is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")

    rows = [
        r
        for r in list_repair_claims(session, defect_id=defect_id)
        if may_see_claim(user, r.contractor)
    ]
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
    user: Reader,
    status: Annotated[ClaimStatus | None, Query()] = None,
    contractor: Annotated[str | None, Query(description="exact name, any case")] = None,
    verdict: Annotated[MachineVerdict | None, Query(description="the machine's proposal")] = None,
    claimed_from: Annotated[date | None, Query()] = None,
    claimed_to: Annotated[date | None, Query(description="included")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: OffsetQuery = 0,
) -> RepairClaimList:
    """Claims, newest first; ``status=pending`` is the inspectors' queue (a contractor: its own)."""
    from store.claims import list_repair_claims

    start, end = _period(claimed_from, claimed_to)
    rows = list_repair_claims(
        session,
        status=status,
        limit=None,
        contractor=contractor,
        verdict=verdict,
        claimed_from=start,
        claimed_to=end,
    )
    rows = [r for r in rows if may_see_claim(user, r.contractor)][offset : offset + limit]
    return RepairClaimList(
        claims=[RepairClaimPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get(
    "/repair-claims/report",
    response_model=RepairReport,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def payment_report(
    request: Request,
    session: SessionDep,
    user: Reader,
    contractor: Annotated[str | None, Query()] = None,
    claimed_from: Annotated[date | None, Query(alias="from")] = None,
    claimed_to: Annotated[date | None, Query(alias="to", description="included")] = None,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
):
    """The payment report of a contractor's claims in a period: verified (payable), rejected, pending."""
    from store.claim_report import report_csv, report_html
    from store.claims import repair_claims_report

    if user.role == "contractor":  # a contractor sees only its own claims
        contractor = user.contractor
    start, end = _period(claimed_from, claimed_to)
    report = repair_claims_report(session, contractor, start, end)
    if format == "csv":
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", contractor or "all")[:80]
        name = f"repairs_{safe}.csv"
        return PlainTextResponse(
            report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if format == "html":
        # a self-contained page (crops inlined): a finance officer can save or forward it
        data_dir = FilePath(request.app.state.settings.data_dir).resolve()
        return HTMLResponse(
            report_html(report, lambda _r, _kind, _n, ref: _inline_jpeg(data_dir, ref))
        )
    return RepairReport.model_validate(report)


def _inline_jpeg(data_dir: FilePath, ref: str | None) -> str:
    """A crop as a data: URI ("" when it is missing or outside the data folder)."""
    import base64

    path = (data_dir / ref).resolve() if ref else None
    if path is None or data_dir not in path.parents or not path.is_file():
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@router.get("/repair-claims/{claim_id}", response_model=RepairClaimPublic)
def get_claim(claim_id: ClaimIdPath, session: SessionDep, user: Reader) -> RepairClaimPublic:
    """One claim with its evidence (before/after crops and measures) and decisions."""
    return RepairClaimPublic.model_validate(_own_claim(session, claim_id, user))


@router.get("/repair-claims/{claim_id}/crops/{kind}/{n}", response_class=FileResponse)
def claim_crop(
    claim_id: ClaimIdPath,
    kind: Literal["before", "after"],
    n: Annotated[int, Path(ge=0, le=10_000)],
    session: SessionDep,
    request: Request,
    user: Reader,
) -> FileResponse:
    """Crop ``n`` of the spot before (the survey that found it) or after (the checking survey)."""
    claim = _own_claim(session, claim_id, user)
    refs = [v["crop"] for v in (claim.evidence or {}).get(kind, []) if v.get("crop")]
    if not 0 <= n < len(refs):
        raise HTTPException(status_code=404, detail=f"claim {claim_id} has no {kind} crop {n}")
    data_dir = FilePath(request.app.state.settings.data_dir).resolve()
    path = (data_dir / refs[n]).resolve()
    if data_dir not in path.parents or not path.is_file():
        raise HTTPException(status_code=404, detail=f"{kind} crop {n} is not available")
    return FileResponse(path, media_type="image/jpeg")


@router.post("/repair-claims/{claim_id}/decision", response_model=RepairClaimPublic)
def decide_claim(
    claim_id: ClaimIdPath,
    body: RepairClaimDecision,
    session: SessionDep,
    user: Annotated[Principal, Depends(require_roles(*CLAIM_DECIDERS))],
) -> RepairClaimPublic:
    """An inspector verifies (payable) or rejects a claim, with a reason; the signed-in user is
    the one who decides (recorded on the claim and in the audit trail).

    Either way, whatever the footage proposed; a decided claim may be decided again.
    """
    from store.audit import record_event
    from store.claims import decide_repair_claim, get_repair_claim

    before = getattr(get_repair_claim(session, claim_id), "status", None)
    claim = decide_repair_claim(session, claim_id, body.status, user.username, body.reason)
    record_event(
        session,
        "repair_claim",
        claim_id,
        "decision",
        user.username,
        before,
        body.status,
        body.reason,
    )
    return RepairClaimPublic.model_validate(claim)
