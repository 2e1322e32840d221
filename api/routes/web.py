"""The web map: a static page (Leaflet, vendored) that calls the JSON API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from api.auth import public

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["web"], dependencies=[Depends(public())])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/login", include_in_schema=False)
def login_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "login.html", media_type="text/html")


@router.get("/review", include_in_schema=False)
def review_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "review.html", media_type="text/html")
