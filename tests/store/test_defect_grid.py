"""The pre-counted defect grid stays equal to counting the defects themselves, on both
databases, through every kind of write: store, merge (moved and re-classed), status change,
review correcting the class, delete; and low-zoom tiles read from it say exactly what
counting the defects says."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from geo.types import DefectCandidate
from store.defect_filter import DefectFilter
from store.defect_grid import LEVELS, level_for_zoom, rebuild_defect_grid
from store.defects import save_defects, set_defect_status
from store.engine import make_engine, session_scope
from store.mvt import decode_points
from store.review import review_defect
from store.tiles import CLASSES, defect_tile_json, defect_tile_mvt
from tests.store._factories import LAT0, LON0, T0, tile_of


def cand(i: int, **kw) -> DefectCandidate:
    base = DefectCandidate(
        class_name=CLASSES[i % 4],
        lon=LON0 + 0.0007 * (i % 13) + 0.03 * (i // 30),  # spread over a few grid cells
        lat=LAT0 + 0.0005 * (i % 7),
        segment_id="s1",
        chainage_m=1.0,
        offset_m=0.0,
        first_seen=T0,
        last_seen=T0,
        sightings=1,
        max_width_m=0.2,
        best_confidence=0.8,
        best_frame_index=0,
    )
    return replace(base, **kw)


def grid_rows(conn) -> dict[tuple, tuple[int, float, float]]:
    rows = conn.execute(
        text("SELECT level, cx, cy, class_name, status, n, sum_lon, sum_lat FROM defect_grid")
    )
    return {tuple(r[:5]): (r[5], r[6], r[7]) for r in rows if r[5] != 0}


def assert_grid_is_recount(engine) -> None:
    """The trigger-kept grid equals a recount from the defects (then rolled back)."""
    with engine.connect() as conn:
        kept = grid_rows(conn)
        rebuild_defect_grid(conn)
        recount = grid_rows(conn)
        conn.rollback()
    assert kept.keys() == recount.keys()
    for key, (n, slon, slat) in recount.items():
        assert kept[key][0] == n, key
        assert kept[key][1] == pytest.approx(slon, abs=1e-9)
        assert kept[key][2] == pytest.approx(slat, abs=1e-9)


def assert_tiles_match_scan(session) -> None:
    for z in (6, 10, 11, 12, 13, 14):
        zxy = tile_of(LON0 + 0.01, LAT0, z)
        for flt in (
            DefectFilter(),
            DefectFilter(statuses=["open"], class_names=["pothole", "crack"]),
        ):
            grid = defect_tile_json(session, *zxy, flt)
            scan = defect_tile_json(session, *zxy, flt, scan=True)
            assert grid["count"] == scan["count"] and grid["clustered"]
            key = lambda c: (round(c["lon"], 9), round(c["lat"], 9))  # noqa: E731
            g, s = sorted(grid["cells"], key=key), sorted(scan["cells"], key=key)
            assert [{k: c[k] for k in ("count", *CLASSES)} for c in g] == [
                {k: c[k] for k in ("count", *CLASSES)} for c in s
            ]
            assert [key(c) for c in g] == [key(c) for c in s]
            mvt = decode_points(defect_tile_mvt(session, *zxy, flt))
            cells = mvt.get("defects", [])
            assert sum(f["properties"]["count"] for f in cells) == scan["count"]


def test_levels_cover_every_clustered_zoom():
    assert level_for_zoom(0) == LEVELS[0] and level_for_zoom(10) == 13
    assert level_for_zoom(11) == 15 and level_for_zoom(14) == 17
    with pytest.raises(ValueError):
        level_for_zoom(15)


def test_grid_follows_every_write(fresh_db_url):
    engine = make_engine(fresh_db_url)
    try:
        with session_scope(engine) as s:
            ids = save_defects(s, [cand(i) for i in range(90)])
        assert_grid_is_recount(engine)
        with session_scope(engine) as s:
            assert_tiles_match_scan(s)
            assert defect_tile_json(s, *tile_of(LON0, LAT0, 9), DefectFilter())["count"] == 90
        # merge: seen again, moved to another cell and re-classed
        with session_scope(engine) as s:
            moved = cand(3, defect_id=ids[3], lon=LON0 + 0.2, class_name="skip")
            save_defects(s, [moved, cand(4, defect_id=ids[4], last_seen=T0 + timedelta(days=1))])
            set_defect_status(s, ids[5], "closed")
            set_defect_status(s, ids[6], "repair_claimed")
            review_defect(s, ids[7], "confirm", "kim", class_name="faded_marking")
            review_defect(s, ids[8], "reject", "kim", reason="false_positive")
        assert_grid_is_recount(engine)
        with session_scope(engine) as s:
            s.execute(text("DELETE FROM defect WHERE id IN (:a, :b)"), {"a": ids[9], "b": ids[10]})
        assert_grid_is_recount(engine)
        with session_scope(engine) as s:
            assert_tiles_match_scan(s)
            open_ = defect_tile_json(s, *tile_of(LON0, LAT0, 8), DefectFilter(statuses=["open"]))
            assert open_["count"] == 90 - 2 - 2  # two deleted, one closed, one claimed
            rolled = s.execute(text("SELECT count(*) FROM defect_grid WHERE n < 0")).scalar()
            assert rolled == 0
    finally:
        engine.dispose()


def test_rolled_back_write_leaves_the_grid_alone(fresh_db_url):
    engine = make_engine(fresh_db_url)
    try:
        with session_scope(engine) as s:
            save_defects(s, [cand(i) for i in range(5)])
        with engine.connect() as conn:
            before = grid_rows(conn)
        with pytest.raises(RuntimeError), session_scope(engine) as s:
            save_defects(s, [cand(i) for i in range(5, 9)])
            raise RuntimeError("batch failed")
        with engine.connect() as conn:
            assert grid_rows(conn) == before
        assert_grid_is_recount(engine)
    finally:
        engine.dispose()


def test_a_defect_on_a_tile_border_is_in_one_tile_only(fresh_db_url):
    """PostGIS's && compares float4 boxes (~0.4 m at 51° N): a defect 1 cm from a tile's
    border must still be counted in one tile, by counting and by the grid."""
    from store.tiles import tile_bbox

    z, x, y = tile_of(LON0, LAT0, 16)
    border_lat = tile_bbox(z, x, y)[3]  # the north edge = the south edge of tile y - 1
    engine = make_engine(fresh_db_url)
    try:
        with session_scope(engine) as s:
            save_defects(s, [cand(0, lat=border_lat + 1e-7), cand(1, lat=border_lat - 1e-7)])
        with session_scope(engine) as s:
            for zoom in (16, 10):  # street tiles (defects) and grid tiles (cells)
                f = 2 ** (16 - zoom)
                tiles = [(zoom, x // f, (y - k) // f) for k in (0, 1)]
                for scan in (False, True):
                    counts = [
                        defect_tile_json(s, *t, DefectFilter(), scan=scan)["count"]
                        for t in set(tiles)
                    ]
                    assert sum(counts) == 2, (zoom, scan, counts)
    finally:
        engine.dispose()
