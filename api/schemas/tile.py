"""Defect tile schemas (the JSON form; the MVT form is binary)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TileCell(BaseModel):
    """A grid cell of a low-zoom tile: how many defects, by class, at their mean position."""

    lon: float
    lat: float
    count: int
    pothole: int = 0
    crack: int = 0
    faded_marking: int = 0
    skip: int = 0


class TileDefect(BaseModel):
    id: int
    lon: float
    lat: float
    class_name: str
    status: str
    sightings: int


class DefectTile(BaseModel):
    z: int
    x: int
    y: int
    clustered: bool = Field(description="true below street zoom: cells with counts, no defects")
    count: int = Field(description="defects in the tile (exact unless truncated)")
    truncated: bool = Field(description="street zoom only: more defects than the tile holds")
    cells: list[TileCell] | None = None
    features: list[TileDefect] | None = None
