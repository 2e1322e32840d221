"""geo.network.matching on synthetic drives over real (Leeds) and hand-made networks."""

from __future__ import annotations

import numpy as np
import pytest
from shapely import get_coordinates, line_interpolate_point
from shapely.ops import linemerge

from geo.network.matching import DEFAULTS, match_track, match_xy, snap_points_to_network
from geo.network.roads import load_network, network_from_edges
from roadcam.errors import MatchingError


@pytest.fixture(scope="module")
def leeds(shared_data):
    return load_network(shared_data / "osm_leeds_its_example/its-example.osm.pbf")


def _route(net, src, dst):
    """Shortest route (segment ids, directions) and its metric polyline."""
    import networkx as nx

    nodes = nx.shortest_path(net.graph, src, dst, weight="length_m")
    seg = net.segments.set_index("segment_id")
    ids, parts = [], []
    for a, b in zip(nodes[:-1], nodes[1:], strict=True):
        e = min(net.graph.get_edge_data(a, b).values(), key=lambda d: d["length_m"])
        g = seg.loc[e["segment_id"], "geometry"]
        parts.append(g.reverse() if e["reverse"] else g)
        ids.append(e["segment_id"])
    return ids, linemerge(parts)


def _drive(line, spacing_m, noise_m, seed=1):
    rng = np.random.default_rng(seed)
    s = np.arange(0.0, line.length, spacing_m)
    c = get_coordinates(line_interpolate_point(line, s))
    return c[:, 0] + rng.normal(0, noise_m, len(s)), c[:, 1] + rng.normal(0, noise_m, len(s))


@pytest.fixture(scope="module")
def long_route(leeds):
    import networkx as nx

    seg, g = leeds.segments, leeds.graph
    # from the first segment's start node to the node farthest from it by road
    lengths = nx.single_source_dijkstra_path_length(g, seg["u"].iloc[0], weight="length_m")
    far = max(lengths, key=lengths.get)
    return _route(leeds, seg["u"].iloc[0], far)


def test_dense_noisy_drive(leeds, long_route):
    ids, line = long_route
    assert line.length == pytest.approx(488.9, abs=0.1)
    x, y = _drive(line, 10.0, 4.0)
    t = np.arange(len(x)) * 1.0
    r = match_xy(leeds, x, y, time=t)
    assert r.n_matched == len(x) and r.n_breaks == 0
    ok = np.isin(r.segment_id, ids).mean()
    assert ok >= 0.95
    path = r.path_segment_ids()
    covered = (
        leeds.segments.set_index("segment_id")
        .loc[[i for i in ids if i in set(path)], "length_m"]
        .sum()
    )
    assert covered / leeds.segments.set_index("segment_id").loc[ids, "length_m"].sum() >= 0.95
    assert 2.0 <= r.sigma_m <= 8.0  # estimated from the data (true sigma 4 m)
    assert np.nanmedian(r.distance_m) < 6.0


def test_lonlat_entry_and_sparse(leeds, long_route):
    from geo.crs import lonlat_from_xy

    ids, line = long_route
    x, y = _drive(line, 80.0, 3.0, seed=2)  # sparse: one fix every 80 m
    lon, lat = lonlat_from_xy(x, y, "EPSG:27700")
    r = match_track(leeds, lon, lat)
    assert np.isin(r.segment_id, ids).mean() >= 0.9
    path = set(r.path_segment_ids())
    assert sum(1 for i in ids if i in path) / len(ids) >= 0.9
    assert np.all(np.abs(r.matched_lon - lon) < 0.001)


