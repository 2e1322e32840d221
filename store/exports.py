"""Exports: defects (filtered as on the map), sightings, segments, claims and permits as
GeoDataFrames in EPSG:4326, the incremental change feed, and the one rule of what counts as a
confirmed finding.

All SQL of the exports lives here; :mod:`store.export_files` writes the frames as CSV, GeoJSON,
GeoPackage and GeoParquet, and :mod:`store.confirm` shapes confirmed defects for Confirm.

**Confirmed.** The council's rule is that only confirmed findings leave roadcam for another
system (Confirm, the changes feed): :func:`confirmed_defect_clause` is
:func:`store.review.confirmed_clause`, a finding an engineer or inspector has confirmed in the
review queue. Proposed and rejected findings are never exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from store._sql import bbox_filter
from store.defect_filter import DefectFilter
from store.models import (
    SRID,
    Defect,
    Frame,
    Observation,
    RepairClaim,
    RoadSegment,
    SkipPermit,
    Survey,
)
from store.review import confirmed_clause


def confirmed_defect_clause() -> ColumnElement[bool]:
    """WHERE clause: the defect is a confirmed finding (the one rule; see the module doc)."""
    return confirmed_clause()


DEFECT_COLUMNS = (
    "id",
    "class_name",
    "status",
    "confirmed",
    "segment_id",
    "road_name",
    "road_ref",
    "chainage_m",
    "offset_m",
    "first_seen",
    "last_seen",
    "sightings",
    "max_width_m",
    "best_confidence",
    "risk_category",
    "risk_score",
    "response_due",
    "status_note",
    "status_changed_at",
    "evidence_ref",
    "created_at",
    "updated_at",
)


def _defect_select(session: Session, f: DefectFilter) -> Select:
    stmt = (
        select(
            Defect.id,
            Defect.class_name,
            Defect.status,
            confirmed_defect_clause().label("confirmed"),
            Defect.segment_id,
            func.coalesce(RoadSegment.name, "").label("road_name"),
            func.coalesce(RoadSegment.ref, "").label("road_ref"),
            Defect.chainage_m,
            Defect.offset_m,
            Defect.first_seen,
            Defect.last_seen,
            Defect.sightings,
            Defect.max_width_m,
            Defect.best_confidence,
            Defect.risk_category,
            Defect.risk_score,
            Defect.response_due,
            Defect.status_note,
            Defect.status_changed_at,
            Defect.best_frame_ref.label("evidence_ref"),
            Defect.created_at,
            Defect.updated_at,
            func.ST_AsBinary(Defect.geom).label("wkb"),
        )
        .outerjoin(RoadSegment, RoadSegment.id == Defect.segment_id)
        .order_by(Defect.id)
    )
    return _where(session, stmt, f)


def _where(session: Session, stmt: Select, f: DefectFilter) -> Select:
    """``stmt`` (defects outer-joined to their segment) narrowed by ``f``."""
    in_list = (
        (Defect.id, f.ids),
        (Defect.class_name, f.class_names),
        (Defect.status, f.statuses),
        (Defect.risk_category, f.risk_categories),
        (Defect.segment_id, f.segment_ids),
    )
    for col, values in in_list:
        if values is not None:
            stmt = stmt.where(col.in_(list(values)))
    if f.road:
        like = f"%{f.road.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(RoadSegment.name).like(like), func.lower(RoadSegment.ref).like(like))
        )
    if f.bbox is not None:
        stmt = stmt.where(bbox_filter(session, Defect.__table__, f.bbox))
    ranges = (
        (Defect.first_seen, f.first_seen_from, f.first_seen_to),
        (Defect.last_seen, f.last_seen_from, f.last_seen_to),
        (Defect.updated_at, f.updated_since, None),
    )
    for col, lo, hi in ranges:
        if lo is not None:
            stmt = stmt.where(col >= lo)
        if hi is not None:
            stmt = stmt.where(col <= hi)
    if f.confirmed_only:
        stmt = stmt.where(confirmed_defect_clause())
    return stmt


def filtered_defects(session: Session, f: DefectFilter, limit: int | None = None) -> list[Defect]:
    """Defect rows meeting ``f``, by id (what the map shows)."""
    stmt = select(Defect).outerjoin(RoadSegment, RoadSegment.id == Defect.segment_id)
    stmt = _where(session, stmt, f).order_by(Defect.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def _geodataframe(rows: list[dict[str, Any]], columns: Sequence[str]) -> Any:
    import geopandas as gpd
    import shapely

    geoms = shapely.from_wkb([bytes(r.pop("wkb")) for r in rows]) if rows else []
    return gpd.GeoDataFrame(rows, columns=list(columns), geometry=list(geoms), crs=f"EPSG:{SRID}")


def defects_frame(session: Session, f: DefectFilter | None = None, limit: int | None = None):
    """Defects meeting ``f`` (default: every defect) as a GeoDataFrame (points, EPSG:4326), by id."""
    stmt = _defect_select(session, f or DefectFilter())
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [dict(r._mapping) for r in session.execute(stmt)]
    for r in rows:
        r["confirmed"] = bool(r["confirmed"])
    return _geodataframe(rows, DEFECT_COLUMNS)


SIGHTING_COLUMNS = (
    "id",
    "defect_id",
    "class_name",
    "confidence",
    "width_m",
    "segment_id",
    "chainage_m",
    "offset_m",
    "time",
    "survey_id",
    "vehicle_id",
    "source",
    "frame_index",
    "evidence_ref",
)


def sightings_frame(session: Session, since: datetime | None = None):
    """Every detection (observation) with its frame's time and vehicle, seen at or after ``since``."""
    stmt = (
        select(
            Observation.id,
            Observation.defect_id,
            Observation.class_name,
            Observation.confidence,
            Observation.width_m,
            Observation.segment_id,
            Observation.chainage_m,
            Observation.offset_m,
            Frame.time,
            Frame.survey_id,
            Survey.vehicle_id,
            Frame.source,
            Frame.frame_index,
            Frame.image_ref.label("evidence_ref"),
            func.ST_AsBinary(Observation.geom).label("wkb"),
        )
        .join(Frame, Frame.id == Observation.frame_id)
        .join(Survey, Survey.id == Frame.survey_id)
        .order_by(Observation.id)
    )
    if since is not None:
        stmt = stmt.where(Frame.time >= since)
    return _geodataframe([dict(r._mapping) for r in session.execute(stmt)], SIGHTING_COLUMNS)


