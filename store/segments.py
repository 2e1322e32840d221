"""Road segments: the network the defects are placed on.

Input follows the road-network contract of ``docs/architecture.md``
(``RoadNetwork.segments``: any CRS, one row per segment, ``segment_id`` stable).
Upserts are idempotent: a segment id is the primary key, so loading the same
network twice leaves the same rows. Hierarchy columns set by
:mod:`hierarchy` (recommended category, frequencies, condition) are never
overwritten by a network load; ``current_category`` is only taken from the
input where it has one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.network.road_tags import SEGMENT_COLUMNS
from roadcam.errors import CRSError, NetworkError
from store._sql import bbox_filter, bulk_insert, geom_ewkt
from store.models import SRID, RoadSegment, utcnow

log = logging.getLogger(__name__)

_TEXT_COLS = ("source_id", "name", "ref", "highway", "road_class", "u", "v")
_UPDATE_COLS = (
    "source_id",
    "name",
    "ref",
    "highway",
    "road_class",
    "oneway",
    "u",
    "v",
    "geom",
    "length_m",
    "updated_at",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _rows_from_geodataframe(segments: Any) -> list[dict[str, Any]]:
    if segments.crs is None:
        raise CRSError("road segments have no CRS; set one before storing them")
    if "segment_id" not in segments.columns:
        raise NetworkError("road segments need a 'segment_id' column (see docs/architecture.md)")
    if segments["segment_id"].duplicated().any():
        dup = segments.loc[segments["segment_id"].duplicated(), "segment_id"].iloc[0]
        raise NetworkError(f"duplicate segment_id {dup!r} in the road network")
    wgs = segments.to_crs(SRID)
    if "length_m" not in wgs.columns:
        from pyproj import Geod

        geod = Geod(ellps="WGS84")
        lengths = [geod.geometry_length(g) for g in wgs.geometry]
    else:
        lengths = [float(v) for v in wgs["length_m"]]
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for i, (rec, geom) in enumerate(zip(wgs.itertuples(index=False), wgs.geometry, strict=True)):
        if geom is None or geom.is_empty or geom.geom_type != "LineString":
            raise NetworkError(
                f"segment {rec.segment_id!r}: geometry must be a LineString, got {None if geom is None else geom.geom_type}"
            )
        row: dict[str, Any] = {"id": str(rec.segment_id)}
        for col in _TEXT_COLS:
            row[col] = _text(getattr(rec, col, ""))
        row["oneway"] = (
            bool(getattr(rec, "oneway", False)) if _text(getattr(rec, "oneway", "")) else False
        )
        row["geom"] = geom_ewkt(geom)
        row["length_m"] = lengths[i]
        hierarchy = _text(getattr(rec, "hierarchy", ""))
        row["current_category"] = hierarchy or None
        row["updated_at"] = now
        rows.append(row)
    return rows


def upsert_segments(session: Session, segments: Any) -> dict[str, int]:
    """Insert new segments and update stored ones from a GeoDataFrame (any CRS).

    Returns ``{"inserted": n, "updated": m}`` where ``updated`` counts input
    segments that were already stored (their network attributes are rewritten).
    """
    rows = _rows_from_geodataframe(segments)
    if not rows:
        return {"inserted": 0, "updated": 0}
    ids = [r["id"] for r in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        existing.update(session.scalars(select(RoadSegment.id).where(RoadSegment.id.in_(chunk))))
    bulk_insert(
        session,
        RoadSegment.__table__,
        rows,
        conflict_cols=("id",),
        update_cols=_UPDATE_COLS,
        coalesce_cols=("current_category",),
    )
    result = {"inserted": len(rows) - len(existing), "updated": len(existing)}
    log.info("road segments: %(inserted)d inserted, %(updated)d updated", result)
    return result


def list_segments(
    session: Session,
    bbox: Sequence[float] | None = None,
    road_class: str | Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RoadSegment]:
    """Segments meeting ``bbox`` (lon/lat) and of ``road_class`` (one or several), by id."""
    stmt = select(RoadSegment).order_by(RoadSegment.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, RoadSegment.__table__, bbox))
    if road_class is not None:
        classes = [road_class] if isinstance(road_class, str) else list(road_class)
        stmt = stmt.where(RoadSegment.road_class.in_(classes))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def get_segment(session: Session, segment_id: str) -> RoadSegment | None:
    """One segment by id, or None."""
    return session.get(RoadSegment, segment_id)


def count_segments_by_class(session: Session) -> dict[str, int]:
    """Number of stored segments per road class."""
    stmt = (
        select(RoadSegment.road_class, func.count())
        .group_by(RoadSegment.road_class)
        .order_by(RoadSegment.road_class)
    )
    return {cls: int(n) for cls, n in session.execute(stmt)}


def network_summary(session: Session) -> dict[str, Any]:
    """``{"segments": n, "total_km": x, "by_class": {class: {"segments": n, "km": x}}}``."""
    stmt = (
        select(RoadSegment.road_class, func.count(), func.sum(RoadSegment.length_m))
        .group_by(RoadSegment.road_class)
        .order_by(RoadSegment.road_class)
    )
    by_class = {
        cls: {"segments": int(n), "km": round(float(m or 0) / 1000, 3)}
        for cls, n, m in session.execute(stmt)
    }
    total_m = session.scalar(select(func.coalesce(func.sum(RoadSegment.length_m), 0.0)))
    return {
        "segments": sum(v["segments"] for v in by_class.values()),
        "total_km": round(float(total_m or 0) / 1000, 3),
        "by_class": by_class,
        "bbox": network_bbox(session),
    }


def network_bbox(session: Session) -> list[float] | None:
    """``[minlon, minlat, maxlon, maxlat]`` of every stored segment, or None when there is none
    (the map's first view at scale, before it loads any segment)."""
    g = RoadSegment.geom
    if session.get_bind().dialect.name == "postgresql":
        parts = (func.ST_XMin(g), func.ST_YMin(g), func.ST_XMax(g), func.ST_YMax(g))
    else:
        parts = (func.MbrMinX(g), func.MbrMinY(g), func.MbrMaxX(g), func.MbrMaxY(g))
    aggs = [func.min(p) for p in parts[:2]] + [func.max(p) for p in parts[2:]]
    row = session.execute(select(*aggs)).one()
    return None if row[0] is None else [float(v) for v in row]


#: The network contract's columns (one list, in geo.network.road_tags) less its hierarchy and
#: geometry, then the hierarchy review's own.
_GDF_COLS = (
    *(c for c in SEGMENT_COLUMNS if c not in ("hierarchy", "geometry")),
    "current_category",
    "recommended_category",
    "inspection_frequency",
    "recommended_frequency",
    "condition",
)


def segments_to_geodataframe(session: Session, bbox: Sequence[float] | None = None) -> Any:
    """Stored segments as a GeoDataFrame in EPSG:4326 (columns as the network contract, plus hierarchy)."""
    import geopandas as gpd
    import shapely

    table = RoadSegment.__table__
    stmt = select(
        *[table.c[c] for c in table.c.keys() if c != "geom"],
        func.ST_AsBinary(table.c.geom).label("wkb"),
    ).order_by(table.c.id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, table, bbox))
    records = [dict(r._mapping) for r in session.execute(stmt)]
    geoms = shapely.from_wkb([bytes(r.pop("wkb")) for r in records]) if records else []
    for r in records:
        r["segment_id"] = r.pop("id")
    columns = list(_GDF_COLS) + ["updated_at"]
    frame = gpd.GeoDataFrame(records, columns=columns, geometry=list(geoms), crs=f"EPSG:{SRID}")
    return frame


def inspection_km_by_frequency(session: Session) -> dict[str, dict[str, dict[str, float]]]:
    """Segments and km per inspection frequency, current and recommended.

    ``{"current": {freq: {"segments": n, "km": x}}, "recommended": {...}}``; segments
    with no frequency yet (no hierarchy review run) are under ``""``.
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    for key, col in (
        ("current", RoadSegment.inspection_frequency),
        ("recommended", RoadSegment.recommended_frequency),
    ):
        rows: dict[str, dict[str, float]] = {}
        for f, n, m in session.execute(
            select(col, func.count(), func.sum(RoadSegment.length_m)).group_by(col)
        ):
            row = rows.setdefault(f or "", {"segments": 0, "km": 0.0})
            row["segments"] += int(n)
            row["km"] = round(row["km"] + float(m or 0) / 1000, 3)
        out[key] = rows
    return out
