"""geo.network.roads on the real OSM extracts; counts checked by hand with a second
method (GDAL's OSM driver ``lines`` layer + junction counting on coordinates):
Leeds ITS 92 drivable ways → 136 segments, 6933.4 m; oneway_loop 17 → 26, 1073.1 m;
service_road_loop 9 → 14, 900.6 m."""

from __future__ import annotations

import json

import pytest

from geo.crs import metric_crs_for_bounds
from geo.network.roads import (
    DRIVABLE_HIGHWAYS,
    load_network,
    oneway_from_tags,
    road_class_from_tags,
)
from roadcam.errors import (
    CorruptInputError,
    CRSError,
    InputNotFoundError,
    NetworkError,
    UnsupportedFormatError,
)

SNIP = "osm_uk_osm2streets_snippets/tests/src"


@pytest.fixture(scope="module")
def leeds(shared_data):
    return load_network(shared_data / "osm_leeds_its_example/its-example.osm.pbf")


def test_leeds_counts(leeds):
    s = leeds.segments
    assert leeds.crs.to_epsg() == 27700
    assert len(s) == 136
    assert s["source_id"].nunique() == 92
    assert s["length_m"].sum() == pytest.approx(6933.4, abs=0.1)
    assert int(s["oneway"].sum()) == 17
    # one directed edge per oneway segment, two per two-way segment
    assert leeds.graph.number_of_edges() == 17 + 2 * (136 - 17)
    assert set(s["highway"]) <= DRIVABLE_HIGHWAYS
    assert list(s.columns) == [
        "segment_id",
        "source_id",
        "name",
        "ref",
        "highway",
        "road_class",
        "oneway",
        "u",
        "v",
        "length_m",
        "hierarchy",
        "geometry",
    ]
    summ = leeds.summary()
    assert summ["by_road_class"]["A"]["count"] == 18
    assert summ["by_road_class"]["service"]["count"] == 57
    json.dumps(summ)


def test_ids_stable_over_two_loads(shared_data, leeds):
    again = load_network(shared_data / "osm_leeds_its_example/its-example.osm.pbf")
    assert list(again.segments["segment_id"]) == list(leeds.segments["segment_id"])
    assert again.segments["length_m"].tolist() == leeds.segments["length_m"].tolist()


@pytest.mark.parametrize(
    ("name", "n_seg", "n_ways", "total_m", "n_oneway"),
    [("oneway_loop", 26, 17, 1073.1, 13), ("service_road_loop", 14, 9, 900.6, 7)],
)
def test_snippets(shared_data, name, n_seg, n_ways, total_m, n_oneway):
    net = load_network(shared_data / SNIP / name / "input.osm")
    s = net.segments
    assert (len(s), s["source_id"].nunique(), int(s["oneway"].sum())) == (n_seg, n_ways, n_oneway)
    assert s["length_m"].sum() == pytest.approx(total_m, abs=0.1)
    assert net.graph.number_of_edges() == n_oneway + 2 * (n_seg - n_oneway)


def test_oneway_way_one_direction(shared_data):
    net = load_network(shared_data / SNIP / "oneway_loop/input.osm")
    g = net.graph
    # Surrey Row (way 4255375, oneway=yes) is cut at its two junction nodes
    s = net.segments.set_index("segment_id")
    assert [sid for sid in s.index if sid.startswith("4255375-")] == [
        "4255375-0",
        "4255375-1",
        "4255375-2",
    ]
    assert (s.loc["4255375-0", "u"], s.loc["4255375-0", "v"]) == ("9085246831", "7845046178")
    assert g.has_edge("9085246831", "7845046178") and not g.has_edge("7845046178", "9085246831")
    # Nelson Square (two-way) has both directions, the reverse flagged
    e = g.get_edge_data("25496663", "25496662")
    assert e["4255128-0:r"]["reverse"] is True and e["4255128-0:r"]["segment_id"] == "4255128-0"


OSM_TMPL = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="51.5000" lon="-0.1000"/><node id="2" lat="51.5010" lon="-0.1000"/>
 <node id="3" lat="51.5020" lon="-0.1000"/><node id="4" lat="51.5010" lon="-0.0990"/>
 <node id="5" lat="51.5010" lon="-0.1010"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="ref" v="A3"/>{tags}</way>
 <way id="11"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
 <way id="12"><nd ref="5"/><nd ref="2"/><tag k="highway" v="motorway"/></way>
