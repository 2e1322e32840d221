"""Defect tiles: a county's defects by what is on screen, aggregated by the database.

Tiles are the usual web-map tiles (z/x/y, Web Mercator, 4096 units a side).
Below :data:`CLUSTER_BELOW_ZOOM` a tile holds one point per grid cell of
:data:`CELL_UNITS` units (8 × 8 cells a tile) with the exact number of defects in
it, by class: the whole county stays visible and every defect is counted once.
From that zoom on (street level) it holds the defects themselves, at most
:data:`MAX_POINTS`; beyond that it says ``truncated`` (and the map clusters).

The tile position of each defect is computed in SQL from lon/lat with the
Mercator formula (no per-row reprojection), inside the bbox found through the
spatial index. ``defect_tile_mvt`` answers Mapbox Vector Tiles: ``ST_AsMVT`` on
PostGIS, :mod:`store.mvt` over the same rows on SpatiaLite. ``defect_tile_json``
answers the same content as JSON for the Leaflet layer (api/static/scale_layer.js).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from roadcam.errors import UsageError
from store._sql import BBox
from store.defect_filter import DefectFilter
from store.defect_grid import CLASSES, grid_cells_sql
from store.defect_json import filter_sql
from store.mvt import EXTENT, encode_points

CLUSTER_BELOW_ZOOM = 15
CELL_UNITS = 512  # 8 x 8 cells a tile: one cell is 32 screen pixels of a 256-pixel tile
MAX_POINTS = 5000
MAX_ZOOM = 22
LAYER = "defects"


def check_tile(z: int, x: int, y: int) -> None:
    """Raise UsageError unless z/x/y is a tile."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise UsageError(f"no tile {z}/{x}/{y} (zoom 0-{MAX_ZOOM}, x and y below 2**zoom)")


def tile_bbox(z: int, x: int, y: int) -> BBox:
    """The tile's lon/lat bounds (EPSG:4326)."""
    check_tile(z, x, y)
    n = 2.0**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def _positions_sql(z: int, x: int, y: int, flt: DefectFilter, pg: bool) -> tuple[str, dict, list]:
    """Rows of the tile's defects with their tile coordinates ``px``, ``py`` (y down)."""
    box = replace(flt, bbox=tile_bbox(z, x, y))
    conds, params, binds = filter_sql(box, pg)
    params.update(n=float(2**z), tx=float(x), ty=float(y), ext=float(EXTENT))
    px = "((ST_X(d.geom) + 180.0) / 360.0 * :n - :tx) * :ext"
    py = "((1.0 - ln(tan(radians(45.0 + ST_Y(d.geom) / 2.0))) / pi()) / 2.0 * :n - :ty) * :ext"
    # each defect in exactly one tile (as in the grid): the bbox is inclusive on every side
    conds.append(f"{px} >= 0 AND {px} < :ext AND {py} >= 0 AND {py} < :ext")
    sql = (
        f"SELECT d.id, d.class_name, d.status, d.sightings, ST_X(d.geom) AS lon, "
        f"ST_Y(d.geom) AS lat, {px} AS px, {py} AS py FROM defect d WHERE {' AND '.join(conds)}"
    )
    return sql, params, binds


def _cells_sql(positions: str) -> str:
    by_class = ", ".join(
        f"sum(CASE WHEN class_name = '{c}' THEN 1 ELSE 0 END) AS {c}" for c in CLASSES
    )
    return (
        f"SELECT count(*) AS count, avg(lon) AS lon, avg(lat) AS lat, avg(px) AS px, avg(py) AS py, "
        f"{by_class} FROM ({positions}) t "
        f"GROUP BY floor(px / {CELL_UNITS}), floor(py / {CELL_UNITS})"
    )


def _grid_sql(z: int, x: int, y: int, flt: DefectFilter) -> tuple[str, dict, list] | None:
    """The tile's cells from ``defect_grid`` with ``px``/``py``, or None when ``flt`` filters
    on something the grid does not count (anything but class and status)."""
    if replace(flt, class_names=None, statuses=None) != DefectFilter():
        return None
    cells, params = grid_cells_sql(z, x, y, flt.class_names is not None, flt.statuses is not None)
    binds = []
    for name, values in (("classes", flt.class_names), ("statuses", flt.statuses)):
        if values is not None:
            params[name] = list(values)
            binds.append(bindparam(name, expanding=True))
    params.update(n=float(2**z), tx=float(x), ty=float(y), ext=float(EXTENT))
    px = "((c.lon + 180.0) / 360.0 * :n - :tx) * :ext"
    py = "((1.0 - ln(tan(radians(45.0 + c.lat / 2.0))) / pi()) / 2.0 * :n - :ty) * :ext"
    sql = f"SELECT c.*, {px} AS px, {py} AS py FROM ({cells}) c"
    return sql, params, binds


