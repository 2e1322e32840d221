"""Inspection schedule schemas."""

from __future__ import annotations

from pydantic import BaseModel


class FrequencyRow(BaseModel):
    frequency: str
    inspections_per_year: float | None
    current_segments: int
    current_km: float
    recommended_segments: int
    recommended_km: float


class Schedule(BaseModel):
    """Safety-inspection workload before and after the hierarchy review."""

    rows: list[FrequencyRow]
    current_inspection_km_per_year: float
    recommended_inspection_km_per_year: float
    change_percent: float | None
    unreviewed_km: float
