"""The web map: static pages (Leaflet from npm) that call the JSON API, and the map's settings.

Leaflet is installed by ``make demo`` / ``make test`` (``npm ci`` in ``api/static``, pinned by
``api/static/package-lock.json``) into ``api/static/node_modules``. Without it the map cannot
draw, so ``/`` answers 503 with a page that says how to install it, and the log says the same.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.auth import public
from api.schemas.web import MapConfig

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LEAFLET_JS = STATIC_DIR / "node_modules" / "leaflet" / "dist" / "leaflet.js"
MISSING_JS = (
    "the web map's JavaScript is not installed ({path} is missing): "
    "run `make web` (or `cd api/static && npm ci`)"
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["web"], dependencies=[Depends(public())])


def web_assets_missing() -> str | None:
    """Why the map cannot load its JavaScript, or None when Leaflet is installed."""
    if LEAFLET_JS.is_file():
        return None
    root = STATIC_DIR.parent.parent
    shown = LEAFLET_JS.relative_to(root) if LEAFLET_JS.is_relative_to(root) else LEAFLET_JS
    return MISSING_JS.format(path=shown)


@router.get("/", include_in_schema=False, response_model=None)
def index() -> FileResponse | HTMLResponse:
    problem = web_assets_missing()
    if problem is not None:
        log.error(problem)
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>roadcam – map not installed</title></head><body>"
            f"<h1>The map cannot start</h1><p>{problem}.</p>"
            "<p>The JSON API works without it: see <a href='/docs'>/docs</a>.</p></body></html>"
        )
        return HTMLResponse(page, status_code=503)
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/map/config", response_model=MapConfig)
def map_config(request: Request) -> MapConfig:
    """What the map needs from the settings: the optional base-map tile URL and its attribution."""
    settings = request.app.state.settings
    return MapConfig(
        tile_url=settings.map_tile_url or None,
        tile_attribution=settings.map_tile_attribution,
    )


@router.get("/login", include_in_schema=False)
def login_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "login.html", media_type="text/html")


@router.get("/review", include_in_schema=False)
def review_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "review.html", media_type="text/html")
