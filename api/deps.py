"""Dependencies shared by the routes: a database session per request, bounded ids and pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

#: Ids are 32-bit on PostGIS (``integer``); anything larger is a 422, never a 500.
MAX_ID = 2**31 - 1
#: The deepest page a list serves; beyond it narrow the filter (bbox, since, ...).
MAX_OFFSET = 1_000_000


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine, committed when the route returns and BEFORE the response.

    Declared with ``scope="function"`` so the commit runs right after the route function:
    a failed commit is a 5xx, never a 2xx after the fact, and a GET straight after a 2xx
    sees the change. GET/HEAD sessions are read-only (on SpatiaLite: no write lock).
    """
    from store.engine import session_scope

    readonly = request.method in ("GET", "HEAD")
    with session_scope(request.app.state.engine, readonly=readonly) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 32-bit id")]
DefectIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="defect id")]
ClaimIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="repair claim id")]
SurveyIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="survey id")]
KeyPath = Annotated[str, Path(min_length=1, max_length=100)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def get_bbox(
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat (EPSG:4326)",
            examples=["0.54,51.38,0.57,51.40"],
            max_length=200,
        ),
    ] = None,
) -> tuple[float, float, float, float] | None:
    """The ``bbox`` query parameter, validated (422 with the reason when malformed)."""
    from api.schemas.common import parse_bbox

    try:
        return parse_bbox(bbox)
    except ValueError as err:
        raise HTTPException(status_code=422, detail=str(err)) from err


BBoxDep = Annotated[tuple[float, float, float, float] | None, Depends(get_bbox)]
