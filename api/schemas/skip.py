"""Skip permit and skip enforcement schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SkipPermitCreate(BaseModel):
    """A permit from the council's register (HA 1980 s.139). Give lon/lat, or a street
    (or an address naming one) to place it on the network by street name."""

    reference: str = Field(min_length=1, max_length=100)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    valid_from: datetime
    valid_to: datetime
    address: str = Field(default="", max_length=500)
    street: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200, validation_alias="holder")
    contact: str = Field(default="", max_length=200)

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> SkipPermitCreate:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        if self.lon is None and not (self.street or self.address):
            raise ValueError("give lon/lat, or a street or an address to place the permit by")
        return self


class SkipPermitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    address: str
    street: str | None
    holder: str
    contact: str | None
    location_source: str | None
    segment_id: str | None
    valid_from: datetime
    valid_to: datetime


class SkipCharge(BaseModel):
    """The charge from the skip policy, each figure with its source."""

    licence_fee_gbp: float
    overstay_gbp: float
    unlicensed_gbp: float
    total_gbp: float
    basis: str
    sources: dict[str, str]


class SkipFinding(BaseModel):
    """One skip seen on the highway and its permit state (store.skip_enforcement)."""

    defect_id: int
    lon: float
    lat: float
    segment_id: str | None
    chainage_m: float | None
    street: str | None
    nearest_address: str
    first_seen: datetime
    last_seen: datetime
    days_on_highway: int
    sightings: int
    best_confidence: float
    evidence_frames: list[str]
    permit_state: str
    permitted: bool
    permit_reference: str | None
    permit_distance_m: float | None
    covered_until: datetime | None
    overstay_days: int
    other_permit_reference: str | None
    charge: SkipCharge


class SkipFindingList(BaseModel):
    policy: str
    skips: list[SkipFinding]
    unpermitted: int
