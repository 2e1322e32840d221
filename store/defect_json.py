"""Defects as JSON and GeoJSON built by the database, for the API's read paths.

At a million defects, building a thousand response objects row by row in Python
costs as much as the query itself. Here one SQL statement selects the page
through the spatial index (GiST on PostGIS, the ``SpatialIndex`` R*Tree on
SpatiaLite), orders it by id for keyset paging (``after_id``), and returns the
whole response body as one JSON text: ``json_build_object``/``json_agg`` and
``ST_AsGeoJSON`` on PostGIS, ``json_object``/``json_group_array`` and
``AsGeoJSON`` on SpatiaLite. The objects have exactly the fields and formats of
``api.schemas.defect.DefectPublic`` (times as ISO 8601 UTC with ``Z``); a test
checks the two agree on both databases.

Counts are honest: ``total`` is the exact number of defects matching the
filters (all pages) up to ``count_cap``; beyond it ``total`` is ``count_cap`` and
``total_exact`` is false ("more than").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from roadcam.errors import UsageError
from store._sql import check_bbox
from store.defect_filter import DefectFilter
from store.models import SRID, UTCDateTime

COUNT_CAP = 10_000

# (json key, column or expression key); times and the image flag are formatted per dialect
_FIELDS = (
    "id",
    "class_name",
    "lon",
    "lat",
    "segment_id",
    "chainage_m",
    "offset_m",
    "first_seen",
    "last_seen",
    "sightings",
    "max_width_m",
    "best_confidence",
    "best_frame_id",
    "has_image",
    "status",
    "status_note",
    "status_changed_at",
    "review_status",
    "reject_reason",
    "reviewed_by",
    "reviewed_at",
    "risk_category",
    "risk_score",
    "response_due",
)
_TIMES = ("first_seen", "last_seen", "status_changed_at", "reviewed_at", "response_due")


def _pg_time(col: str) -> str:
    # one to_char per time (with the microseconds, dropped when they are all zero, as pydantic
    # writes them): a page of 1,000 defects formats 5,000 times, and two calls cost ~7 ms more
    utc = f"(d.{col} AT TIME ZONE 'UTC')"
    return f"(replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || 'Z')"


def _lite_time(col: str) -> str:
    c = f"d.{col}"
    return (
        f"(substr({c}, 1, 10) || 'T' || substr({c}, 12, 8) || CASE WHEN substr({c}, 21, 6) "
        f"IN ('', '000000') THEN '' ELSE '.' || substr({c}, 21, 6) END || 'Z')"
    )


def _expr(name: str, pg: bool) -> str:
    if name == "lon":
        return "ST_X(d.geom)"
    if name == "lat":
        return "ST_Y(d.geom)"
    if name in _TIMES:
        return _pg_time(name) if pg else _lite_time(name)
    if name == "has_image":
        test = "d.best_frame_ref IS NOT NULL AND " + (
            "strpos(d.best_frame_ref, '#') = 0" if pg else "instr(d.best_frame_ref, '#') = 0"
        )
        return f"({test})" if pg else f"json(CASE WHEN {test} THEN 'true' ELSE 'false' END)"
    return f"d.{name}"


def _object_sql(pg: bool, exclude: Sequence[str] = ()) -> str:
    """The JSON object of one defect row ``d``."""
    pairs = ", ".join(f"'{f}', {_expr(f, pg)}" for f in _FIELDS if f not in exclude)
    return f"json_build_object({pairs})" if pg else f"json_object({pairs})"


def _feature_sql(pg: bool) -> str:
    props = _object_sql(pg, exclude=("lon", "lat"))
    if pg:
        return (
            "json_build_object('type', 'Feature', 'id', d.id, "
            f"'geometry', ST_AsGeoJSON(d.geom, 15)::json, 'properties', {props})"
        )
    return (
        "json_object('type', 'Feature', 'id', d.id, "
        f"'geometry', json(AsGeoJSON(d.geom, 15)), 'properties', {props})"
    )


def filter_sql(flt: DefectFilter, pg: bool) -> tuple[list[str], dict[str, Any], list[Any]]:
    """SQL conditions on ``defect d``, their parameters, and the bindparams they need (also tiles).

    These paths list findings for review, whatever their review state: ``confirmed_only`` is the
    exports' (:func:`store.exports.filtered_defects`, the one rule of what is confirmed)."""
    if flt.confirmed_only:
        raise UsageError("confirmed_only is for exports (store.exports), not the review lists")
    conds: list[str] = []
    params: dict[str, Any] = {}
    binds: list[Any] = []
    if flt.bbox is not None:
        x1, y1, x2, y2 = check_bbox(flt.bbox)
        params.update(x1=x1, y1=y1, x2=x2, y2=y2, srid=SRID)
        if pg:  # && compares float4 boxes (0.4 m at 51° N): the exact test follows
            conds.append(
                "d.geom && ST_MakeEnvelope(:x1, :y1, :x2, :y2, :srid)"
                " AND ST_X(d.geom) BETWEEN :x1 AND :x2 AND ST_Y(d.geom) BETWEEN :y1 AND :y2"
            )
        else:  # SpatiaLite never uses its R*Tree by itself (see store._sql.bbox_filter)
            conds.append(
                "d.id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'defect' "
                "AND f_geometry_column = 'geom' AND search_frame = BuildMbr(:x1, :y1, :x2, :y2, :srid))"
                " AND ST_X(d.geom) BETWEEN :x1 AND :x2 AND ST_Y(d.geom) BETWEEN :y1 AND :y2"
            )
    for name, col, values in (
        ("classes", "class_name", flt.class_names),
        ("statuses", "status", flt.statuses),
        ("segments", "segment_id", flt.segment_ids),
        ("ids", "id", flt.ids),
        ("risks", "risk_category", flt.risk_categories),
    ):
        if values is not None:
            conds.append(f"d.{col} IN :{name}")
            params[name] = list(values)
            binds.append(bindparam(name, expanding=True))
    if flt.road:
        conds.append(
            "d.segment_id IN (SELECT r.id FROM road_segment r "
            "WHERE lower(r.name) LIKE :road OR lower(r.ref) LIKE :road)"
        )
        params["road"] = f"%{flt.road.strip().lower()}%"
    for name, cond in (
        ("last_seen_from", "d.last_seen >= :last_seen_from"),
        ("last_seen_to", "d.last_seen <= :last_seen_to"),
        ("first_seen_from", "d.first_seen >= :first_seen_from"),
        ("first_seen_to", "d.first_seen <= :first_seen_to"),
        ("updated_since", "d.updated_at >= :updated_since"),
    ):
        if getattr(flt, name) is not None:
            conds.append(cond)
            params[name] = getattr(flt, name)
            binds.append(bindparam(name, type_=UTCDateTime()))
    return conds, params, binds


