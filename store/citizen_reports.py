"""Citizen reports (FixMyStreet / Open311): stored, placed on a segment, linked to the camera's
nearest defect within a tolerance, and triaged against the fleet passes since the report.

Triage verdicts, for the contact centre:

* ``seen``: the linked defect was seen by the camera at or after the report time;
* ``passed_not_seen``: a fleet frame passed within ``passed_within_m`` after the report and the
  camera saw nothing there since (repaired, too small to see, or elsewhere: send a person);
* ``known_before``: the camera had seen a defect there before the report; no pass since;
* ``awaiting_pass``: nothing yet; the next pass will tell.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store._sql import bbox_around_m, bbox_filter, distance_m, lonlat_of, point_ewkt
from store.models import CitizenReport, Defect, Frame, utcnow

log = logging.getLogger(__name__)

_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "address",
    "report_status",
    "requested_at",
    "source_updated_at",
    "segment_id",
    "chainage_m",
    "distance_to_segment_m",
    "source",
)


def save_citizen_reports(session: Session, reports: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert new reports and update stored ones (same ``service_request_id``)."""
    inserted = updated = 0
    for r in reports:
        row = session.scalars(
            select(CitizenReport).where(CitizenReport.service_request_id == r["service_request_id"])
        ).first()
        if row is None:
            row = CitizenReport(service_request_id=r["service_request_id"])
            session.add(row)
            inserted += 1
        else:
            updated += 1
        for key in _FIELDS:
            setattr(row, key, r.get(key))
        row.geom = WKTElement(point_ewkt(r["lon"], r["lat"]), extended=True)
        row.imported_at = utcnow()
    session.flush()
    return {"inserted": inserted, "updated": updated}


def link_reports_to_defects(session: Session, within_m: float) -> int:
    """Link each report to the nearest defect (any class, any status) within ``within_m``."""
    from store.defects import defects_near

    linked = 0
    for rep in session.scalars(select(CitizenReport)):
        lon, lat = lonlat_of(rep.geom)
        near = defects_near(session, None, lon, lat, within_m)
        rep.defect_id = near[0][0].id if near else None
        rep.defect_distance_m = round(near[0][1], 1) if near else None
        linked += bool(near)
    session.flush()
    return linked


def _passed_after(session: Session, lon: float, lat: float, after: datetime, within_m: float):
    """The first frame time at or after ``after`` within ``within_m`` of the point, or None."""
    stmt = (
        select(Frame.time, func.ST_X(Frame.geom), func.ST_Y(Frame.geom))
        .where(bbox_filter(session, Frame.__table__, bbox_around_m(lon, lat, within_m)))
        .where(Frame.time >= after)
        .order_by(Frame.time)
    )
    for t, x, y in session.execute(stmt):
        if distance_m(lon, lat, float(x), float(y)) <= within_m:
            return t
    return None


def triage_reports(session: Session, passed_within_m: float = 15.0) -> list[dict[str, Any]]:
    """Every stored report with its segment, linked defect and triage verdict, oldest first."""
    out = []
    for rep in session.scalars(
        select(CitizenReport).order_by(CitizenReport.requested_at, CitizenReport.id)
    ):
        lon, lat = lonlat_of(rep.geom)
        defect = session.get(Defect, rep.defect_id) if rep.defect_id is not None else None
        passed = _passed_after(session, lon, lat, rep.requested_at, passed_within_m)
        if defect is not None and defect.last_seen >= rep.requested_at:
            verdict = "seen"
        elif passed is not None:
            verdict = "passed_not_seen"
        elif defect is not None:
            verdict = "known_before"
        else:
            verdict = "awaiting_pass"
        out.append(
            {
                "service_request_id": rep.service_request_id,
                "service_name": rep.service_name,
                "report_status": rep.report_status,
                "requested_at": rep.requested_at,
                "address": rep.address,
                "lon": lon,
                "lat": lat,
                "segment_id": rep.segment_id,
                "chainage_m": rep.chainage_m,
                "defect_id": rep.defect_id,
                "defect_class": defect.class_name if defect is not None else None,
                "defect_distance_m": rep.defect_distance_m,
                "defect_last_seen": defect.last_seen if defect is not None else None,
                "first_pass_after": passed,
                "verdict": verdict,
            }
        )
    return out
