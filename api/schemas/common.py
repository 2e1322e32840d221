"""Schemas shared by several resources: health, GeoJSON, bbox parsing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str | int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    count: int | None = Field(default=None, description="features in this answer")
    features: list[Feature]
    total: int = Field(description="number of matching features before limit/offset")
    total_exact: bool = Field(default=True, description="false: more than `total` match")
    next_after_id: int | None = Field(default=None, description="keyset paging: next after_id")


def geojson_of(geom: Any) -> dict[str, Any] | None:
    """A GeoAlchemy2 geometry (WKB element) as a GeoJSON geometry dict."""
    if geom is None:
        return None
    from geoalchemy2.shape import to_shape
    from shapely.geometry import mapping

    return mapping(to_shape(geom))


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``"minlon,minlat,maxlon,maxlat"`` → tuple, validated (raises ValueError)."""
    if bbox is None or bbox == "":
        return None
    parts = bbox.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be minlon,minlat,maxlon,maxlat")
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError as err:
        raise ValueError("bbox values must be numbers") from err
    if not (-180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90):
        raise ValueError("bbox must be minlon,minlat,maxlon,maxlat in EPSG:4326 with min <= max")
    return x1, y1, x2, y2
