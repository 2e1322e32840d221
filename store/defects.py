"""Defects: merged sightings with a life cycle (open → repair_claimed → verified_repaired …).

* :func:`save_defects` inserts new :class:`~geo.types.DefectCandidate` rows and
  rewrites stored ones (``defect_id`` set). An update candidate carries the full
  merged state (as :func:`geo.placement.cluster.merge_candidates` builds it), so it is
  written as is.
* :func:`stored_defect_candidates` gives stored defects back as candidates for
  :func:`geo.placement.cluster.defects_from_observations`.
* :func:`defects_near` is metric: a lon/lat box prefilter on the spatial index,
  then the great-circle distance in metres.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.types import DefectCandidate
from roadcam.errors import InputNotFoundError, InvalidTransitionError, UsageError
from store._sql import bbox_around_m, bbox_filter, clean_float, distance_m, lonlat_of, point_ewkt
from store.audit import record_event
from store.frames import frame_ids_by_key
from store.models import DEFECT_STATUSES, Defect, Frame, utcnow
from store.observations import link_observations
from store.review import repropose_if_changed

log = logging.getLogger(__name__)

#: Allowed status changes. Setting the current status again is a no-op.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"repair_claimed", "closed"}),
    "repair_claimed": frozenset({"verified_repaired", "still_present", "open", "closed"}),
    "verified_repaired": frozenset({"still_present", "closed"}),
    "still_present": frozenset({"repair_claimed", "closed"}),
    "closed": frozenset({"open"}),  # reopen
}
ACTIVE_STATUSES = ("open", "repair_claimed", "verified_repaired", "still_present")
DEFAULT_LIMIT = 1000


def _check_status(status: str) -> None:
    if status not in DEFECT_STATUSES:
        raise UsageError(f"unknown defect status {status!r}; one of {', '.join(DEFECT_STATUSES)}")


def list_defects(
    session: Session,
    bbox: Sequence[float] | None = None,
    class_name: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    segment_ids: Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
) -> list[Defect]:
    """Defects filtered by lon/lat ``bbox``, class(es), status(es), segments and ``last_seen >= since``, by id."""
    stmt = select(Defect).order_by(Defect.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, Defect.__table__, bbox))
    if class_name is not None:
        stmt = stmt.where(
            Defect.class_name.in_([class_name] if isinstance(class_name, str) else list(class_name))
        )
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        for s in statuses:
            _check_status(s)
        stmt = stmt.where(Defect.status.in_(statuses))
    if segment_ids is not None:
        stmt = stmt.where(Defect.segment_id.in_(list(segment_ids)))
    if since is not None:
        stmt = stmt.where(Defect.last_seen >= since)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count_defects(session: Session, status: str | None = None) -> int:
    """Number of stored defects (of one status, or all)."""
    stmt = select(func.count()).select_from(Defect)
    if status is not None:
        stmt = stmt.where(Defect.status == status)
    return int(session.scalar(stmt) or 0)


def get_defect(session: Session, defect_id: int) -> Defect | None:
    """One defect by id, or None."""
    return session.get(Defect, defect_id)


def defect_lonlat(defect: Defect) -> tuple[float, float]:
    """``(lon, lat)`` of a loaded defect."""
    return lonlat_of(defect.geom)


def defect_to_dict(defect: Defect) -> dict[str, Any]:
    """A JSON-ready dict of a defect (times as ISO strings, position as lon/lat)."""
    lon, lat = defect_lonlat(defect)
    out: dict[str, Any] = {"id": defect.id, "lon": lon, "lat": lat}
    for col in Defect.__table__.columns.keys():
        if col in ("id", "geom"):
            continue
        value = getattr(defect, col)
        out[col] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _best_frame(
    session: Session, cand: DefectCandidate, frames: dict[tuple[str, int], int] | None
) -> tuple[int | None, str]:
    fid = frames.get((cand.best_source or "", cand.best_frame_index)) if frames else None
    ref = f"{cand.best_source}#{cand.best_frame_index}"
    if fid is not None:
        image_ref = session.scalar(select(Frame.image_ref).where(Frame.id == fid))
        ref = image_ref or ref
    return fid, ref


def _apply(defect: Defect, cand: DefectCandidate, best: tuple[int | None, str]) -> None:
    defect.class_name = cand.class_name
    defect.geom = WKTElement(point_ewkt(cand.lon, cand.lat), extended=True)
    defect.segment_id = cand.segment_id
    defect.chainage_m = clean_float(cand.chainage_m)
    defect.offset_m = clean_float(cand.offset_m)
    defect.first_seen = cand.first_seen
    defect.last_seen = cand.last_seen
    defect.sightings = int(cand.sightings)
    defect.max_width_m = clean_float(cand.max_width_m)
    defect.best_confidence = float(cand.best_confidence)
    if best[0] is not None or defect.best_frame_ref is None or cand.defect_id is None:
        defect.best_frame_id, defect.best_frame_ref = best
    defect.updated_at = utcnow()


def save_defects(
    session: Session,
    candidates: Sequence[DefectCandidate],
    survey_id: int | None = None,
    observation_ids: Sequence[int] | None = None,
) -> list[int]:
    """Insert new candidates and rewrite stored ones (``defect_id`` set); return ids in input order.

    With ``survey_id`` the best frame is linked by ``(best_source, best_frame_index)``.
    With ``observation_ids`` (the ids :func:`store.observations.add_observations`
    returned for the observation list the candidates were built from), each
    candidate's ``observation_keys`` attach those observations to its defect.
    A stored ``verified_repaired`` defect that is seen again becomes ``still_present``.
    New defects start ``proposed`` (see :mod:`store.review`); a rejected one seen again stays
    rejected unless it grew.
    """
    frames = frame_ids_by_key(session, survey_id) if survey_id is not None else None
    ids: list[int] = []
    for cand in candidates:
        best = _best_frame(session, cand, frames)
        if cand.defect_id is None:
            defect = Defect(status="open", review_status="proposed", created_at=utcnow())
            _apply(defect, cand, best)
            session.add(defect)
        else:
            defect = session.get(Defect, cand.defect_id)
            if defect is None:
                raise InputNotFoundError(f"defect {cand.defect_id} not found")
            seen_again = cand.last_seen > defect.last_seen
            width_before = defect.max_width_m
            _apply(defect, cand, best)
            if seen_again:
                repropose_if_changed(session, defect, width_before, defect.max_width_m)
            if seen_again and defect.status == "verified_repaired":
                defect.status, defect.status_note, defect.status_changed_at = (
                    "still_present",
                    "seen again after verified repair",
                    utcnow(),
                )
        session.flush()
        ids.append(int(defect.id))
        if observation_ids is not None and cand.observation_keys:
            link_observations(
                session, defect.id, [observation_ids[k] for k in cand.observation_keys]
            )
    log.info("defects: %d saved", len(ids))
    return ids


def set_defect_status(
    session: Session, defect_id: int, status: str, note: str | None = None, actor: str = "system"
) -> Defect:
    """Move a defect to ``status`` when :data:`TRANSITIONS` allows it; raise InvalidTransitionError otherwise."""
    _check_status(status)
    defect = session.get(Defect, defect_id)
    if defect is None:
        raise InputNotFoundError(f"defect {defect_id} not found")
    if defect.status == status:
        return defect
    if status not in TRANSITIONS[defect.status]:
        allowed = ", ".join(sorted(TRANSITIONS[defect.status]))
        raise InvalidTransitionError(
            f"defect {defect_id}: cannot go from {defect.status} to {status} (allowed: {allowed})"
        )
    record_event(session, "defect", defect_id, "status", actor, defect.status, status, note)
    defect.status = status
    defect.status_note = note
    defect.status_changed_at = utcnow()
    defect.updated_at = utcnow()
    session.flush()
    return defect


def set_defect_risk(
    session: Session,
    defect_id: int,
    risk_category: str | None,
    risk_score: float | None,
    response_due: datetime | None = None,
) -> Defect:
    """Record a defect's risk category, score and response deadline."""
    defect = session.get(Defect, defect_id)
    if defect is None:
        raise InputNotFoundError(f"defect {defect_id} not found")
    defect.risk_category = risk_category
    defect.risk_score = clean_float(risk_score)
    defect.response_due = response_due
    defect.updated_at = utcnow()
    session.flush()
    return defect


