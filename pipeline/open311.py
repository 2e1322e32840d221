"""Citizen reports in the Open311 GeoReport v2 format (FixMyStreet's ``requests.json``).

GeoReport v2 (GET Service Requests, JSON) answers an array of service requests, each with
``service_request_id``, ``status`` (``open`` / ``closed``), ``service_code``, ``service_name``,
``description``, ``requested_datetime`` and ``updated_datetime`` (ISO 8601 with a zone: ``Z`` or
an ``HH:MM`` offset), ``address``, ``lat`` and ``long`` (WGS84), ``media_url`` and more. An
object wrapping the array as ``service_requests`` or ``requests`` is accepted too.

:func:`read_georeport` reads a file or an ``http(s)://`` URL. A request that cannot be used
(no id, no position, no time zone) becomes an error record and the others go on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from roadcam.errors import CorruptInputError, InputNotFoundError, error_record


@dataclass(frozen=True)
class CitizenReportIn:
    """One usable GeoReport v2 service request."""

    service_request_id: str
    service_code: str
    service_name: str
    description: str
    address: str
    report_status: str
    requested_at: datetime
    source_updated_at: datetime | None
    lon: float
    lat: float
    source: str

    def __post_init__(self) -> None:
        if not self.service_request_id:
            raise ValueError("service_request_id is empty")
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise ValueError(f"lat/long {self.lat}, {self.lon} out of range")
        if self.requested_at.tzinfo is None:
            raise ValueError("requested_datetime has no time zone")


def _time(value: Any, name: str, required: bool) -> datetime | None:
    if value in (None, ""):
        if required:
            raise ValueError(f"{name} is missing")
        return None
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"{name} {value!r} has no time zone (GeoReport v2 requires one)")
    return t


def _text(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    return "" if value is None else str(value).strip()


def report_from_request(rec: Any, source: str) -> CitizenReportIn:
    """One service request (a JSON object) as a report; ValueError says what is wrong."""
    if not isinstance(rec, dict):
        raise ValueError("a service request must be a JSON object")
    for key in ("lat", "long"):
        if rec.get(key) in (None, ""):
            raise ValueError(f"{key} is missing")
    return CitizenReportIn(
        service_request_id=_text(rec, "service_request_id"),
        service_code=_text(rec, "service_code"),
        service_name=_text(rec, "service_name"),
        description=_text(rec, "description"),
        address=_text(rec, "address"),
        report_status=_text(rec, "status").lower() or "open",
        requested_at=_time(rec.get("requested_datetime"), "requested_datetime", True),
        source_updated_at=_time(rec.get("updated_datetime"), "updated_datetime", False),
        lon=float(rec["long"]),
        lat=float(rec["lat"]),
        source=source,
    )


def _load(source: str, timeout_s: float) -> Any:
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            r = httpx.get(source, timeout=timeout_s, follow_redirects=True)
            r.raise_for_status()
        except httpx.HTTPError as err:
            raise InputNotFoundError(f"could not fetch ({err})", path=source) from None
        text = r.text
    else:
        p = Path(source)
        if not p.is_file():
            raise InputNotFoundError("no such file", path=source)
        text = p.read_text(encoding="utf-8-sig")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CorruptInputError(f"not JSON ({err})", path=source) from None


def read_georeport(
    source: str, timeout_s: float = 30.0
) -> tuple[list[CitizenReportIn], list[dict[str, Any]]]:
    """Usable reports and an error record per unusable request of a GeoReport v2 JSON file/URL."""
    data = _load(source, timeout_s)
    if isinstance(data, dict):
        data = data.get("service_requests", data.get("requests"))
    if not isinstance(data, list):
        raise CorruptInputError(
            "not GeoReport v2 service requests (a JSON array of requests)", path=source
        )
    reports, errors = [], []
    for n, rec in enumerate(data):
        try:
            reports.append(report_from_request(rec, source))
        except (ValueError, TypeError) as err:
            rid = rec.get("service_request_id") if isinstance(rec, dict) else None
            errors.append(
                error_record(CorruptInputError(f"request {n} ({rid or 'no id'}): {err}"), source)
            )
    return reports, errors
