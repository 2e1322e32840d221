"""Old path against new path on the same seeded database, in one process (bench/api.py).

The machine may be loaded by others; timing both paths one after the other on the same
data, the same random places and the same process makes the gain clear whatever the load.

* ``defects_bbox1km``: the ``/defects`` body for a 1 km box, built in Python from ORM rows
  (``DefectPublic`` per row, the path before issue 16) against built by the database
  (``store.defect_json``).
* ``geojson_bbox1km``: ``/defects/geojson`` for a 1 km box (up to 5,000 features), the
  Python path it had until this change against the SQL-built one.
* ``tile_z10`` / ``tile_z9_county``: a zoom-10 tile's counted cells by counting the defects
  (``scan=True``) against reading the pre-counted grid (``store.defect_grid``); the county's
  zoom-9 tiles as the map's first load fetches them.

Also the query plans of a 1 km box (EXPLAIN), to show the spatial index is used.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

import numpy as np

OPEN_WORK = ("open", "repair_claimed", "still_present")


def _timed(fn: Callable[[], object], reps: int) -> dict:
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    a = np.array(ms)
    return {
        "n": reps,
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
    }


def _old_defects_body(session, bbox) -> str:
    from api.schemas.defect import DefectList, DefectPublic
    from store.defects import list_defects

    rows = list_defects(session, bbox=bbox, limit=1000)
    items = [DefectPublic.from_row(r) for r in rows]
    return DefectList(defects=items, count=len(items)).model_dump_json()


def _old_geojson_body(session, bbox) -> str:
    from api.schemas.common import Feature, FeatureCollection
    from api.schemas.defect import DefectPublic
    from store.defect_filter import DefectFilter
    from store.exports import filtered_defects

    features = []
    for row in filtered_defects(session, DefectFilter(bbox=bbox), limit=5000):
        d = DefectPublic.from_row(row)
        props = d.model_dump(mode="json", exclude={"lon", "lat"})
        geometry = {"type": "Point", "coordinates": [d.lon, d.lat]}
        features.append(Feature(id=d.id, geometry=geometry, properties=props))
    return FeatureCollection(features=features, total=len(features)).model_dump_json()


def _pair(name: str, old: Callable, new: Callable, places: list, reps: int, out: dict) -> None:
    """Time old and new alternately over the same places; record both and the speed-up."""
    it_old, it_new = iter(places * reps), iter(places * reps)
    n = len(places) * reps
    o = _timed(lambda: old(next(it_old)), n)
    w = _timed(lambda: new(next(it_new)), n)
    out[name] = {"old": o, "new": w, "speedup_p50": round(o["p50_ms"] / max(w["p50_ms"], 1e-3), 1)}
    print(f"A/B {name:16s} old p50 {o['p50_ms']:8.1f} p95 {o['p95_ms']:8.1f} ms | new p50 "
          f"{w['p50_ms']:7.1f} p95 {w['p95_ms']:7.1f} ms | x{out[name]['speedup_p50']}", flush=True)  # fmt: skip


def run_ab(url: str, seed: int = 7, places: int = 8) -> dict:
    """Old against new for each path above, on the database at ``url``; returns the figures."""
    import os

    from bench.county import COUNTY_BBOX, MAP_ZOOM, box_around, random_place, tile_of
    from store.defect_filter import DefectFilter
    from store.defect_json import defects_geojson_text, defects_page_json
    from store.engine import make_engine, session_scope
    from store.tiles import defect_tile_json

    rng = random.Random(seed)
    spots = [random_place(rng) for _ in range(places)]
    boxes = [[float(v) for v in box_around(lon, lat, 500).split(",")] for lon, lat in spots]
    z10 = [tile_of(lon, lat, 10) for lon, lat in spots[:4]]
    x1, y2 = tile_of(COUNTY_BBOX[0], COUNTY_BBOX[1], MAP_ZOOM)
    x2, y1 = tile_of(COUNTY_BBOX[2], COUNTY_BBOX[3], MAP_ZOOM)
    county = [(x, y) for x in range(x1, x2 + 1) for y in range(y1, y2 + 1)]
    open_work = DefectFilter(statuses=list(OPEN_WORK))
    out: dict = {"loadavg_1m_start": os.getloadavg()[0]}
    engine = make_engine(url)
    try:
        with session_scope(engine, readonly=True) as s:
            for b in boxes:  # same answers before timing: the A/B compares like with like
                old, new = (
                    json.loads(_old_defects_body(s, b)),
                    json.loads(defects_page_json(s, DefectFilter(bbox=b))),
                )
                assert [d["id"] for d in old["defects"]] == [d["id"] for d in new["defects"]]
            _pair("defects_bbox1km", lambda b: _old_defects_body(s, b),
                  lambda b: defects_page_json(s, DefectFilter(bbox=b)), boxes, 2, out)  # fmt: skip
            _pair("geojson_bbox1km", lambda b: _old_geojson_body(s, b),
                  lambda b: defects_geojson_text(s, DefectFilter(bbox=b)), boxes, 2, out)  # fmt: skip
            _pair("tile_z10", lambda t: defect_tile_json(s, 10, *t, open_work, scan=True),
                  lambda t: defect_tile_json(s, 10, *t, open_work), z10, 1, out)  # fmt: skip

            def county_tiles(scan: bool) -> int:
                return sum(
                    defect_tile_json(s, MAP_ZOOM, x, y, open_work, scan=scan)["count"]
                    for x, y in county
                )

            counts = county_tiles(True), county_tiles(False)
            assert counts[0] == counts[1], counts  # the grid counts what counting finds
            out["county_open_defects"] = counts[0]
            _pair("tile_z9_county", lambda _: county_tiles(True), lambda _: county_tiles(False),
                  [None], 2, out)  # fmt: skip
    finally:
        engine.dispose()
    out["loadavg_1m_end"] = os.getloadavg()[0]
    return out


def explain_bbox(url: str, seed: int = 7) -> dict:
    """The query plan of a 1 km box's page (PostGIS EXPLAIN ANALYZE / SQLite EXPLAIN QUERY
    PLAN) and whether it goes through the spatial index."""
    from sqlalchemy import text

    from bench.county import box_around, random_place
    from store.defect_filter import DefectFilter
    from store.defect_json import _object_sql, _page_sql
    from store.engine import make_engine

    lon, lat = random_place(random.Random(seed))
    flt = DefectFilter(bbox=[float(v) for v in box_around(lon, lat, 500).split(",")])
    engine = make_engine(url)
    try:
        pg = engine.dialect.name == "postgresql"
        stmt, params = _page_sql(flt, pg, _object_sql(pg), 1000, None, 0)
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
        with engine.connect() as conn:
            compiled = text(prefix + stmt.text).bindparams(*stmt._bindparams.values())
            rows = conn.execute(compiled, params).fetchall()
    finally:
        engine.dispose()
    plan = [str(r[0]) if pg else str(r[-1]) for r in rows]
    index = "idx_defect_geom" if pg else "SpatialIndex"
    uses = any(index in line for line in plan)
    print(f"EXPLAIN bbox1km: spatial index {'used' if uses else 'NOT used'} ({index})")
    return {"plan": plan, "uses_spatial_index": uses}
