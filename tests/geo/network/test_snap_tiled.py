"""Snapping many points in numpy tiles gives GEOS's answer (geo.network.snap_tiled)."""

from __future__ import annotations

import numpy as np
from shapely import get_coordinates, line_interpolate_point

import geo.network.matching as matching
from geo.network.roads import load_network


def test_tiled_snapping_equals_geos(repo_root, monkeypatch):
    net = load_network(repo_root / "sample_footage" / "network.geojson")
    rng = np.random.default_rng(3)
    n = 60_000
    geoms = net.segments.geometry.values
    on = get_coordinates(
        line_interpolate_point(
            geoms[rng.integers(0, len(geoms), n)], rng.random(n), normalized=True
        )
    )
    x = on[:, 0] + rng.normal(0, 5, n)  # some beyond the 8 m limit
    y = on[:, 1] + rng.normal(0, 5, n)
    x[7:14] = on[7:14, 0]  # exactly on a line
    y[7:14] = on[7:14, 1]
    tiled = matching.snap_points_to_network(net, x, y, max_distance_m=8.0)
    monkeypatch.setattr(matching, "TILED_FROM_POINTS", 10**12)
    geos = matching.snap_points_to_network(net, x, y, max_distance_m=8.0)
    assert (geos.segment_id == "").sum() > 100  # the limit is exercised
    assert list(tiled.segment_id) == list(geos.segment_id)
    ok = geos.segment_id != ""
    for name in ("chainage_m", "offset_m", "distance_m", "snapped_x", "snapped_y"):
        a, b = getattr(tiled, name), getattr(geos, name)
        np.testing.assert_allclose(a[ok], b[ok], atol=1e-6, err_msg=name)
        assert np.isnan(a[~ok]).all() and np.isnan(b[~ok]).all()


def test_tiled_snapping_leaves_points_without_position_unsnapped(repo_root):
    net = load_network(repo_root / "sample_footage" / "network.geojson")
    x0, y0 = get_coordinates(net.segments.geometry.values[0])[0]
    x = np.full(matching.TILED_FROM_POINTS, x0)
    y = np.full(matching.TILED_FROM_POINTS, y0)
    x[:5] = np.nan
    snap = matching.snap_points_to_network(net, x, y, max_distance_m=8.0)
    assert list(snap.segment_id[:5]) == [""] * 5 and np.isnan(snap.chainage_m[:5]).all()
    assert (snap.segment_id[5:] != "").all() and np.allclose(snap.distance_m[5:], 0.0)