</osm>
"""


def test_handmade_osm_rules(tmp_path):
    p = tmp_path / "t.osm"
    p.write_text(OSM_TMPL.format(tags='<tag k="oneway" v="-1"/>'))
    net = load_network(p)
    s = net.segments.set_index("segment_id")
    # split at node 2 (shared with the motorway; the footway is not kept)
    assert sorted(s.index) == ["10-0", "10-1", "12-0"]
    # oneway=-1: geometry reversed, so u→v is the travel direction
    assert (s.loc["10-0", "u"], s.loc["10-0", "v"]) == ("2", "1") and bool(s.loc["10-0", "oneway"])
    assert bool(s.loc["12-0", "oneway"])  # implied for motorway
    assert s.loc["10-0", "road_class"] == "A" and s.loc["12-0", "road_class"] == "motorway"
    assert s.loc["10-0", "length_m"] == pytest.approx(111.2, abs=0.5)


def test_lines_geojson_split_and_ids(tmp_path):
    import geopandas as gpd
    from shapely import LineString, MultiLineString

    gdf = gpd.GeoDataFrame(
        {
            "id": ["USRN1", "USRN2", "USRN3"],
            "name": ["High St", "Mill Ln", "Path"],
            "highway": ["primary", "residential", "footway"],
            "ref": ["B2097", "", ""],
            "oneway": ["yes", "no", "no"],
            "hierarchy": ["3b", "4b", ""],
        },
        geometry=[
            LineString([(0.50, 51.38), (0.51, 51.38), (0.52, 51.38)]),
            MultiLineString([[(0.51, 51.38), (0.51, 51.39)], [(0.53, 51.38), (0.53, 51.39)]]),
            LineString([(0.50, 51.38), (0.50, 51.39)]),
        ],
        crs=4326,
    )
    p = tmp_path / "roads.geojson"
    gdf.to_file(p, driver="GeoJSON")
    a, b = load_network(p), load_network(p)
    assert a.crs.to_epsg() == 27700
    ids = list(a.segments["segment_id"])
    assert ids == ["USRN1-0", "USRN1-1", "USRN2-0", "USRN2-1"] == list(b.segments["segment_id"])
    s = a.segments.set_index("segment_id")
    assert s.loc["USRN1-0", "v"] == s.loc["USRN2-0", "u"]  # shared junction node
    assert s.loc["USRN1-0", "road_class"] == "B" and s.loc["USRN1-0", "hierarchy"] == "3b"
    assert bool(s.loc["USRN1-0", "oneway"]) and not bool(s.loc["USRN2-0", "oneway"])


def test_lines_errors(tmp_path):
    import geopandas as gpd
    from shapely import LineString

    g = gpd.GeoDataFrame({"id": [1]}, geometry=[LineString([(574300, 168600), (574400, 168600)])])
    shp = tmp_path / "noprj.shp"
    g.to_file(shp)
    with pytest.raises(CRSError, match="--crs"):
        load_network(shp)
    net = load_network(shp, source_crs=27700)
    assert net.segments["length_m"].iloc[0] == pytest.approx(100.0)
    wrong = tmp_path / "wrong.gpkg"
    g.set_crs(4326).to_file(wrong)
    with pytest.raises(CRSError, match="cannot be degrees"):
        load_network(wrong)


def test_path_errors(tmp_path):
    with pytest.raises(InputNotFoundError):
        load_network(tmp_path / "nope.pbf")
    (tmp_path / "x.xyz").write_text("a")
    with pytest.raises(UnsupportedFormatError):
        load_network(tmp_path / "x.xyz")
    (tmp_path / "bad.pbf").write_bytes(b"\x00garbage" * 50)
    with pytest.raises(CorruptInputError):
        load_network(tmp_path / "bad.pbf")
    (tmp_path / "empty.osm").write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    with pytest.raises(NetworkError):
        load_network(tmp_path / "empty.osm")


def test_helpers():
    assert road_class_from_tags("trunk", "") == "A"
    assert road_class_from_tags("residential", "C123") == "C"
    assert road_class_from_tags("trunk_link", "A1(M)") == "A"
    assert road_class_from_tags("secondary_link", "") == "B"
    assert road_class_from_tags("weird", "") == "unclassified"
    assert oneway_from_tags("yes") == 1 and oneway_from_tags("-1") == -1
    assert oneway_from_tags(None, "motorway") == 1 and oneway_from_tags("no", "motorway") == 0
    assert oneway_from_tags("", "residential", "roundabout") == 1
    assert metric_crs_for_bounds(18.0, 59.3, 18.1, 59.4).to_epsg() == 32634
    assert metric_crs_for_bounds(-1.57, 53.80, -1.55, 53.81).to_epsg() == 27700


def test_lines_shapefile_one_row_per_direction(shared_data):
    """FMM's Stockholm OSMnx edges.shp: 658 one-way rows + 650 rows that are the two
    directions of 325 two-way streets. Repeats are dropped, so 658 + 325 = 983 segments,
    78,340.8 m (= one-way length + half the two-way length, computed apart with geopandas)."""
    net = load_network(
        shared_data / "mapmatch_fmm_example/example/osmnx_example/stockholm/edges.shp"
    )
    s = net.segments
    assert net.crs.to_epsg() == 32634  # UTM 34N, outside Great Britain
    assert (len(s), int(s["oneway"].sum())) == (983, 658)
    assert s["length_m"].sum() == pytest.approx(78340.8, abs=0.5)
    assert net.graph.number_of_edges() == 658 + 2 * 325
    assert s["segment_id"].iloc[0] == "0-0"  # no `id` field: the feature index