def segments_frame(session: Session, since: datetime | None = None):
    """Road segments (lines) with their hierarchy fields, changed at or after ``since``."""
    from store.segments import segments_to_geodataframe

    gdf = segments_to_geodataframe(session)
    reasons = dict(session.execute(select(RoadSegment.id, RoadSegment.hierarchy_reasons)).all())
    gdf["hierarchy_reasons"] = gdf["segment_id"].map(reasons)
    if since is not None:
        gdf = gdf[gdf["updated_at"] >= since].reset_index(drop=True)
    return gdf


CLAIM_COLUMNS = (
    "id",
    "defect_id",
    "contractor",
    "reference",
    "claimed_at",
    "status",
    "verified_at",
)


def claims_frame(session: Session, since: datetime | None = None):
    """Repair claims (at their defect's point), claimed or verified at or after ``since``."""
    stmt = (
        select(
            RepairClaim.id,
            RepairClaim.defect_id,
            RepairClaim.contractor,
            RepairClaim.reference,
            RepairClaim.claimed_at,
            RepairClaim.status,
            RepairClaim.verified_at,
            func.ST_AsBinary(Defect.geom).label("wkb"),
        )
        .join(Defect, Defect.id == RepairClaim.defect_id)
        .order_by(RepairClaim.id)
    )
    if since is not None:
        stmt = stmt.where(or_(RepairClaim.claimed_at >= since, RepairClaim.verified_at >= since))
    return _geodataframe([dict(r._mapping) for r in session.execute(stmt)], CLAIM_COLUMNS)


PERMIT_COLUMNS = ("id", "reference", "address", "holder", "valid_from", "valid_to")


