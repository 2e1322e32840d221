"""Dependencies shared by the routes: a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    """A session on the app's engine; committed when the route returns, rolled back on error."""
    from store.engine import session_scope

    with session_scope(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_bbox(
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat (EPSG:4326)",
            examples=["0.54,51.38,0.57,51.40"],
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
