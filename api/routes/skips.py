"""Skips on the highway checked against the council's permit register, with the charge."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from api.auth import Engineer, Reader
from api.deps import OffsetQuery, SessionDep
from api.schemas.skip import SkipFindingList, SkipPermitCreate, SkipPermitPublic

router = APIRouter(tags=["skips"])


def _utc(t):
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


@router.post("/skip-permits", response_model=SkipPermitPublic, status_code=201)
def create_permit(body: SkipPermitCreate, session: SessionDep, user: Engineer) -> SkipPermitPublic:
    """Add a permit, or update the one with the same reference (placed by street when no lon/lat)."""
    from roadcam.errors import CorruptInputError
    from store.audit import record_event
    from store.permits import get_skip_permit_by_reference, import_skip_permits

    old = get_skip_permit_by_reference(session, body.reference)
    before = None if old is None else f"{old.valid_from.isoformat()}/{old.valid_to.isoformat()}"
    row = body.model_dump() | {"valid_from": _utc(body.valid_from), "valid_to": _utc(body.valid_to)}
    try:
        import_skip_permits(session, [row])
    except CorruptInputError as err:
        raise HTTPException(
            status_code=422, detail=str(err).replace("permit register row 2: ", "")
        ) from err
    permit = get_skip_permit_by_reference(session, body.reference)
    after = f"{permit.valid_from.isoformat()}/{permit.valid_to.isoformat()}"
    action = "create" if old is None else "update"
    record_event(session, "skip_permit", permit.id, action, user.username, before, after)
    return SkipPermitPublic.model_validate(permit)


def _findings(request: Request, session, radius_m: float | None, unpermitted_only: bool) -> dict:
    from hierarchy.skip_policy import charged_findings, load_skip_policy
    from store.skip_enforcement import skip_findings

    policy = getattr(request.app.state, "skip_policy", None) or load_skip_policy()
    radius = radius_m if radius_m is not None else policy.evidence.permit_radius_m.value
    rows = charged_findings(
        skip_findings(session, int(policy.evidence.min_sightings.value), radius), policy
    )
    listed = [r for r in rows if not r["permitted"]] if unpermitted_only else rows
    return {
        "policy": policy.name,
        "skips": listed,
        "unpermitted": sum(not r["permitted"] for r in rows),
    }


@router.get("/skips", response_model=SkipFindingList)
def check_skips(
    request: Request,
    session: SessionDep,
    _: Reader,
    radius_m: Annotated[float | None, Query(gt=0, le=200)] = None,
    unpermitted_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: OffsetQuery = 0,
) -> SkipFindingList:
    """Every chargeable skip seen on the highway: permit state, street, days, evidence, charge."""
    found = _findings(request, session, radius_m, unpermitted_only)
    found["skips"] = found["skips"][offset : offset + limit]
    return SkipFindingList(**found)


@router.get("/skips.csv", response_class=Response)
def skips_csv(
    request: Request,
    session: SessionDep,
    _: Reader,
    radius_m: Annotated[float | None, Query(gt=0, le=200)] = None,
    unpermitted_only: bool = True,
) -> Response:
    """The enforcement list as CSV (the same columns as ``roadcam skips check --csv``)."""
    from hierarchy.skip_policy import CSV_COLUMNS, csv_row

    rows = _findings(request, session, radius_m, unpermitted_only)["skips"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
    w.writeheader()
    w.writerows(csv_row(r) for r in rows)
    return Response(buf.getvalue(), media_type="text/csv")
