"""Defects: list and filter (JSON or GeoJSON), one, status changes, evidence image."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from api.auth import Reader, Reviewer
from api.deps import BBoxDep, DefectIdPath, OffsetQuery, SessionDep
from api.filters import ClassQuery, DefectFilterDep
from api.schemas.common import FeatureCollection
from api.schemas.defect import DefectList, DefectPublic, DefectStatus, DefectStatusUpdate

router = APIRouter(prefix="/defects", tags=["defects"])


StatusQuery = Annotated[list[DefectStatus] | None, Query()]
AfterIdQuery = Annotated[
    int | None,
    Query(ge=0, le=2**31 - 1, description="keyset paging: defects with id > after_id"),
]


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("", response_model=DefectList)
def list_defects(
    session: SessionDep,
    _: Reader,
    bbox: BBoxDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
    segment_id: Annotated[list[str] | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="last seen on or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    after_id: AfterIdQuery = None,
    offset: OffsetQuery = 0,
) -> Response:
    """Defects by id, one page, the JSON built by the database; ``total`` counts all pages
    (exactly up to 10,000: ``total_exact``); page on with ``after_id=next_after_id``."""
    from store.defect_filter import DefectFilter
    from store.defect_json import defects_page_json

    flt = DefectFilter(
        bbox=bbox,
        class_names=class_name,
        statuses=status,
        segment_ids=segment_id,
        last_seen_from=since,
    )
    return _json(defects_page_json(session, flt, limit=limit, after_id=after_id, offset=offset))


@router.get("/geojson", response_model=FeatureCollection)
def defects_geojson(
    session: SessionDep,
    _: Reader,
    filters: DefectFilterDep,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
    after_id: AfterIdQuery = None,
) -> Response:
    """Defects as GeoJSON points, for the map: filtered by class, status, risk, road, bbox and
    first/last seen dates (the same filters as ``/exports/defects.{format}``), by id, the JSON
    built by the database; ``total`` and paging as in ``/defects``."""
    from store.defect_json import defects_geojson_text

    return _json(defects_geojson_text(session, filters, limit=limit, after_id=after_id))


@router.get("/{defect_id}", response_model=DefectPublic)
def get_defect(defect_id: DefectIdPath, session: SessionDep, _: Reader) -> Response:
    from store.defect_json import defect_json

    body = defect_json(session, defect_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    return _json(body)


@router.patch("/{defect_id}/status", response_model=DefectPublic)
def update_status(
    defect_id: DefectIdPath, body: DefectStatusUpdate, session: SessionDep, user: Reviewer
) -> DefectPublic:
    """Move a defect through its life cycle (e.g. closed, or reopened); illegal moves answer 409,
    and so does verified_repaired/still_present while a repair claim is pending (decide the claim)."""
    from store.claims import check_status_beside_claims
    from store.defects import set_defect_status

    check_status_beside_claims(session, defect_id, body.status)
    return DefectPublic.from_row(
        set_defect_status(session, defect_id, body.status, body.note, user.username)
    )


@router.get("/{defect_id}/image", response_class=FileResponse)
def defect_image(
    defect_id: DefectIdPath, session: SessionDep, request: Request, _: Reader
) -> FileResponse:
    """The best evidence frame of a defect (JPEG), when one was saved."""
    from store.defects import get_defect as fetch

    row = fetch(session, defect_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    from store.evidence_paths import path_from_ref

    if not row.best_frame_ref or "#" in row.best_frame_ref:
        raise HTTPException(
            status_code=404, detail=f"defect {defect_id} has no saved evidence image"
        )
    path = path_from_ref(row.best_frame_ref, request.app.state.settings.data_dir)
    if path is None:
        raise HTTPException(
            status_code=404, detail=f"evidence image of defect {defect_id} is not available"
        )
    return FileResponse(path, media_type="image/jpeg")
