"""Marking wear runs and the re-lining programme."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class WearTrendPoint(BaseModel):
    survey_id: int
    measured_at: datetime | None
    wear: float


class WearRunPublic(BaseModel):
    """One painted line over one run of a segment: latest wear, trend over drives."""

    id: int
    survey_id: int
    segment_id: str
    line_offset_m: float = Field(description="signed offset of the line from the segment (+ left)")
    line_kind: str
    marking_type: str
    run_index: int
    start_m: float
    end_m: float
    wear: float = Field(description="0 = as new, 1 = gone")
    covered_m: float
    frames: list[list[Any]] = Field(description="[source, frame index] behind the value")
    measured_at: datetime | None
    confirmed_by: str | None
    trend: list[WearTrendPoint]
    change: float | None = Field(description="wear change since the previous drive")
    changed: bool = Field(description="the change is larger than the policy's repeatability")


class ProgrammeRun(BaseModel):
    rank: int
    run_id: int | None
    segment_id: str
    category: str | None
    line_kind: str
    marking_type: str
    line_offset_m: float
    start_m: float
    end_m: float
    length_m: float
    wear: float
    cost_gbp: float
    response: str = Field(description="planned maintenance, or safety (policy marking types)")
    response_days: float | None
    confirmed_by: str | None
    frames: list[list[Any]]


class ProgrammeTotals(BaseModel):
    measured_line_km: float
    programme_km: float
    programme_gbp: float
    confirmed_km: float
    confirmed_gbp: float
    cyclical_km_per_year: float
    cyclical_gbp_per_year: float
    saved_km: float
    saved_gbp: float


class Programme(BaseModel):
    """The ranked re-lining programme (proposals until confirmed) and the cyclical comparison."""

    runs: list[ProgrammeRun]
    totals: ProgrammeTotals
    policy: dict[str, Any]
