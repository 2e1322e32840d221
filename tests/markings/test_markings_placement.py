"""Wear runs on a straight synthetic road: the line is found, tracked and measured per 10 m run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from geo.crs import lonlat_from_xy
from geo.network.roads import network_from_edges
from geo.placement import marking_lines as gm_lines
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


def _lined_survey(dashed: bool, edge_paint: float = 0.95, shadow=None):
    """Frames every 5 m along a 300 m road with a centre line (dashed 3 m / 6 m or continuous)
    and an edge line 3.3 m left of the centreline, 35 cm from a bright pavement."""
    net, frames, _ = survey()
    n_slices = int((gm.FORWARD_M[1] - gm.FORWARD_M[0]) / gm.SLICE_M)
    n_cols = int((gm.LATERAL_M[1] - gm.LATERAL_M[0]) / gm.COL_M)
    fwd = gm.FORWARD_M[1] - (np.arange(n_slices) + 0.5) * gm.SLICE_M
    lat = gm.LATERAL_M[0] + (np.arange(n_cols) + 0.5) * gm.COL_M  # + = right of the vehicle
    rng = np.random.default_rng(1)
    profiles = []
    for f in frames:
        paint = rng.uniform(0.0, 0.04, (n_slices, n_cols)).astype(np.float32)
        chain = f.distance_m + fwd  # the vehicle is 1.6 m left of the centreline, heading east
        off = 1.6 - lat  # offset left of the centreline
        paint[:, off >= 3.65] = 0.5  # pavement: a plateau
        on = (chain % 9.0 >= 2.0) & (chain % 9.0 < 5.0) if dashed else np.ones_like(chain, bool)
        paint[:, np.abs(off) <= 0.05] = np.where(on, 0.95, 0.0)[:, None]
        paint[:, np.abs(off - 3.3) <= 0.05] = edge_paint
        if shadow is not None:  # a shadow or a parked car: road not seen
            hide = (chain >= shadow[0]) & (chain < shadow[1])
            paint[hide, :] = np.nan
        profiles.append(gm.PaintProfile("d.mp4", f.frame_index, paint))
    return net, frames, profiles


def test_an_edge_line_beside_a_pavement_is_a_line_and_the_pavement_is_not():
    net, frames, profiles = _lined_survey(dashed=True)
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    offsets = sorted({r.line_offset_m for r in runs})
    assert len(offsets) == 2
    assert abs(offsets[0]) < 0.1 and abs(offsets[1] - 3.3) < 0.1
    assert {r.line_kind for r in runs} == {"centre", "edge_or_lane"}


def test_sound_dashes_read_sound_whatever_their_phase():
    net, frames, profiles = _lined_survey(dashed=True)
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    centre = [r for r in runs if r.line_kind == "centre"]
    assert len(centre) >= 20
    assert max(r.wear for r in centre) < 0.1  # 20 m windows would swing with the dash phase


def test_a_hidden_stretch_is_not_read_as_worn():
    net, frames, profiles = _lined_survey(dashed=False, shadow=(150.0, 156.0))
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    assert runs and max(r.wear for r in runs) < 0.1
    # a run whose window misses more than 15 % is not measured at all
    measured = {r.run_index for r in runs if r.line_kind == "centre"}
    assert 13 in measured and 15 not in measured


def test_junction_mouths_are_left_out():
    from geo.network.roads import network_from_edges

    net3 = network_from_edges(
        [X0, X0 + 300.0, X0, X0],
        [Y0, Y0, Y0 + 100.0, Y0 - 100.0],
        [0, 0, 0],
        [1, 2, 3],
        "EPSG:27700",
        oneway=False,
    )
    net, frames, profiles = _lined_survey(dashed=False)
    alone = gm.wear_runs_from_profiles(net, frames, profiles)
    joined = gm.wear_runs_from_profiles(net3, frames, profiles)
    assert min(r.start_m for r in alone) < gm_lines.JUNCTION_M
    assert min(r.start_m for r in joined) >= gm_lines.JUNCTION_M  # three roads meet at x = 0


def test_a_line_half_out_of_view_is_not_read_as_worn():
    """Frames 20-35 see the edge line at the side of their view: the half of its band beyond the
    line's centre is not seen. Those cross-sections are left out (``MIN_SEEN_SHARE``); read as
    they are, the half not seen counted as missing paint (runs of 0.3-0.5 worn)."""
    net, frames, profiles = _lined_survey(dashed=False)
    lat = gm.LATERAL_M[0] + (np.arange(profiles[0].paint.shape[1]) + 0.5) * gm.COL_M
    beyond = (1.6 - lat) > 3.3  # left of the edge line's centre
    for p in profiles[20:36]:
        p.paint[:, beyond] = np.nan
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    edge = [r for r in runs if abs(r.line_offset_m - 3.3) < 0.1]
    assert len(edge) >= 20
    assert max(r.wear for r in edge) < 0.1
