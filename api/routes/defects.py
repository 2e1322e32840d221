"""Defects: list and filter (JSON or GeoJSON), one, status changes, evidence image."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse

from api.auth import Reader, Reviewer
from api.deps import BBoxDep, DefectIdPath, OffsetQuery, SessionDep
from api.schemas.common import Feature, FeatureCollection
from api.schemas.defect import DefectList, DefectPublic, DefectStatus, DefectStatusUpdate

router = APIRouter(prefix="/defects", tags=["defects"])


ClassQuery = Annotated[
    list[str] | None, Query(alias="class", description="pothole, crack, faded_marking, skip")
]
StatusQuery = Annotated[list[DefectStatus] | None, Query()]


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
    offset: OffsetQuery = 0,
) -> DefectList:
    from store.defects import list_defects as query

    rows = query(
        session,
        bbox=bbox,
        class_name=class_name,
        status=status,
        segment_ids=segment_id,
        since=since,
        limit=limit,
        offset=offset,
    )
    return DefectList(defects=[DefectPublic.from_row(r) for r in rows], count=len(rows))


@router.get("/geojson", response_model=FeatureCollection)
def defects_geojson(
    session: SessionDep,
    _: Reader,
    bbox: BBoxDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> FeatureCollection:
    """Defects as GeoJSON points, for the map."""
    from store.defects import list_defects as query

    rows = query(session, bbox=bbox, class_name=class_name, status=status, limit=limit)
    features = []
    for row in rows:
        d = DefectPublic.from_row(row)
        props = d.model_dump(mode="json", exclude={"lon", "lat"})
        features.append(
            Feature(
                id=d.id, geometry={"type": "Point", "coordinates": [d.lon, d.lat]}, properties=props
            )
        )
    return FeatureCollection(features=features, total=len(features))


@router.get("/{defect_id}", response_model=DefectPublic)
def get_defect(defect_id: DefectIdPath, session: SessionDep, _: Reader) -> DefectPublic:
    from store.defects import get_defect as fetch

    row = fetch(session, defect_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    return DefectPublic.from_row(row)


@router.patch("/{defect_id}/status", response_model=DefectPublic)
def update_status(
    defect_id: DefectIdPath, body: DefectStatusUpdate, session: SessionDep, user: Reviewer
) -> DefectPublic:
    """Move a defect through its life cycle (e.g. closed, or reopened); illegal moves answer 409."""
    from store.defects import set_defect_status

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
