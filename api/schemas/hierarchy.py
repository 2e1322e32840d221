"""Schemas of the hierarchy review endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TrafficCount(BaseModel):
    source_id: str
    aadt: float = Field(ge=0)


class HierarchyReviewRequest(BaseModel):
    """Optional evidence for a review of the stored network (all GeoJSON in EPSG:4326)."""

    sites: dict[str, Any] | None = Field(
        default=None, description="FeatureCollection of points with kind and name"
    )
    traffic: list[TrafficCount] | None = Field(
        default=None, description="counted AADT per source_id"
    )
    bus_routes: dict[str, Any] | None = Field(
        default=None, description="FeatureCollection of bus-route lines"
    )
    winter_routes: dict[str, Any] | None = Field(
        default=None, description="FeatureCollection of winter-service route lines"
    )
    write: bool = Field(
        default=True, description="write recommendations and defect risk back to the database"
    )


class SegmentChange(BaseModel):
    segment_id: str
    source_id: str
    name: str
    road_class: str
    current_category: str
    recommended_category: str
    current_frequency: str
    recommended_frequency: str
    condition: int | None
    change: str
    reasons: str


class HierarchyReviewResponse(BaseModel):
    segments: int
    network_km: float
    raised: int
    lowered: int
    overridden: int
    frequency_changes: int
    inspection_km_per_year_before: float
    inspection_km_per_year_after: float
    inspection_km_per_year_change: float
    inspection_km_per_year_change_pct: float
    traffic_source: str
    inspection_gbp_per_year_before: float = Field(
        description="pounds per year at the costs file's rates"
    )
    inspection_gbp_per_year_after: float
    inspection_gbp_per_year_change: float
    rates_confirmed: bool = Field(description="false: a rate is inferred (I), not from a source")
    segments_written: int = 0
    defects_rescored: int = 0
    changes: list[SegmentChange] = Field(
        description="segments whose category or inspection frequency changes"
    )


class OverrideIn(BaseModel):
    category: str = Field(description="2, 3a, 3b, 4a, 4b, minor or lane")
    reason: str = Field(min_length=1, max_length=2000)
    author: str = Field(
        default="", max_length=100, description="ignored: the signed-in user is the author"
    )


class OverrideOut(BaseModel):
    category: str
    reason: str
    author: str
    created_at: str | None


class SegmentHierarchy(BaseModel):
    segment_id: str
    source_id: str
    name: str
    road_class: str
    length_m: float
    current_category: str | None
    recommended_category: str | None
    inspection_frequency: str | None
    recommended_frequency: str | None
    condition: str | None
    updated_at: str | None
    reasons: str | None = Field(
        default=None, description="from the latest review run through the API"
    )
    overrides: list[OverrideOut]