def test_gap_breaks_and_stationary(leeds, long_route):
    _, line = long_route
    x, y = _drive(line, 10.0, 2.0, seed=3)
    t = np.arange(len(x)) * 1.0
    t[len(t) // 2 :] += 600.0  # a 10-minute gap
    x = np.insert(x, 5, [x[5]] * 6)  # stationary at fix 5 for 6 more fixes
    y = np.insert(y, 5, [y[5]] * 6)
    t = np.insert(t, 5, t[5] + np.arange(1, 7) * 0.1)
    r = match_xy(leeds, x, y, time=t)
    assert r.n_breaks == 1
    assert set(r.chain) == {0, 1}
    assert len(set(r.segment_id[5:12])) == 1 and np.ptp(r.chainage_m[5:12]) == 0.0


def test_no_candidates_unmatched_and_error(leeds):
    r = match_xy(leeds, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert r.n_unmatched == 2 and list(r.segment_id) == ["", ""]
    with pytest.raises(MatchingError):
        match_track(leeds, np.array([0.0, 0.001]), np.array([0.0, 0.001]))
    with pytest.raises(ValueError, match="unknown matching parameters"):
        match_xy(leeds, np.array([0.0]), np.array([0.0]), bogus=1)


def _dual_carriageway():
    # two one-way carriageways 12 m apart, digitised in opposite directions, 400 m long,
    # joined at both ends by short two-way links (so U-turns are possible via the ends)
    nx_ = np.array([0.0, 400.0, 400.0, 0.0]) + 500000.0
    ny_ = np.array([0.0, 0.0, 12.0, 12.0]) + 170000.0
    u = np.array([0, 2, 1, 3])
    v = np.array([1, 3, 2, 0])
    ow = np.array([True, True, False, False])
    return network_from_edges(
        nx_, ny_, u, v, "EPSG:27700", edge_ids=["east", "west", "link_e", "link_w"], oneway=ow
    )


def test_dual_carriageway_direction_and_heading():
    net = _dual_carriageway()
    # driving west, fixes drifting towards the eastbound carriageway (y = 4 m of 0..12)
    x = 500000.0 + np.arange(380.0, 20.0, -20.0)
    y = np.full(len(x), 170004.0)
    r = match_xy(net, x, y, heading_deg=np.full(len(x), 270.0), speed_mps=np.full(len(x), 10.0))
    assert set(r.segment_id) == {"west"}
    # without heading, direction comes from the transitions alone (oneway): still west
    r2 = match_xy(net, x, y)
    assert set(r2.segment_id) == {"west"}


def test_uturn_on_two_way_segment():
    # one straight two-way road, 300 m; drive east to 250 m, then back west to 50 m
    net = network_from_edges(
        np.array([500000.0, 500300.0]),
        np.array([170000.0, 170000.0]),
        np.array([0]),
        np.array([1]),
        "EPSG:27700",
        edge_ids=["road"],
        oneway=False,
    )
    s = np.concatenate([np.arange(0.0, 250.0, 10.0), np.arange(250.0, 40.0, -10.0)])
    x, y = 500000.0 + s, np.full(len(s), 170002.0)
    r = match_xy(net, x, y, time=np.arange(len(s)) * 1.0)
    assert r.n_breaks == 0 and r.n_matched == len(s)
    assert [(t.segment_id, t.reverse) for t in r.path] == [("road", False), ("road", True)]
    assert r.path[0].end_m == pytest.approx(250.0, abs=3) and r.path[1].end_m == pytest.approx(
        50.0, abs=3
    )
    assert not r.reverse[0] and r.reverse[-1]


def test_snap_points_offset_sign():
    net = network_from_edges(
        np.array([500000.0, 500100.0]),
        np.array([170000.0, 170000.0]),
        np.array([0]),
        np.array([1]),
        "EPSG:27700",
        edge_ids=["e"],
        oneway=False,
    )
    sn = snap_points_to_network(
        net, [500030.0, 500070.0, 509000.0], [170003.0, 169998.0, 170000.0], max_distance_m=50
    )
    assert list(sn.segment_id) == ["e", "e", ""]
    assert sn.chainage_m[:2] == pytest.approx([30.0, 70.0])
    assert sn.offset_m[:2] == pytest.approx(
        [3.0, -2.0]
    )  # + = left of the digitised (eastward) direction
    assert np.isnan(sn.offset_m[2])


def test_defaults_documented():
    assert DEFAULTS["max_distance_m"] == 50.0 and DEFAULTS["sigma_m"] is None


def test_blocked_transitions_same_result(leeds, long_route, monkeypatch):
    import geo.network.match_index as mi

    _, line = long_route
    x, y = _drive(line, 10.0, 4.0, seed=5)
    ref = match_xy(leeds, x, y)
    monkeypatch.setattr(mi, "BLOCK_TRANSITIONS", 7)  # many blocks, chunks across block ends
    monkeypatch.setattr(mi, "CHUNK_TRANSITIONS", 3)
    r = match_xy(leeds, x, y)
    assert list(r.segment_id) == list(ref.segment_id)
    assert r.path == ref.path
    monkeypatch.setattr(mi, "PRED_BUDGET_BYTES", 0)  # predecessors recomputed for the path
    r2 = match_xy(leeds, x, y)
    assert r2.path == ref.path


def test_sparse_timed_track_and_breakage(leeds, long_route):
    _, line = long_route
    x, y = _drive(line, 80.0, 2.0, seed=6)
    t = np.arange(len(x)) * 120.0  # one fix every 2 minutes
    assert match_xy(leeds, x, y, time=t).n_breaks == len(x) - 1  # every step is a gap by default
    assert match_xy(leeds, x, y, time=t, max_gap_s=None).n_breaks == 0
    assert match_xy(leeds, x, y, breakage_m=50.0).n_breaks == len(x) - 1  # 80 m jumps > 50 m
