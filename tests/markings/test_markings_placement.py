"""Wear runs on a straight synthetic road: the line is found, tracked and measured per 10 m run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo.crs import lonlat_from_xy
from geo.network.roads import network_from_edges
from geo.placement import marking_lines as gm_lines
from geo.placement import markings as gm
from geo.types import SampledFrame

X0, Y0 = 560000.0, 168000.0  # EPSG:27700, near Gillingham
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _grid():
    """The profile grid: slices, columns, forward distance of each slice, lateral of each column."""
    n_slices = int((gm.FORWARD_M[1] - gm.FORWARD_M[0]) / gm.SLICE_M)
    n_cols = int((gm.LATERAL_M[1] - gm.LATERAL_M[0]) / gm.COL_M)
    fwd = gm.FORWARD_M[1] - (np.arange(n_slices) + 0.5) * gm.SLICE_M
    lat = gm.LATERAL_M[0] + (np.arange(n_cols) + 0.5) * gm.COL_M  # + = right of the vehicle
    return n_slices, n_cols, fwd, lat


def survey(worn=(100.0, 140.0), worn_paint=0.15):
    """Frames every 5 m eastwards, 1.6 m left of the centreline, and the paint each one sees."""
    net = network_from_edges([X0, X0 + 300.0], [Y0, Y0], [0], [1], "EPSG:27700", oneway=False)
    n_slices, n_cols, fwd, _lat = _grid()
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
    n_slices, n_cols, fwd, lat = _grid()
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
    lat = _grid()[3]
    beyond = (1.6 - lat) > 3.3  # left of the edge line's centre
    for p in profiles[20:36]:
        p.paint[:, beyond] = np.nan
    runs = gm.wear_runs_from_profiles(net, frames, profiles)
    edge = [r for r in runs if abs(r.line_offset_m - 3.3) < 0.1]
    assert len(edge) >= 20
    assert max(r.wear for r in edge) < 0.1


def _dashed_drive(bias_m: float):
    """A dashed centre line (3 m dash / 6 m gap) worn from 100 to 125 m, seen by a drive whose
    GPS places every frame ``bias_m`` further along the road than it was."""
    net, frames, _ = survey()
    n_slices, n_cols, fwd, lat = _grid()
    rng = np.random.default_rng(2)
    moved, profiles = [], []
    for f in frames:
        chain = f.distance_m + fwd  # where the camera really was
        paint = rng.uniform(0.0, 0.04, (n_slices, n_cols)).astype(np.float32)
        on = (chain % 9.0 >= 2.0) & (chain % 9.0 < 5.0)
        level = np.where((chain >= 100.0) & (chain < 125.0), 0.2, 0.95)
        paint[:, np.abs(1.6 - lat) <= 0.05] = np.where(on, level, 0.0)[:, None]
        profiles.append(gm.PaintProfile("d.mp4", f.frame_index, paint))
        lon, lat_deg = lonlat_from_xy(X0 + f.distance_m + bias_m, Y0 + 1.6, "EPSG:27700")
        moved.append(replace(f, lon=float(lon), lat=float(lat_deg)))
    return net, moved, profiles


def test_a_later_drive_is_slid_onto_the_first_drives_dashes():
    """The first drive's dashed line (offset, period, phase) is the datum: a later drive whose GPS
    is 2.5 m out along the road is slid onto it, and the worn stretch's ends fall in the same
    runs: largest change 0.003 (without it 0.235; 0.36 with 4 m)."""
    net, frames1, prof1 = _dashed_drive(0.0)
    first = gm.wear_runs_from_profiles(net, frames1, prof1)
    dashed = [r for r in first if r.dash_phase_m is not None]
    assert dashed and all(r.dash_period_m == pytest.approx(9.0) for r in dashed)
    ref = {dashed[0].segment_id: (dashed[0].line_offset_m, 9.0, dashed[0].dash_phase_m)}
    net, frames2, prof2 = _dashed_drive(2.5)
    alone = gm.wear_runs_from_profiles(net, frames2, prof2)
    aligned = gm.wear_runs_from_profiles(net, frames2, prof2, reference_dashes=ref)
    w1 = {r.run_index: r.wear for r in first if r.line_kind == "centre"}

    def largest_change(runs):
        return max(abs(r.wear - w1[r.run_index]) for r in runs if r.run_index in w1)

    assert largest_change(alone) > 0.15
    assert largest_change(aligned) < 0.1
    moved = [r for r in aligned if r.dash_phase_m is not None]
    assert moved[0].dash_phase_m == pytest.approx(ref[moved[0].segment_id][2], abs=0.3)


def test_a_ridge_in_a_few_frames_only_is_not_a_line():
    """A pavement 2 m right of the centre line is a plateau (not a line) in every frame but
    three, where the pavement beyond its first 30 cm is in shade: there its edge is a ridge.
    A peak in under ``MIN_PEAK_SHARE`` of the frames that saw that offset is not a line (it had
    runs of its own before, read on the pavement); the painted lines stay."""
    net, frames, profiles = _lined_survey(dashed=False)
    off = 1.6 - _grid()[3]
    for i, p in enumerate(profiles):
        p.paint[:, (off <= -2.0) & (off > -3.0)] = 0.5
        if i in (10, 15, 20):
            p.paint[:, (off <= -2.3) & (off > -3.0)] = 0.0

    def offsets():
        runs = gm.wear_runs_from_profiles(net, frames, profiles)
        return sorted({round(r.line_offset_m, 1) for r in runs})

    assert offsets() == [0.0, 3.3]
    keep, gm_lines.MIN_PEAK_SHARE = gm_lines.MIN_PEAK_SHARE, 0.0
    try:
        assert any(-2.3 < o < -2.0 for o in offsets())  # without the rule it was a line
    finally:
        gm_lines.MIN_PEAK_SHARE = keep


def test_a_line_seen_off_the_frames_place_error_is_still_found():
    """A heading error moves the lines a frame sees over different stretches ahead by different
    amounts, so one place error per frame (a median over its lines) can miss a line by more
    than its band. With a lane line 1.5 m right of the centre line, frames 20, 22, ... 30 see
    the edge line 0.25 m nearer the centre than the others do, and the other two where they
    are: the edge line's band is centred on that frame's peak within ``SNAP_M`` (0.2 m; with
    the band's own 0.1 m, as before, six runs at 110-170 m read the sound edge line 0.41-0.50
    worn)."""
    net, frames, profiles = _lined_survey(dashed=False)
    off = 1.6 - _grid()[3]
    for i, p in enumerate(profiles):
        p.paint[:, np.abs(off + 1.5) <= 0.05] = 0.95
        if i in (20, 22, 24, 26, 28, 30):
            p.paint[:, np.abs(off - 3.3) <= 0.05] = 0.02
            p.paint[:, np.abs(off - 3.05) <= 0.05] = 0.95

    def edge_wear():
        runs = gm.wear_runs_from_profiles(net, frames, profiles)
        return [r.wear for r in runs if abs(r.line_offset_m - 3.3) < 0.15]

    assert len(edge_wear()) >= 20 and max(edge_wear()) < 0.1
    keep, gm_lines.SNAP_M = gm_lines.SNAP_M, gm_lines.LINE_BAND_M
    try:
        assert max(edge_wear()) > 0.3
    finally:
        gm_lines.SNAP_M = keep
