"""Repair claim schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ClaimStatus = Literal["pending", "verified", "rejected"]


class RepairClaimCreate(BaseModel):
    """A contractor's claim that a defect was repaired (from the works order system)."""

    contractor: str = Field(min_length=1, max_length=200)
    reference: str = Field(default="", max_length=100, description="works order / job number")
    claimed_at: datetime | None = Field(
        default=None, description="when the repair was done (default: now)"
    )
    note: str | None = Field(default=None, max_length=2000, description="the contractor's note")


class RepairClaimPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    defect_id: int
    contractor: str
    reference: str
    claimed_at: datetime
    status: ClaimStatus
    verified_at: datetime | None = None
    evidence: dict[str, Any] | None = None


class RepairClaimList(BaseModel):
    claims: list[RepairClaimPublic]
    count: int


class RepairClaimDecision(BaseModel):
    """An inspector's decision on a claim, e.g. after looking at the evidence frames."""

    status: Literal["verified", "rejected"]
    note: str | None = Field(default=None, max_length=2000)
