"""Citizen report schemas: the contact centre's triage list."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class TriageRow(BaseModel):
    service_request_id: str
    service_name: str
    report_status: str
    requested_at: datetime
    address: str
    lon: float
    lat: float
    segment_id: str | None
    chainage_m: float | None
    defect_id: int | None
    defect_class: str | None
    defect_distance_m: float | None
    defect_last_seen: datetime | None
    first_pass_after: datetime | None
    verdict: Literal["seen", "passed_not_seen", "known_before", "awaiting_pass"]


class TriageList(BaseModel):
    reports: list[TriageRow]
    count: int
