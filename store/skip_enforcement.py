"""Skip enforcement: each skip on the highway, checked against the permit register.

Which stored skips may be charged at all is decided in ONE place,
:func:`chargeable_skip_filter`. The council's rule is that only a finding a named
engineer has confirmed reaches money. **Today** the defect life cycle has no
``confirmed`` status (store/defects.py: open, repair_claimed, verified_repaired,
still_present, closed), so the filter passes every active skip (not ``closed``: an
engineer closes a false detection). When the finding life cycle with a ``confirmed``
status lands (issue 12), point this one function at it; nothing else changes.

A skip is covered by a permit that either lies within ``radius_m`` of it
(``location_source = coordinates``) or names its street (``location_source =
street``: the permit's ``street_key`` equals the key of the skip's segment name).
Permits that follow each other (a renewal starting by the next calendar day) are joined. Then:

* ``permitted``: the joined permits cover every day from first to last seen;
* ``overstay``: they cover the first day seen but end before the last;
* ``unlicensed``: none covers the first day seen.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from geo.network.street_names import street_key
from store.defects import ACTIVE_STATUSES, defect_lonlat
from store.models import Defect, Frame, Observation, RoadSegment, SkipPermit
from store.permits import permits_near
from store.review import confirmed_clause

#: Statuses the chargeable filter passes today (see the module docstring).
CHARGEABLE_SKIP_STATUSES: tuple[str, ...] = ACTIVE_STATUSES


def chargeable_skip_filter() -> ColumnElement[bool]:
    """THE rule for which stored skips may be charged: skips an engineer has confirmed.

    ``class_name == 'skip'``, still active (``status`` in :data:`CHARGEABLE_SKIP_STATUSES`)
    and confirmed by a named engineer (:func:`store.review.confirmed_clause`).
    """
    return and_(
        Defect.class_name == "skip",
        Defect.status.in_(CHARGEABLE_SKIP_STATUSES),
        confirmed_clause(),
    )


def _street_permits(session: Session, key: str) -> list[SkipPermit]:
    if not key:
        return []
    stmt = select(SkipPermit).where(
        SkipPermit.location_source == "street", SkipPermit.street_key == key
    )
    return list(session.scalars(stmt))


def _coverage(permits: list[SkipPermit], first: datetime, last: datetime) -> dict[str, Any]:
    """How the joined permits cover [first, last]: state, reference, covered_until."""
    chain = sorted(permits, key=lambda p: (p.valid_from, p.id))
    start = [p for p in chain if p.valid_from <= first <= p.valid_to]
    if not start:
        return {"permit_state": "unlicensed", "permit_reference": None, "covered_until": None}
    first_permit = max(start, key=lambda p: p.valid_to)
    until = first_permit.valid_to
    for p in chain:
        if p.valid_from.date() <= until.date() + timedelta(days=1) and p.valid_to > until:
            until = p.valid_to
    state = "permitted" if until >= last else "overstay"
    return {
        "permit_state": state,
        "permit_reference": first_permit.reference,
        "covered_until": until,
    }


def _evidence_frames(session: Session, defect_id: int) -> list[str]:
    stmt = (
        select(Frame.image_ref, Frame.source, Frame.frame_index)
        .join(Observation, Observation.frame_id == Frame.id)
        .where(Observation.defect_id == defect_id)
        .order_by(Frame.time, Frame.id)
    )
    return [ref or f"{src}#{idx}" for ref, src, idx in session.execute(stmt)]


def _finding(session: Session, d: Defect, radius_m: float) -> dict[str, Any]:
    lon, lat = defect_lonlat(d)
    seg = session.get(RoadSegment, d.segment_id) if d.segment_id else None
    street = seg.name if seg is not None and seg.name else None
    # a street permit's point only marks its street: it covers by name, never by distance
    near = [
        (p, dist)
        for p, dist in permits_near(session, lon, lat, radius_m)
        if p.location_source != "street"
    ]
    distance = {p.id: dist for p, dist in near}
    permits = [p for p, _ in near] + [
        p for p in _street_permits(session, street_key(street or "")) if p.id not in distance
    ]
    cover = _coverage(permits, d.first_seen, d.last_seen)
    ref = cover["permit_reference"]
    used = next((p for p in permits if p.reference == ref), None)
    until = cover["covered_until"]
    overstay = (
        (d.last_seen.date() - until.date()).days if cover["permit_state"] == "overstay" else 0
    )
    chainage = f"{d.chainage_m:.0f} m" if d.chainage_m is not None else "chainage unknown"
    return {
        "defect_id": d.id,
        "lon": lon,
        "lat": lat,
        "segment_id": d.segment_id,
        "chainage_m": d.chainage_m,
        "street": street,
        "nearest_address": f"{street or 'unnamed road'} ({d.segment_id}) at {chainage}",
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
        "days_on_highway": (d.last_seen.date() - d.first_seen.date()).days + 1,
        "sightings": d.sightings,
        "best_confidence": d.best_confidence,
        "evidence_frames": _evidence_frames(session, d.id) or [d.best_frame_ref or ""],
        **cover,
        "permitted": cover["permit_state"] == "permitted",
        "permit_distance_m": round(distance[used.id], 1) if used and used.id in distance else None,
        "overstay_days": max(1, overstay) if cover["permit_state"] == "overstay" else 0,
        "other_permit_reference": None if ref else (permits[0].reference if permits else None),
    }


def skip_findings(session: Session, min_sightings: int, radius_m: float) -> list[dict[str, Any]]:
    """Every chargeable skip seen at least ``min_sightings`` times, with its permit state.

    Each dict: ``defect_id, lon, lat, segment_id, chainage_m, street, nearest_address``
    (no address gazetteer is loaded, so the segment name and chainage), ``first_seen,
    last_seen, days_on_highway`` (calendar days from first to last seen, both counted:
    a lower bound, the skip may have stood before it was first passed), ``sightings,
    best_confidence, evidence_frames`` (image refs of its sightings, in time order),
    ``permit_state`` (permitted / overstay / unlicensed), ``permitted, permit_reference,
    permit_distance_m`` (None for a street permit), ``covered_until, overstay_days`` and
    ``other_permit_reference`` (a nearby permit not valid on the first day: often a
    licence to renew or one taken out late). By defect id.
    """
    stmt = (
        select(Defect)
        .where(chargeable_skip_filter(), Defect.sightings >= int(min_sightings))
        .order_by(Defect.id)
    )
    return [_finding(session, d, radius_m) for d in session.scalars(stmt)]
