"""Skip permits: the council's register of builders' skips allowed on the highway.

:func:`import_skip_permits` takes what a council's register holds (reference, address
or street, optional lon/lat, valid from/to, company, contact). A row with no
coordinates is placed on the network by its street: the street (or the first part of
the address that names a road) is compared with the segments' ``name`` through
:func:`geo.network.street_names.street_key`. Every row is checked before any is
written, and the caller's session is one transaction, so a bad row stores nothing.
The enforcement list (skips seen without a valid permit) is in
:mod:`store.skip_enforcement`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.network.street_names import street_key, streets_in_address
from roadcam.errors import CorruptInputError, UsageError
from store._sql import bbox_around_m, bbox_filter, distance_m, point_ewkt
from store.models import RoadSegment, SkipPermit

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
    *,
    street: str | None = None,
    contact: str | None = None,
    location_source: str = "coordinates",
    segment_id: str | None = None,
) -> SkipPermit:
    """Store a permit, or update the stored one with the same ``reference`` (idempotent).

    ``holder`` is the company. ``location_source`` is ``coordinates`` (lon/lat from the
    register) or ``street`` (the point is on ``segment_id``, matched by street name:
    such a permit covers every segment of that street, see :mod:`store.skip_enforcement`).
    """
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
    permit.street, permit.contact = street, contact
    permit.street_key = street_key(street) if street else None
    permit.location_source, permit.segment_id = location_source, segment_id
    session.flush()
    return permit


def get_skip_permit(session: Session, permit_id: int) -> SkipPermit | None:
    """One permit by id, or None."""
    return session.get(SkipPermit, permit_id)


def get_skip_permit_by_reference(session: Session, reference: str) -> SkipPermit | None:
    """One permit by its register reference, or None."""
    return session.scalars(select(SkipPermit).where(SkipPermit.reference == reference)).first()


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
    out = [(p, distance_m(lon, lat, float(x), float(y))) for p, x, y in session.execute(stmt)]
    out = [t for t in out if t[1] <= radius_m]
    out.sort(key=lambda t: (t[1], t[0].id))
    return out


@dataclass(frozen=True)
class StreetPlace:
    """Where a street-matched permit is put: the street as the network names it."""

    street: str
    segment_id: str
    lon: float
    lat: float
    segments: int


def streets_of_network(session: Session) -> dict[str, StreetPlace]:
    """Every named street of the stored network by :func:`street_key`, placed at the midpoint
    of its longest segment (``segments`` counts the segments that share the name)."""
    from geoalchemy2.shape import to_shape

    best: dict[str, tuple[RoadSegment, int]] = {}
    for seg in session.scalars(select(RoadSegment).where(RoadSegment.name != "")):
        key = street_key(seg.name)
        if not key:
            continue
        held = best.get(key)
        if held is None:
            best[key] = (seg, 1)
        else:
            longer = seg if seg.length_m > held[0].length_m else held[0]
            best[key] = (longer, held[1] + 1)
    out = {}
    for key, (seg, n) in best.items():
        mid = to_shape(seg.geom).interpolate(0.5, normalized=True)
        out[key] = StreetPlace(seg.name, seg.id, float(mid.x), float(mid.y), n)
    return out


def _row_error(n: int, msg: str) -> CorruptInputError:
    return CorruptInputError(f"permit register row {n}: {msg}")


def _place_row(
    n: int, row: Mapping[str, Any], streets: Mapping[str, StreetPlace]
) -> dict[str, Any]:
    """Row ``n`` of the register as keyword arguments of :func:`create_skip_permit`."""
    street, address = (row.get("street") or "").strip(), (row.get("address") or "").strip()
    out = {
        "reference": row["reference"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "address": address,
        "holder": (row.get("company") or "").strip(),
        "contact": (row.get("contact") or "").strip() or None,
        "street": street or None,
    }
    if row.get("lon") is not None and row.get("lat") is not None:
        out.update(lon=float(row["lon"]), lat=float(row["lat"]), location_source="coordinates")
        return out
    if not street and not address:
        raise _row_error(n, "no lon/lat and no street or address to place it by")
    candidates = [street] if street else streets_in_address(address)
    for name in candidates:
        place = streets.get(street_key(name))
        if place is not None:
            out.update(
                lon=place.lon,
                lat=place.lat,
                street=place.street,
                location_source="street",
                segment_id=place.segment_id,
            )
            return out
    shown = street or address
    raise _row_error(n, f"street {shown!r} matches no road name in the network; give lon,lat")


def import_skip_permits(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Check every register row, then store them all (upsert by reference).

    ``rows`` are dicts with ``reference, valid_from, valid_to`` and ``lon, lat`` (or None),
    ``street, address, company, contact`` (strings, may be empty). Rows are numbered
    from 2 (the CSV header is row 1). A bad row raises :class:`CorruptInputError` naming
    its row before anything is written; run it in one session so nothing is half-imported.
    Returns counts: ``permits``, ``by_coordinates``, ``by_street``.
    """
    streets = streets_of_network(session)
    placed, seen = [], {}
    for n, row in enumerate(rows, start=2):
        ref = (row.get("reference") or "").strip()
        if not ref:
            raise _row_error(n, "empty reference")
        if ref in seen:
            raise _row_error(n, f"reference {ref!r} repeats row {seen[ref]}")
        seen[ref] = n
        if row["valid_to"] < row["valid_from"]:
            raise _row_error(n, f"{ref}: valid_to is before valid_from")
        placed.append(_place_row(n, {**row, "reference": ref}, streets))
    for n, kw in enumerate(placed, start=2):
        try:
            create_skip_permit(session, **kw)
        except UsageError as err:
            raise _row_error(n, str(err)) from None
    by_street = sum(kw["location_source"] == "street" for kw in placed)
    log.info("skip permits: %d imported, %d placed by street", len(placed), by_street)
    return {
        "permits": len(placed),
        "by_coordinates": len(placed) - by_street,
        "by_street": by_street,
    }
