"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from api.auth import public
from api.deps import SessionDep
from api.schemas.common import Health
from roadcam import __version__

router = APIRouter(tags=["health"], dependencies=[Depends(public())])


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    """The service is up and its database answers."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database=session.get_bind().dialect.name)
