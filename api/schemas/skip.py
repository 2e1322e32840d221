"""Skip permit schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SkipPermitCreate(BaseModel):
    """A permit from the council's register (HA 1980 s.139)."""

    reference: str = Field(min_length=1, max_length=100)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    valid_from: datetime
    valid_to: datetime
    address: str = Field(default="", max_length=500)
    holder: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _dates(self) -> SkipPermitCreate:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class SkipPermitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    address: str
    holder: str
    valid_from: datetime
    valid_to: datetime


class SkipCheck(BaseModel):
    defect_id: int
    lon: float
    lat: float
    segment_id: str | None
    first_seen: datetime
    last_seen: datetime
    permitted: bool
    permit_reference: str | None
    permit_distance_m: float | None
    nearest_expired_reference: str | None


class SkipCheckList(BaseModel):
    skips: list[SkipCheck]
    unpermitted: int