def _cells_query(session: Session, z: int, x: int, y: int, flt: DefectFilter, scan: bool):
    """(sql, params, binds) of the tile's counted cells: the grid, or counting the defects."""
    grid = None if scan else _grid_sql(z, x, y, flt)
    if grid is not None:
        return grid
    pg = session.get_bind().dialect.name == "postgresql"
    positions, params, binds = _positions_sql(z, x, y, flt, pg)
    return _cells_sql(positions), params, binds


def _rows(
    session: Session, z: int, x: int, y: int, flt: DefectFilter, scan: bool = False
) -> tuple[bool, list]:
    check_tile(z, x, y)
    clustered = z < CLUSTER_BELOW_ZOOM
    if clustered:
        sql, params, binds = _cells_query(session, z, x, y, flt, scan)
        sql = f"SELECT * FROM ({sql}) cells ORDER BY count DESC"
    else:
        pg = session.get_bind().dialect.name == "postgresql"
        positions, params, binds = _positions_sql(z, x, y, flt, pg)
        sql = f"{positions} ORDER BY d.id LIMIT {MAX_POINTS + 1}"
    rows = session.execute(text(sql).bindparams(*binds), params).mappings().all()
    return clustered, [dict(r) for r in rows]


def defect_tile_json(
    session: Session, z: int, x: int, y: int, flt: DefectFilter, scan: bool = False
) -> dict[str, Any]:
    """The tile as ``{"z", "x", "y", "clustered", "count", "truncated", "cells" | "features"}``.

    ``count`` is the exact number of matching defects in the tile when not ``truncated``.
    Cells: ``{"lon", "lat", "count", <class>: n}`` at the cell's mean position.
    Features: ``{"id", "lon", "lat", "class_name", "status", "sightings"}``.
    Cells come from the pre-counted grid (:mod:`store.defect_grid`); ``scan=True`` counts
    the defects themselves instead (the reference the tests and the benchmark compare with).
    """
    clustered, rows = _rows(session, z, x, y, flt, scan)
    out: dict[str, Any] = {"z": z, "x": x, "y": y, "clustered": clustered}
    if clustered:
        cells = [
            {"lon": r["lon"], "lat": r["lat"], "count": int(r["count"])}
            | {c: int(r[c] or 0) for c in CLASSES}
            for r in rows
        ]
        return out | {"count": sum(c["count"] for c in cells), "truncated": False, "cells": cells}
    truncated = len(rows) > MAX_POINTS
    feats = [
        {k: r[k] for k in ("id", "lon", "lat", "class_name", "status", "sightings")}
        for r in rows[:MAX_POINTS]
    ]
    return out | {"count": len(feats), "truncated": truncated, "features": feats}


def defect_tile_mvt(
    session: Session, z: int, x: int, y: int, flt: DefectFilter, scan: bool = False
) -> bytes:
    """The tile as a Mapbox Vector Tile, layer ``defects`` (empty bytes: no defect in it);
    ``scan`` as in :func:`defect_tile_json`."""
    if session.get_bind().dialect.name == "postgresql":
        return _pg_mvt(session, z, x, y, flt, scan)
    clustered, rows = _rows(session, z, x, y, flt, scan)
    if clustered:
        points = [
            (None, round(r["px"]), round(r["py"]), {"count": int(r["count"])} | _classes(r))
            for r in rows
        ]
    else:
        points = [
            (
                r["id"],
                round(r["px"]),
                round(r["py"]),
                {"class_name": r["class_name"], "status": r["status"], "sightings": r["sightings"]},
            )
            for r in rows[:MAX_POINTS]
        ]
    return encode_points(LAYER, points)


def _classes(row: dict[str, Any]) -> dict[str, int]:
    return {c: int(row[c] or 0) for c in CLASSES}


def _pg_mvt(session: Session, z: int, x: int, y: int, flt: DefectFilter, scan: bool) -> bytes:
    check_tile(z, x, y)
    geom = "ST_MakePoint(round(px), round(py)) AS geom"
    if z < CLUSTER_BELOW_ZOOM:
        cells, params, binds = _cells_query(session, z, x, y, flt, scan)
        cols = "count, " + ", ".join(CLASSES)
        inner = f"SELECT {cols}, {geom} FROM ({cells}) c"
        fid = ""
    else:
        positions, params, binds = _positions_sql(z, x, y, flt, pg=True)
        inner = (
            f"SELECT id, class_name, status, sightings, {geom} FROM ({positions} "
            f"ORDER BY d.id LIMIT {MAX_POINTS}) p"
        )
        fid = ", 'id'"
    sql = f"SELECT ST_AsMVT(t, '{LAYER}', {EXTENT}, 'geom'{fid}) FROM ({inner}) t"
    value = session.execute(text(sql).bindparams(*binds), params).scalar()
    return bytes(value or b"")
