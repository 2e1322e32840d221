"""Skip permits: the council's register of builders' skips allowed on the highway."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from geoalchemy2 import WKTElement
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roadcam.errors import UsageError
from store._sql import bbox_around_m, bbox_filter, haversine_m, point_ewkt
from store.models import SkipPermit

log = logging.getLogger(__name__)


def create_skip_permit(
    session: Session,
    reference: str,
    lon: float,
    lat: float,
    valid_from: datetime,
    valid_to: datetime,
    address: str = "",
    holder: str = "",
) -> SkipPermit:
    """Store a permit, or update the stored one with the same ``reference`` (idempotent)."""
    if valid_to < valid_from:
        raise UsageError(f"skip permit {reference}: valid_to is before valid_from")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise UsageError(f"skip permit {reference}: lon/lat {lon}, {lat} out of range")
    permit = session.scalars(select(SkipPermit).where(SkipPermit.reference == reference)).first()
    if permit is None:
        permit = SkipPermit(reference=reference)
        session.add(permit)
    permit.geom = WKTElement(point_ewkt(lon, lat), extended=True)
    permit.valid_from, permit.valid_to = valid_from, valid_to
    permit.address, permit.holder = address, holder
    session.flush()
    return permit


def get_skip_permit(session: Session, permit_id: int) -> SkipPermit | None:
    """One permit by id, or None."""
    return session.get(SkipPermit, permit_id)


def list_skip_permits(
    session: Session,
    bbox: Sequence[float] | None = None,
    valid_at: datetime | None = None,
    limit: int | None = 1000,
) -> list[SkipPermit]:
    """Permits meeting ``bbox`` and valid at ``valid_at`` (when given), by id."""
    stmt = select(SkipPermit).order_by(SkipPermit.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, SkipPermit.__table__, bbox))
    if valid_at is not None:
        stmt = stmt.where(SkipPermit.valid_from <= valid_at, SkipPermit.valid_to >= valid_at)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def permits_near(
    session: Session, lon: float, lat: float, radius_m: float, valid_at: datetime | None = None
) -> list[tuple[SkipPermit, float]]:
    """Permits within ``radius_m`` metres of a point (valid at ``valid_at`` when given), nearest first."""
    stmt = select(SkipPermit, func.ST_X(SkipPermit.geom), func.ST_Y(SkipPermit.geom)).where(
        bbox_filter(session, SkipPermit.__table__, bbox_around_m(lon, lat, radius_m))
    )
    if valid_at is not None:
        stmt = stmt.where(SkipPermit.valid_from <= valid_at, SkipPermit.valid_to >= valid_at)
    out = [(p, haversine_m(lon, lat, float(x), float(y))) for p, x, y in session.execute(stmt)]
    out = [t for t in out if t[1] <= radius_m]
    out.sort(key=lambda t: (t[1], t[0].id))
    return out


def check_skips_against_permits(
    session: Session, radius_m: float = 20.0, statuses: Sequence[str] | None = None
) -> list[dict]:
    """Each skip seen on the highway, with the permit that covers it, if any.

    A skip is covered by a permit within ``radius_m`` metres (address geocoding and
    GPS are both approximate) that is valid on the day the skip was last seen.
    Returns dicts: ``defect_id, lon, lat, first_seen, last_seen, segment_id, permitted,
    permit_reference, permit_distance_m, nearest_expired_reference`` (an expired or
    not-yet-valid permit nearby: often a permit to renew rather than an illegal skip).
    """
    from store.defects import ACTIVE_STATUSES, defect_lonlat, list_defects

    out = []
    for d in list_defects(
        session, class_name="skip", status=list(statuses or ACTIVE_STATUSES), limit=None
    ):
        lon, lat = defect_lonlat(d)
        valid = permits_near(session, lon, lat, radius_m, valid_at=d.last_seen)
        anyp = [] if valid else permits_near(session, lon, lat, radius_m)
        out.append(
            {
                "defect_id": d.id,
                "lon": lon,
                "lat": lat,
                "segment_id": d.segment_id,
                "first_seen": d.first_seen,
                "last_seen": d.last_seen,
                "permitted": bool(valid),
                "permit_reference": valid[0][0].reference if valid else None,
                "permit_distance_m": round(valid[0][1], 1) if valid else None,
                "nearest_expired_reference": anyp[0][0].reference if anyp else None,
            }
        )
    return out


def get_permit_by_reference(session: Session, reference: str) -> SkipPermit | None:
    """The permit with this register reference, or None."""
    return session.scalars(select(SkipPermit).where(SkipPermit.reference == reference)).first()
