"""Road segment schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import geojson_of


class SegmentBase(BaseModel):
    segment_id: str
    source_id: str
    name: str
    ref: str
    highway: str
    road_class: str
    oneway: bool
    length_m: float


class SegmentPublic(SegmentBase):
    model_config = ConfigDict(from_attributes=True)

    current_category: str | None = None
    recommended_category: str | None = None
    inspection_frequency: str | None = None
    recommended_frequency: str | None = None
    condition: str | None = None
    hierarchy_reasons: str | None = None
    updated_at: datetime | None = None
    geometry: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: Any) -> SegmentPublic:
        return cls(
            segment_id=row.id,
            source_id=row.source_id or "",
            name=row.name or "",
            ref=row.ref or "",
            highway=row.highway or "",
            road_class=row.road_class or "",
            oneway=bool(row.oneway),
            length_m=round(float(row.length_m), 2),
            current_category=row.current_category,
            recommended_category=row.recommended_category,
            inspection_frequency=row.inspection_frequency,
            recommended_frequency=row.recommended_frequency,
            condition=row.condition,
            hierarchy_reasons=row.hierarchy_reasons,
            updated_at=row.updated_at,
            geometry=geojson_of(row.geom),
        )


class SegmentList(BaseModel):
    segments: list[SegmentPublic]
    count: int


class NetworkSummary(BaseModel):
    segments: int
    total_km: float
    by_class: dict[str, dict[str, float]]
    bbox: list[float] | None = Field(
        default=None, description="[minlon, minlat, maxlon, maxlat] of the network; null if empty"
    )