def defects_near(
    session: Session,
    class_name: str | None,
    lon: float,
    lat: float,
    radius_m: float,
    status: Sequence[str] | None = None,
) -> list[tuple[Defect, float]]:
    """Defects (of ``class_name``, or any) within ``radius_m`` metres of a point, nearest first, with distances."""
    if radius_m < 0:
        raise UsageError("radius_m must be >= 0")
    box = bbox_around_m(lon, lat, radius_m)
    stmt = select(Defect, func.ST_X(Defect.geom), func.ST_Y(Defect.geom)).where(
        bbox_filter(session, Defect.__table__, box)
    )
    if class_name is not None:
        stmt = stmt.where(Defect.class_name == class_name)
    if status is not None:
        stmt = stmt.where(Defect.status.in_(list(status)))
    out = []
    for defect, x, y in session.execute(stmt):
        d = distance_m(lon, lat, float(x), float(y))
        if d <= radius_m:
            out.append((defect, d))
    out.sort(key=lambda t: (t[1], t[0].id))
    return out


def stored_defect_candidates(
    session: Session,
    bbox: Sequence[float] | None = None,
    class_name: str | Sequence[str] | None = None,
    status: Sequence[str] = ACTIVE_STATUSES,
) -> list[DefectCandidate]:
    """Stored defects as candidates (``defect_id`` set), to merge new sightings into."""
    out: list[DefectCandidate] = []
    for d in list_defects(
        session, bbox=bbox, class_name=class_name, status=list(status), limit=None
    ):
        source, index = "", 0
        if d.best_frame_id is not None:
            row = session.execute(
                select(Frame.source, Frame.frame_index).where(Frame.id == d.best_frame_id)
            ).first()
            if row:
                source, index = row[0], int(row[1])
        elif d.best_frame_ref and "#" in d.best_frame_ref:
            src, _, idx = d.best_frame_ref.rpartition("#")
            source, index = src, int(idx) if idx.isdigit() else 0
        lon, lat = defect_lonlat(d)
        out.append(
            DefectCandidate(
                class_name=d.class_name,
                lon=lon,
                lat=lat,
                segment_id=d.segment_id,
                chainage_m=d.chainage_m,
                offset_m=d.offset_m,
                first_seen=d.first_seen,
                last_seen=d.last_seen,
                sightings=d.sightings,
                max_width_m=d.max_width_m if d.max_width_m is not None else 0.0,
                best_confidence=d.best_confidence,
                best_frame_index=index,
                best_source=source,
                defect_id=d.id,
            )
        )
    return out
