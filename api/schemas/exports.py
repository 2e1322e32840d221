"""Exports: the incremental change feed and the last drive's map layers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import FeatureCollection


class DefectChange(BaseModel):
    """One confirmed defect created, changed or closed since the cursor."""

    id: int
    action: Literal["created", "updated", "closed"]
    class_name: str
    status: str
    lon: float
    lat: float
    segment_id: str | None
    road_name: str
    chainage_m: float | None
    first_seen: datetime
    last_seen: datetime
    sightings: int
    max_width_m: float | None
    risk_category: str | None
    response_due: datetime | None
    updated_at: datetime


class ChangeFeed(BaseModel):
    since: datetime
    next_since: datetime = Field(
        description="pass as ?since= next time; rows with exactly this time may come again "
        "(upsert by id)"
    )
    complete: bool = Field(description="false: more changes than the limit, call again at once")
    count: int
    defects: list[DefectChange]


class DriveLayers(BaseModel):
    survey_id: int | None
    vehicle_id: str | None
    started_at: datetime | None
    new: FeatureCollection = Field(description="defects first seen on the last drive")
    not_seen: FeatureCollection = Field(
        description="defects the last drive passed within the tolerance without seeing them"
    )
