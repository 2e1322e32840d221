"""Survey schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class SurveyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    vehicle_id: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    status: str
    created_at: datetime
    summary: dict[str, Any] | None = None


class SurveyList(BaseModel):
    surveys: list[SurveyPublic]
    count: int
