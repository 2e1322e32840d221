"""Defects: list and filter (JSON or GeoJSON), one, status changes, evidence image."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from api.deps import BBoxDep, SessionDep
from api.schemas.common import FeatureCollection
from api.schemas.defect import DefectList, DefectPublic, DefectStatus, DefectStatusUpdate

router = APIRouter(prefix="/defects", tags=["defects"])


ClassQuery = Annotated[
    list[str] | None, Query(alias="class", description="pothole, crack, faded_marking, skip")
]
StatusQuery = Annotated[list[DefectStatus] | None, Query()]


AfterIdQuery = Annotated[
    int | None, Query(ge=0, description="keyset paging: defects with id > after_id (next_after_id)")
]


def _filter(bbox, class_name, status, segment_id=None, since=None):
    from store.defect_json import DefectFilter

    return DefectFilter(
        bbox=bbox, class_name=class_name, status=status, segment_ids=segment_id, since=since
    )


def _json(body: str) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("", response_model=DefectList)
def list_defects(
    session: SessionDep,
    bbox: BBoxDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
    segment_id: Annotated[list[str] | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="last seen on or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    after_id: AfterIdQuery = None,
    offset: Annotated[int, Query(ge=0, description="prefer after_id (keyset)")] = 0,
) -> Response:
    """Defects by id, one page; ``total`` counts all pages (exactly up to 10,000: ``total_exact``)."""
    from store.defect_json import defects_page_json

    flt = _filter(bbox, class_name, status, segment_id, since)
    return _json(defects_page_json(session, flt, limit=limit, after_id=after_id, offset=offset))


@router.get("/geojson", response_model=FeatureCollection)
def defects_geojson(
    session: SessionDep,
    bbox: BBoxDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
    after_id: AfterIdQuery = None,
) -> Response:
    """Defects as GeoJSON points (built in the database), paged like ``/defects``."""
    from store.defect_json import defects_geojson_text

    flt = _filter(bbox, class_name, status)
    return _json(defects_geojson_text(session, flt, limit=limit, after_id=after_id))


@router.get("/{defect_id}", response_model=DefectPublic)
def get_defect(defect_id: int, session: SessionDep) -> Response:
    from store.defect_json import defect_json

    body = defect_json(session, defect_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    return _json(body)


@router.patch("/{defect_id}/status", response_model=DefectPublic)
def update_status(defect_id: int, body: DefectStatusUpdate, session: SessionDep) -> DefectPublic:
    """Move a defect through its life cycle (e.g. closed, or reopened); illegal moves answer 409."""
    from store.defects import set_defect_status

    return DefectPublic.from_row(set_defect_status(session, defect_id, body.status, body.note))


@router.get("/{defect_id}/image", response_class=FileResponse)
def defect_image(defect_id: int, session: SessionDep, request: Request) -> FileResponse:
    """The best evidence frame of a defect (JPEG), when one was saved."""
    from store.defects import get_defect as fetch

    row = fetch(session, defect_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    ref = row.best_frame_ref
    if not ref or "#" in ref:
        raise HTTPException(
            status_code=404, detail=f"defect {defect_id} has no saved evidence image"
        )
    path = Path(ref).resolve()
    data_dir = Path(request.app.state.settings.data_dir).resolve()
    if data_dir not in path.parents or not path.is_file():
        raise HTTPException(
            status_code=404, detail=f"evidence image of defect {defect_id} is not available"
        )
    return FileResponse(path, media_type="image/jpeg")
