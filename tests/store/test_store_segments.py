"""Road segments on SpatiaLite and PostGIS: idempotent upserts, bbox queries, summaries."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiLineString

from roadcam.errors import CRSError, NetworkError
from store.engine import session_scope
from store.segments import (
    count_segments_by_class,
    get_segment,
    list_segments,
    network_summary,
    segments_to_geodataframe,
    upsert_segments,
)

# Leeds ITS extract as loaded by geo.network.roads (checked by hand: 136 segments).
LEEDS_BY_CLASS = {"A": 18, "C": 10, "residential": 37, "service": 57, "unclassified": 14}


def _toy_segments() -> gpd.GeoDataFrame:
    """Three segments in British National Grid around Rochester (574300, 168600)."""
    return gpd.GeoDataFrame(
        {
            "segment_id": ["t-0", "t-1", "t-2"],
            "source_id": ["1", "1", "2"],
            "name": ["High Street", "High Street", ""],
            "ref": ["A2", "A2", ""],
            "highway": ["primary", "primary", "service"],
            "road_class": ["A", "A", "service"],
            "oneway": [False, False, True],
            "u": ["n0", "n1", "n1"],
            "v": ["n1", "n2", "n3"],
            "length_m": [100.0, 100.0, 50.0],
            "hierarchy": ["3a", "3a", ""],
        },
        geometry=[
            LineString([(574300, 168600), (574400, 168600)]),
            LineString([(574400, 168600), (574500, 168600)]),
            LineString([(574400, 168600), (574400, 168650)]),
        ],
        crs="EPSG:27700",
    )


def test_upsert_is_idempotent_and_reprojects(fresh_db_url):
    from store.engine import make_engine

    eng = make_engine(fresh_db_url)
    try:
        with session_scope(eng) as s:
            assert upsert_segments(s, _toy_segments()) == {"inserted": 3, "updated": 0}
        with session_scope(eng) as s:
            assert upsert_segments(s, _toy_segments()) == {"inserted": 0, "updated": 3}
        with session_scope(eng) as s:
            rows = list_segments(s)
            assert [r.id for r in rows] == ["t-0", "t-1", "t-2"]
            seg = get_segment(s, "t-0")
            assert seg is not None and seg.name == "High Street" and seg.current_category == "3a"
            assert (
                get_segment(s, "t-2").current_category is None
                and get_segment(s, "t-2").oneway is True
            )
            assert get_segment(s, "nope") is None
            gdf = segments_to_geodataframe(s)
        assert gdf.crs.to_epsg() == 4326 and len(gdf) == 3
        # reprojected: BNG (574300, 168600) is lon 0.503737, lat 51.389672 (toolchain.md §5), ~2 m Helmert
        x0, y0 = gdf.geometry.iloc[0].coords[0]
        assert x0 == pytest.approx(0.503737, abs=5e-5) and y0 == pytest.approx(51.389672, abs=5e-5)
        back = gdf.to_crs(27700)
        assert back.geometry.iloc[0].length == pytest.approx(100.0, abs=0.01)
    finally:
        eng.dispose()


def test_hierarchy_columns_survive_a_reload(fresh_db_url):
    from store.engine import make_engine
    from store.models import RoadSegment

    eng = make_engine(fresh_db_url)
    try:
        with session_scope(eng) as s:
            upsert_segments(s, _toy_segments())
        with session_scope(eng) as s:
            seg = s.get(RoadSegment, "t-2")
            seg.current_category, seg.recommended_category, seg.inspection_frequency = (
                "4b",
                "4a",
                "annual",
            )
        toy = _toy_segments()
        toy.loc[2, "name"] = "Back Lane"
        with session_scope(eng) as s:
            upsert_segments(s, toy)
        with session_scope(eng) as s:
            seg = s.get(RoadSegment, "t-2")
            assert (
                seg.name,
                seg.current_category,
                seg.recommended_category,
                seg.inspection_frequency,
            ) == ("Back Lane", "4b", "4a", "annual")
    finally:
        eng.dispose()


def test_bbox_and_class_filters(fresh_db_url):
    from store.engine import make_engine

    eng = make_engine(fresh_db_url)
    try:
        with session_scope(eng) as s:
            upsert_segments(s, _toy_segments())
            gdf = segments_to_geodataframe(s)
            east_end = gdf.geometry.iloc[1].coords[1]  # (574500, 168600) in lon/lat
            # a small box around the east end meets t-1 only
            box = (east_end[0] - 1e-4, east_end[1] - 1e-4, east_end[0] + 1e-4, east_end[1] + 1e-4)
            assert [r.id for r in list_segments(s, bbox=box)] == ["t-1"]
            assert [r.id for r in list_segments(s, road_class="service")] == ["t-2"]
            assert [r.id for r in list_segments(s, road_class=["A"], limit=1)] == ["t-0"]
            assert list_segments(s, bbox=(1.0, 52.0, 1.1, 52.1)) == []
            assert count_segments_by_class(s) == {"A": 2, "service": 1}
            summary = network_summary(s)
            assert summary.pop("bbox") == pytest.approx(list(gdf.total_bounds), abs=1e-9)
            assert summary == {
                "segments": 3,
                "total_km": 0.25,
                "by_class": {
                    "A": {"segments": 2, "km": 0.2},
                    "service": {"segments": 1, "km": 0.05},
                },
            }
            with pytest.raises(CRSError):
                list_segments(s, bbox=(574300, 168600, 574500, 168700))  # metres are not lon/lat
    finally:
        eng.dispose()


def test_bad_input_is_refused(session):
    toy = _toy_segments()
    with pytest.raises(CRSError):
        upsert_segments(session, toy.set_crs(None, allow_override=True))
    dup = toy.copy()
    dup.loc[1, "segment_id"] = "t-0"
    with pytest.raises(NetworkError, match="duplicate segment_id 't-0'"):
        upsert_segments(session, dup)
    multi = toy.copy()
    multi.loc[0, "geometry"] = MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]])
    with pytest.raises(NetworkError, match="LineString"):
        upsert_segments(session, multi)


def test_real_osm_network_stored_twice_keeps_ids(shared_data, fresh_db_url):
    from geo.network.roads import load_network
    from store.engine import make_engine

    pbf = shared_data / "osm_leeds_its_example" / "its-example.osm.pbf"
    eng = make_engine(fresh_db_url)
    try:
        first = load_network(pbf).segments
        with session_scope(eng) as s:
            assert upsert_segments(s, first) == {"inserted": 136, "updated": 0}
        with session_scope(eng) as s:
            ids1 = [r.id for r in list_segments(s)]
        with session_scope(eng) as s:
            assert upsert_segments(s, load_network(pbf).segments) == {"inserted": 0, "updated": 136}
        with session_scope(eng) as s:
            ids2 = [r.id for r in list_segments(s)]
            assert count_segments_by_class(s) == LEEDS_BY_CLASS
            summary = network_summary(s)
        assert ids1 == ids2 == sorted(first["segment_id"])
        assert len(ids2) == 136
        assert summary["segments"] == 136
        assert summary["total_km"] == pytest.approx(first["length_m"].sum() / 1000, abs=0.001)
    finally:
        eng.dispose()
