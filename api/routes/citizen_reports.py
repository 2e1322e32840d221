"""Citizen reports (FixMyStreet / Open311) and the contact centre's triage list.

Reports come in with ``roadcam fixmystreet import``; this route only reads. The triage rule is
``store.citizen_reports.triage_reports``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import ALL_ROLES, require_roles
from api.deps import SessionDep
from api.schemas.citizen_report import TriageList, TriageRow

router = APIRouter(
    tags=["citizen reports"], dependencies=[Depends(require_roles(*ALL_ROLES, open_read=True))]
)


@router.get("/citizen-reports/triage", response_model=TriageList)
def triage(
    session: SessionDep,
    passed_within_m: Annotated[float, Query(gt=0, le=100)] = 15.0,
) -> TriageList:
    """Every imported report with its segment, linked camera defect and verdict: seen,
    passed_not_seen, known_before or awaiting_pass."""
    from store.citizen_reports import triage_reports

    rows = [TriageRow(**r) for r in triage_reports(session, passed_within_m=passed_within_m)]
    return TriageList(reports=rows, count=len(rows))
