"""Repair claim schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ClaimStatus = Literal["pending", "verified", "rejected"]
MachineVerdict = Literal["repaired", "still_present", "inspector_to_look"]


class RepairClaimCreate(BaseModel):
    """A contractor's claim that a defect was repaired (from the works order system)."""

    contractor: str = Field(min_length=1, max_length=200)
    reference: str = Field(default="", max_length=100, description="works order / job number")
    claimed_at: datetime | None = Field(
        default=None,
        description="when the repair was done (default: now; UTC when no zone is given); "
        "from 2000-01-01 to 10 minutes after now, 422 otherwise",
    )
    note: str | None = Field(default=None, max_length=2000, description="the contractor's note")

    @field_validator("claimed_at")
    @classmethod
    def _sane_claimed_at(cls, value: datetime | None) -> datetime | None:
        from roadcam.errors import UsageError
        from store.claims import checked_claimed_at

        if value is None:
            return None
        try:
            return checked_claimed_at(value)
        except UsageError as err:
            raise ValueError(str(err)) from None


class RepairClaimPublic(BaseModel):
    """A claim: the machine's verdict is a proposal; ``status`` is the inspector's decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    defect_id: int
    contractor: str
    reference: str
    claimed_at: datetime
    status: ClaimStatus
    verified_at: datetime | None = None
    verdict: MachineVerdict | None = None
    verdict_reason: str | None = None
    verdict_survey_id: int | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None
    evidence: dict[str, Any] | None = None


class RepairClaimList(BaseModel):
    claims: list[RepairClaimPublic]
    count: int


class RepairClaimDecision(BaseModel):
    """An inspector's decision on a claim, after looking at the before/after crops.

    Either way whatever the machine proposed; a decided claim may be decided again.
    """

    status: Literal["verified", "rejected"]
    decided_by: str | None = Field(
        default=None,
        max_length=200,
        description="ignored: the signed-in inspector is recorded as the one who decided",
    )
    reason: str = Field(min_length=1, max_length=2000)


class RepairReportRow(BaseModel):
    claim_id: int
    contractor: str
    reference: str
    defect_id: int
    defect_class: str
    lon: float | None
    lat: float | None
    claimed_at: str
    status: ClaimStatus
    machine_verdict: str
    machine_reason: str
    decided_by: str
    decision_reason: str
    decided_at: str
    before_crops: list[str]
    after_crops: list[str]


class RepairReport(BaseModel):
    """The payment report: verified claims are payable."""

    contractor: str
    claimed_from: str | None
    claimed_to: str | None
    totals: dict[str, int]
    claims: list[RepairReportRow]