def _page_sql(
    flt: DefectFilter, pg: bool, item_sql: str, limit: int, after_id: int | None, offset: int
):
    conds, params, binds = filter_sql(flt, pg)
    page_conds = [*conds, "d.id > :after_id"] if after_id is not None else conds
    params.update(after_id=after_id, limit=int(limit), offset=int(offset), cap=COUNT_CAP + 1)
    where = f"WHERE {' AND '.join(page_conds)}" if page_conds else ""
    count_where = f"WHERE {' AND '.join(conds)}" if conds else ""
    # With a bbox, collect the box's rows through the spatial index first, then order them:
    # else the planner may walk the primary key in id order and test every row against the box.
    mat = "MATERIALIZED " if pg and flt.bbox is not None else ""
    # The first page of a box counts the rows it already collected; else count again, capped.
    if flt.bbox is not None and after_id is None:
        count_sql = "SELECT count(*) FROM hits"
    else:
        count_sql = f"SELECT count(*) FROM (SELECT 1 FROM defect d {count_where} LIMIT :cap) c"
    hits = f"SELECT d.id FROM defect d {where}"
    if pg:
        agg = f"COALESCE(json_agg({item_sql} ORDER BY d.id), '[]'::json)::text"
    else:
        agg = f"json_group_array(json({item_sql}) ORDER BY d.id)"
    sql = (
        f"WITH hits AS {mat}({hits}), "
        "page AS (SELECT id FROM hits ORDER BY id LIMIT :limit OFFSET :offset) "
        f"SELECT (SELECT {agg} FROM page JOIN defect d ON d.id = page.id), "
        "(SELECT count(*) FROM page), (SELECT max(id) FROM page), "
        f"({count_sql})"
    )
    return text(sql).bindparams(*binds), params


def _page(
    session: Session,
    flt: DefectFilter,
    items_key: str,
    feature: bool,
    limit: int,
    after_id: int | None,
    offset: int,
    extra: dict[str, Any],
) -> str:
    if limit < 1 or offset < 0:
        raise UsageError("limit must be >= 1 and offset >= 0")
    pg = session.get_bind().dialect.name == "postgresql"
    item_sql = _feature_sql(pg) if feature else _object_sql(pg)
    stmt, params = _page_sql(flt, pg, item_sql, limit, after_id, offset)
    items, count, last_id, total = session.execute(stmt, params).one()
    exact = total <= COUNT_CAP
    more = count == limit and last_id is not None
    head = {**extra, "count": int(count)}
    tail = {
        "total": int(min(total, COUNT_CAP)),
        "total_exact": exact,
        "next_after_id": int(last_id) if more else None,
    }
    return _dumps(head)[:-1] + f', "{items_key}": ' + (items or "[]") + ", " + _dumps(tail)[1:]


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, separators=(", ", ": "))


def defects_page_json(
    session: Session,
    flt: DefectFilter,
    limit: int = 1000,
    after_id: int | None = None,
    offset: int = 0,
) -> str:
    """``{"count", "defects": [...], "total", "total_exact", "next_after_id"}`` as JSON text.

    ``defects`` holds at most ``limit`` defects with ``id > after_id``, by id; pass
    ``next_after_id`` back as ``after_id`` for the next page (null on the last one).
    ``offset`` skips rows after that (kept for old clients; slow deep in a big result).
    """
    return _page(session, flt, "defects", False, limit, after_id, offset, {})


def defects_geojson_text(
    session: Session, flt: DefectFilter, limit: int = 5000, after_id: int | None = None
) -> str:
    """A GeoJSON FeatureCollection of defects (points), paged like :func:`defects_page_json`."""
    head = {"type": "FeatureCollection"}
    return _page(session, flt, "features", True, limit, after_id, 0, head)


def defect_json(session: Session, defect_id: int) -> str | None:
    """One defect as JSON text (the fields of ``DefectPublic``), or None when there is none."""
    pg = session.get_bind().dialect.name == "postgresql"
    cast = "::text" if pg else ""  # text, not a parsed dict: the API sends it as it is
    stmt = text(f"SELECT {_object_sql(pg)}{cast} FROM defect d WHERE d.id = :id")
    return session.execute(stmt, {"id": int(defect_id)}).scalar()