def permits_frame(session: Session, since: datetime | None = None):
    """Skip permits still valid at or after ``since`` (permits carry no change time)."""
    stmt = select(
        SkipPermit.id,
        SkipPermit.reference,
        SkipPermit.address,
        SkipPermit.holder,
        SkipPermit.valid_from,
        SkipPermit.valid_to,
        func.ST_AsBinary(SkipPermit.geom).label("wkb"),
    ).order_by(SkipPermit.id)
    if since is not None:
        stmt = stmt.where(SkipPermit.valid_to >= since)
    return _geodataframe([dict(r._mapping) for r in session.execute(stmt)], PERMIT_COLUMNS)


def changed_defects(session: Session, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Confirmed defects created or changed at or after ``since``, and defects closed since then,
    oldest change first.

    Each row is a plain dict with lon/lat and ``action``: ``closed`` when it is now closed (a
    consumer deletes it, or ignores an id it never received), ``created`` when it was created
    at or after ``since``, else ``updated``.
    """
    stmt = (
        _defect_select(session, DefectFilter(updated_since=since))
        .where(or_(confirmed_defect_clause(), Defect.status == "closed"))
        .order_by(None)
        .order_by(Defect.updated_at, Defect.id)
    )
    gdf_rows = [dict(r._mapping) for r in session.execute(stmt.limit(limit))]
    gdf = _geodataframe(gdf_rows, DEFECT_COLUMNS)
    out = []
    for rec, geom in zip(
        gdf.drop(columns="geometry").to_dict("records"), gdf.geometry, strict=True
    ):
        rec["confirmed"] = bool(rec["confirmed"])
        rec["lon"], rec["lat"] = float(geom.x), float(geom.y)
        if rec["status"] == "closed":
            rec["action"] = "closed"
        else:
            rec["action"] = "created" if rec["created_at"] >= since else "updated"
        out.append(rec)
    return out


def last_drive_changes(session: Session, passed_within_m: float = 15.0) -> dict[str, Any]:
    """What the latest drive (the survey that started last) changed on the map.

    ``new``: ids of active defects first seen at or after that drive started. ``not_seen``: ids
    of active defects last seen before it although one of its frames passed within
    ``passed_within_m`` metres (the camera went by and did not see them again).
    """
    import numpy as np

    from store._sql import EARTH_RADIUS_M
    from store.defects import ACTIVE_STATUSES

    survey = session.execute(
        select(Survey.id, Survey.vehicle_id, Survey.started_at)
        .where(Survey.started_at.is_not(None))
        .order_by(Survey.started_at.desc(), Survey.id.desc())
        .limit(1)
    ).first()
    if survey is None:
        return {
            "survey_id": None,
            "vehicle_id": None,
            "started_at": None,
            "new": [],
            "not_seen": [],
        }
    started = survey.started_at
    active = select(Defect.id).where(Defect.status.in_(ACTIVE_STATUSES))
    new = list(session.scalars(active.where(Defect.first_seen >= started).order_by(Defect.id)))
    older = session.execute(
        select(Defect.id, func.ST_X(Defect.geom), func.ST_Y(Defect.geom))
        .where(Defect.status.in_(ACTIVE_STATUSES), Defect.last_seen < started)
        .order_by(Defect.id)
    ).all()
    frames = np.array(
        session.execute(
            select(func.ST_X(Frame.geom), func.ST_Y(Frame.geom)).where(Frame.survey_id == survey.id)
        ).all(),
        dtype=float,
    ).reshape(-1, 2)
    not_seen = []
    if len(frames) and older:
        flon, flat = np.radians(frames[:, 0]), np.radians(frames[:, 1])
        for defect_id, x, y in older:
            lon, lat = np.radians(float(x)), np.radians(float(y))
            a = (
                np.sin((flat - lat) / 2) ** 2
                + np.cos(lat) * np.cos(flat) * np.sin((flon - lon) / 2) ** 2
            )
            nearest_m = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a.min()))
            if nearest_m <= passed_within_m:
                not_seen.append(int(defect_id))
    return {
        "survey_id": int(survey.id),
        "vehicle_id": survey.vehicle_id,
        "started_at": started,
        "new": [int(i) for i in new],
        "not_seen": not_seen,
    }
