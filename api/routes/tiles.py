"""Defect tiles for maps: ``/tiles/defects/{z}/{x}/{y}.mvt`` (vector tile) and ``.json``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from api.auth import ALL_ROLES, require_roles
from api.deps import SessionDep
from api.filters import ClassQuery
from api.schemas.defect import DefectStatus
from api.schemas.tile import DefectTile

router = APIRouter(
    prefix="/tiles",
    tags=["tiles"],
    dependencies=[Depends(require_roles(*ALL_ROLES, open_read=True))],
)

Z = Annotated[int, Path(ge=0, le=22)]
XY = Annotated[int, Path(ge=0)]
StatusQuery = Annotated[list[DefectStatus] | None, Query()]
CACHE = {"Cache-Control": "public, max-age=60"}


def _filter(class_name, status):
    from store.defect_filter import DefectFilter

    return DefectFilter(class_names=class_name, statuses=status)


@router.get(
    "/defects/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}},
)
def defect_tile_mvt(
    z: Z,
    x: XY,
    y: XY,
    session: SessionDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
) -> Response:
    """Mapbox Vector Tile, layer ``defects``: counted cells below zoom 15, defects from 15 on."""
    from store.tiles import defect_tile_mvt as tile

    body = tile(session, z, x, y, _filter(class_name, status))
    return Response(body, media_type="application/vnd.mapbox-vector-tile", headers=CACHE)


@router.get("/defects/{z}/{x}/{y}.json", response_model=DefectTile)
def defect_tile_json(
    z: Z,
    x: XY,
    y: XY,
    session: SessionDep,
    class_name: ClassQuery = None,
    status: StatusQuery = None,
) -> JSONResponse:
    """The same tile as JSON (for the Leaflet layer): ``cells`` with counts, or ``features``."""
    from store.tiles import defect_tile_json as tile

    return JSONResponse(tile(session, z, x, y, _filter(class_name, status)), headers=CACHE)
