"""The review queue: a finding's decision, many at once, and the queue itself."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.defect import DefectPublic

RejectReason = Literal["false_positive", "duplicate", "off_highway", "other"]
ClassName = Literal["pothole", "crack", "faded_marking", "skip"]


class ReviewDecision(BaseModel):
    """Confirm (optionally correcting class and risk) or reject with a reason."""

    action: Literal["confirm", "reject"]
    reason: RejectReason | None = Field(default=None, description="required to reject")
    class_name: ClassName | None = Field(default=None, description="corrected class (confirm)")
    risk_category: str | None = Field(default=None, min_length=1, max_length=20)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason(self) -> ReviewDecision:
        if self.action == "reject" and self.reason is None:
            raise ValueError("a rejection needs a reason")
        return self


class BulkConfirm(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _ids(self) -> BulkConfirm:
        if any(not 1 <= i <= 2**31 - 1 for i in self.ids):
            raise ValueError("ids are positive 32-bit integers")
        return self


class BulkResult(BaseModel):
    confirmed: int
    defects: list[DefectPublic]


class ReviewQueue(BaseModel):
    waiting: int = Field(description="proposed findings matching the filters")
    items: list[DefectPublic]
