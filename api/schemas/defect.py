"""Defect schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ReviewStatus = Literal["proposed", "confirmed", "rejected"]
DefectStatus = Literal["open", "repair_claimed", "verified_repaired", "still_present", "closed"]


class DefectBase(BaseModel):
    class_name: str
    lon: float
    lat: float
    segment_id: str | None = None
    chainage_m: float | None = None
    offset_m: float | None = None


class DefectPublic(DefectBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    first_seen: datetime
    last_seen: datetime
    sightings: int
    max_width_m: float | None = None
    best_confidence: float
    best_frame_id: int | None = None
    has_image: bool = False
    status: DefectStatus
    status_note: str | None = None
    status_changed_at: datetime | None = None
    review_status: ReviewStatus = "proposed"
    reject_reason: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    risk_category: str | None = None
    risk_score: float | None = None
    response_due: datetime | None = None

    @classmethod
    def from_row(cls, row) -> DefectPublic:
        from store.defects import defect_lonlat

        lon, lat = defect_lonlat(row)
        return cls(
            id=row.id,
            class_name=row.class_name,
            lon=lon,
            lat=lat,
            segment_id=row.segment_id,
            chainage_m=row.chainage_m,
            offset_m=row.offset_m,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            sightings=row.sightings,
            max_width_m=row.max_width_m,
            best_confidence=row.best_confidence,
            best_frame_id=row.best_frame_id,
            has_image=bool(row.best_frame_ref and not row.best_frame_ref.count("#")),
            status=row.status,
            status_note=row.status_note,
            status_changed_at=row.status_changed_at,
            review_status=row.review_status or "proposed",
            reject_reason=row.reject_reason,
            reviewed_by=row.reviewed_by,
            reviewed_at=row.reviewed_at,
            risk_category=row.risk_category,
            risk_score=row.risk_score,
            response_due=row.response_due,
        )


class DefectList(BaseModel):
    count: int = Field(description="defects on this page")
    defects: list[DefectPublic]
    total: int | None = Field(
        default=None, description="defects matching the filters, all pages (capped: total_exact)"
    )
    total_exact: bool = Field(default=True, description="false: more than `total` match")
    next_after_id: int | None = Field(
        default=None, description="pass as after_id for the next page; null on the last page"
    )


class DefectStatusUpdate(BaseModel):
    """An inspector's or engineer's decision on a defect."""

    status: DefectStatus
    note: str | None = Field(default=None, max_length=2000)
