"""The FastAPI application factory.

``create_app()`` builds the app; nothing is built at import. The engine is made
in the lifespan from the settings (``ROADCAM_DATABASE_URL``), so tests can pass
their own settings. Routes stay thin: they parse, call a ``store`` repository
function, and shape the answer with a schema from ``api.schemas``.

Run it with ``roadcam serve`` or ``uvicorn --factory api.main:create_app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from roadcam import __version__
from roadcam.errors import RoadcamError
from roadcam.settings import Settings, get_settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from store.engine import make_engine

        engine = make_engine(settings.database_url)
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="roadcam",
        version=__version__,
        description="Road defects from fleet cameras, on the highway network.",
        lifespan=lifespan,
    )
    app.state.settings = settings

    @app.exception_handler(RoadcamError)
    async def _roadcam_error(_: Request, err: RoadcamError) -> JSONResponse:
        status = {"not_found": 404, "database": 503, "invalid_transition": 409}.get(err.kind, 400)
        return JSONResponse(status_code=status, content={"detail": str(err), "kind": err.kind})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in err.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors, "kind": "validation"})

    from api.routes import (
        defects,
        health,
        hierarchy,
        markings,
        repairs,
        schedules,
        segments,
        skips,
        surveys,
        web,
    )

    for module in (
        health,
        segments,
        hierarchy,
        defects,
        markings,
        repairs,
        skips,
        surveys,
        schedules,
        web,
    ):
        app.include_router(module.router)
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
