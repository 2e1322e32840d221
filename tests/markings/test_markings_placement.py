"""Wear runs on a straight synthetic road: the line is found, tracked and measured per 10 m run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from geo.crs import lonlat_from_xy
from geo.network.roads import network_from_edges
from geo.placement import markings as gm
from geo.types import SampledFrame

X0, Y0 = 560000.0, 168000.0  # EPSG:27700, near Gillingham
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def survey(worn=(100.0, 140.0), worn_paint=0.15):
    """Frames every 5 m eastwards, 1.6 m left of the centreline, and the paint each one sees."""
    net = network_from_edges([X0, X0 + 300.0], [Y0, Y0], [0], [1], "EPSG:27700", oneway=False)
    n_slices = int((gm.FORWARD_M[1] - gm.FORWARD_M[0]) / gm.SLICE_M)
    n_cols = int((gm.LATERAL_M[1] - gm.LATERAL_M[0]) / gm.COL_M)
    fwd = gm.FORWARD_M[1] - (np.arange(n_slices) + 0.5) * gm.SLICE_M
    line_col = int((1.6 - gm.LATERAL_M[0]) / gm.COL_M)  # the centreline, 1.6 m to the right
    rng = np.random.default_rng(0)
    frames, profiles = [], []
    for i, x in enumerate(np.arange(5.0, 280.0, 5.0)):
        lon, lat = lonlat_from_xy(x + X0, Y0 + 1.6, "EPSG:27700")
        frames.append(
            SampledFrame(
                i,
                i * 0.6,
                T0 + timedelta(seconds=i),
                float(lon),
                float(lat),
                90.0,
                8.0,
                x,
                source="d.mp4",
            )
        )
        paint = rng.uniform(0.0, 0.04, (n_slices, n_cols)).astype(np.float32)
        paint[:, int((4.2 - gm.LATERAL_M[0]) / gm.COL_M) :] = 0.6  # pavement: a plateau
        chain = x + fwd
        on_line = np.where((chain >= worn[0]) & (chain < worn[1]), worn_paint, 0.95)
        paint[:, line_col - 2 : line_col + 3] = on_line[:, None]
        profiles.append(gm.PaintProfile("d.mp4", i, paint))
    return net, frames, profiles


def test_a_worn_stretch_is_measured_where_the_line_runs():
    net, frames, profiles = survey()
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    assert {r.line_kind for r in runs} == {"centre"}  # the pavement plateau is not a line
    assert all(abs(r.line_offset_m) < 0.1 for r in runs)
    wear = {r.run_index: r.wear for r in runs}
    assert all(wear[k] < 0.1 for k in (3, 4, 5, 6, 17, 18, 19, 20))
    assert wear[11] > 0.7 and wear[12] > 0.7
    worn = [r for r in runs if r.wear >= 0.3]
    assert min(r.start_m for r in worn) >= 80.0 and max(r.end_m for r in worn) <= 160.0
    assert all(r.frames and r.frames[0][0] == "d.mp4" for r in runs)
    (lon1, lat1), (lon2, lat2) = runs[0].lonlat
    assert lon2 > lon1 and abs(lat2 - lat1) < 1e-5  # grid north is not true north


def test_no_profiles_no_runs():
    net, frames, _ = survey()
    assert gm.wear_runs_from_profiles(net, frames, []) == []
    assert gm.wear_runs_from_profiles(None, frames, []) == []
