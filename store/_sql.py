"""Shared SQL helpers for the repository modules: geometry literals, bbox filters,
metric distances and the dialect-specific bulk insert (COPY on PostGIS).

Private to :mod:`store`; other packages call the repository functions.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, and_, column, func, literal_column, text
from sqlalchemy.orm import Session

from geo.crs import geodesic_m
from roadcam.errors import CRSError
from store.models import SRID

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat (EPSG:4326)


def clean_float(value: Any) -> float | None:
    """A float, or None for None/NaN (unknown values are stored as NULL on both databases)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def point_ewkt(lon: float, lat: float) -> str:
    """EWKT of a point in EPSG:4326."""
    return f"SRID={SRID};POINT({float(lon)!r} {float(lat)!r})"


def geom_ewkt(geom: Any) -> str:
    """EWKT of a shapely geometry assumed to be in EPSG:4326."""
    return f"SRID={SRID};{geom.wkt}"


def lonlat_of(geom: Any) -> tuple[float, float]:
    """``(lon, lat)`` of a point loaded from the database (WKB/WKT element or EWKT string)."""
    from geoalchemy2.elements import WKTElement
    from geoalchemy2.shape import to_shape

    if isinstance(geom, str):
        geom = WKTElement(geom, extended=geom.upper().startswith("SRID="))
    p = to_shape(geom)
    return float(p.x), float(p.y)


def check_bbox(bbox: Sequence[float]) -> BBox:
    """Validate a lon/lat bbox; raise CRSError when it is not one."""
    if len(bbox) != 4:
        raise CRSError(
            f"bbox needs 4 numbers (min_lon, min_lat, max_lon, max_lat), got {len(bbox)}"
        )
    x1, y1, x2, y2 = (float(v) for v in bbox)
    if not (-180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90):
        raise CRSError(f"bbox {bbox!r} is not min_lon,min_lat,max_lon,max_lat in EPSG:4326")
    return x1, y1, x2, y2


def bbox_filter(
    session: Session, table: Table, bbox: Sequence[float], geom_col: str = "geom"
) -> ColumnElement[bool]:
    """A WHERE clause selecting rows whose geometry meets ``bbox``, using the spatial index.

    PostGIS: ``geom && envelope AND ST_Intersects`` (GiST). SpatiaLite never uses
    its R*Tree implicitly, so the rowids come from the ``SpatialIndex`` virtual table.
    """
    x1, y1, x2, y2 = check_bbox(bbox)
    col = table.c[geom_col]
    if session.get_bind().dialect.name == "postgresql":
        env = func.ST_MakeEnvelope(x1, y1, x2, y2, SRID)
        return and_(col.op("&&")(env), func.ST_Intersects(col, env))
    mbr = func.BuildMbr(x1, y1, x2, y2, SRID)
    rowids = text(
        "SELECT rowid FROM SpatialIndex WHERE f_table_name = :_t AND f_geometry_column = :_c "
        "AND search_frame = BuildMbr(:_x1, :_y1, :_x2, :_y2, :_srid)"
    ).bindparams(_t=table.name, _c=geom_col, _x1=x1, _y1=y1, _x2=x2, _y2=y2, _srid=SRID)
    rowid_col = literal_column(f'"{table.name}".rowid', Integer)
    return and_(
        rowid_col.in_(rowids.columns(column("rowid", Integer))), func.ST_Intersects(col, mbr) == 1
    )


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Ground distance in metres between two lon/lat points (the one rule: geo.crs.geodesic_m)."""
    return float(geodesic_m(lon1, lat1, lon2, lat2))


def bbox_around_m(lon: float, lat: float, radius_m: float) -> BBox:
    """A lon/lat box that surely contains the circle of ``radius_m`` metres (a prefilter only)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = min(180.0, dlat / coslat)
    return (
        max(-180.0, lon - dlon),
        max(-90.0, lat - dlat),
        min(180.0, lon + dlon),
        min(90.0, lat + dlat),
    )


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict_cols: Sequence[str],
    update_cols: Sequence[str] = (),
    coalesce_cols: Sequence[str] = (),
) -> None:
    """Insert ``rows`` into ``table``; rows whose ``conflict_cols`` exist are skipped or updated.

    Geometry values must be EWKT strings. ``update_cols`` are overwritten on
    conflict; ``coalesce_cols`` keep the stored value when the new one is NULL.
    PostGIS: COPY into a temporary table, then ``INSERT … SELECT … ON CONFLICT``.
    SpatiaLite: ``executemany`` of ``INSERT … ON CONFLICT``.
    """
    if not rows:
        return
    cols = list(rows[0].keys())
    if session.get_bind().dialect.name == "postgresql":
        _copy_upsert(session, table, cols, rows, conflict_cols, update_cols, coalesce_cols)
        return
    from sqlalchemy.dialects.sqlite import insert

    stmt = insert(table)
    if update_cols or coalesce_cols:
        sets: dict[str, Any] = {c: stmt.excluded[c] for c in update_cols}
        sets.update({c: func.coalesce(stmt.excluded[c], table.c[c]) for c in coalesce_cols})
        stmt = stmt.on_conflict_do_update(index_elements=list(conflict_cols), set_=sets)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_cols))
    session.execute(stmt, list(rows))


def _copy_upsert(
    session: Session,
    table: Table,
    cols: list[str],
    rows: Iterable[dict[str, Any]],
    conflict_cols: Sequence[str],
    update_cols: Sequence[str],
    coalesce_cols: Sequence[str],
) -> None:
    tmp = f"_load_{table.name}_{uuid.uuid4().hex[:8]}"
    qcols = ", ".join(f'"{c}"' for c in cols)
    conn = session.connection()
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE "{tmp}" (LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    raw = conn.connection.driver_connection  # psycopg 3 connection, same transaction
    with raw.cursor() as cur:
        with cur.copy(f'COPY "{tmp}" ({qcols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in cols])
    conflict = ", ".join(f'"{c}"' for c in conflict_cols)
    sets = [f'"{c}" = EXCLUDED."{c}"' for c in update_cols]
    sets += [f'"{c}" = COALESCE(EXCLUDED."{c}", "{table.name}"."{c}")' for c in coalesce_cols]
    action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({qcols}) SELECT {qcols} FROM "{tmp}" ON CONFLICT ({conflict}) {action}'
    )
    conn.exec_driver_sql(f'DROP TABLE "{tmp}"')
