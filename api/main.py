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
        from api.jobs import start_pool, stop_pool
        from api.routes.web import web_assets_missing
        from store.engine import make_engine

        if (problem := web_assets_missing()) is not None:
            log.error("%s; the JSON API works, the map at / does not", problem)
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        start_pool(app)
        try:
            yield
        finally:
            stop_pool(app)
            engine.dispose()

    from api.schemas.error import error_responses

    app = FastAPI(
        title="roadcam",
        version=__version__,
        description="Road defects from fleet cameras, on the highway network. "
        "Sign in at POST /auth/token; every route lists the roles it allows.",
        lifespan=lifespan,
        responses=error_responses(),
    )
    app.state.settings = settings
    _add_error_handlers(app)
    _add_routes(app, settings)
    _add_openapi_links(app)
    return app


def _add_routes(app: FastAPI, settings: Settings) -> None:
    """The request-size guard, every router, and the static files."""
    from api.limits import RequestGuard
    from api.routes import (
        auth,
        citizen_reports,
        claim_photos,
        defects,
        exports,
        health,
        hierarchy,
        history,
        jobs,
        markings,
        repairs,
        review,
        schedules,
        segments,
        skips,
        surveys,
        tiles,
        users,
        web,
    )

    app.add_middleware(RequestGuard, max_body_bytes=settings.max_request_bytes)
    for module in (health, auth, users, review, history, segments, hierarchy, defects, repairs):
        app.include_router(module.router)
    for module in (claim_photos, jobs, skips, surveys, schedules, exports, citizen_reports):
        app.include_router(module.router)
    for module in (markings, tiles, web):
        app.include_router(module.router)
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _add_openapi_links(app: FastAPI) -> None:
    """Generate the schema as FastAPI does, then add the links between operations (once)."""
    from api.openapi_links import add_links

    default_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


HTTP_KINDS = {
    400: "usage",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation",
    503: "database",
}


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answers ``{"detail": ..., "kind": ...}`` (api.schemas.error.ErrorBody)."""
    from sqlalchemy import exc as sa_exc
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(RoadcamError)
    async def _roadcam_error(_: Request, err: RoadcamError) -> JSONResponse:
        status = {"not_found": 404, "database": 503, "invalid_transition": 409}.get(err.kind, 400)
        return JSONResponse(status_code=status, content={"detail": str(err), "kind": err.kind})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, err: StarletteHTTPException) -> JSONResponse:
        kind = HTTP_KINDS.get(err.status_code, "http")
        detail = err.detail if isinstance(err.detail, str) else str(err.detail)
        return JSONResponse(
            status_code=err.status_code,
            content={"detail": detail, "kind": kind},
            headers=getattr(err, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [x if isinstance(x, int | str) else str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in err.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors, "kind": "validation"})

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity_error(_: Request, err: sa_exc.IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", str(err.orig).splitlines()[0] if err.orig else err)
        return JSONResponse(
            status_code=409,
            content={"detail": "conflicts with a stored record", "kind": "conflict"},
        )

    @app.exception_handler(sa_exc.OperationalError)
    async def _operational_error(_: Request, err: sa_exc.OperationalError) -> JSONResponse:
        log.warning("database error: %s", str(err.orig).splitlines()[0] if err.orig else err)
        return JSONResponse(
            status_code=503,
            content={"detail": "the database is unavailable or busy; retry", "kind": "database"},
            headers={"Retry-After": "1"},
        )
