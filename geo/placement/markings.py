"""Marking wear put on the network: bird's-eye views of each frame, lines per segment, 10 m runs.

1. :func:`ground_view` warps the road in front of the vehicle (``FORWARD_M`` x ``LATERAL_M``)
   into a top-down image with the camera model; ``detector.markings.slice_profile`` turns it
   into paint per 0.5 m slice and 2 cm column (a :class:`PaintProfile`, small and picklable).
2. :func:`wear_runs_from_profiles` leaves out frames taken while turning, places every cell on
   the network (pose-corrected frame, heading, snap to the nearest segment: segment, chainage,
   signed offset) and, per segment (``geo.placement.marking_lines``), finds the painted lines
   as sharp ridges of paint with bare road either side in single frames, takes each frame's
   place error off (its peaks against the lines; interpolated along the drive where a frame
   has none), and follows every line at its offset from the segment, so a worn stretch is
   measured where the line runs. Junction mouths are left out.
3. Per ``run_length_m`` run: the effective painted width per metre, less the road floor
   beside the line, averaged with a triangle over a window around the run (for a dashed line
   twice a whole number of dash periods, so the dashes' phase does not move the value),
   against the line's own well-kept value (``REFERENCE_PERCENTILE`` of its runs). 0 = as its
   best runs, 1 = gone. A run whose window was not seen well enough is not measured.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from geo.crs import xy_from_lonlat
from geo.placement import marking_lines as ml
from geo.placement.marking_lines import COL_M, SLICE_M
from geo.types import SampledFrame

log = logging.getLogger(__name__)

FORWARD_M = (4.0, 14.0)  # ground ahead of the camera that is measured (near: finest pixels)
LATERAL_M = (-5.0, 5.0)  # across: + = right of the vehicle
ROW_M = 0.05  # bird's-eye pixel along the road
MIN_LINE_WIDTH_M = 0.02  # a line's well-kept runs show at least this effective painted width
REFERENCE_PERCENTILE = 75.0  # a line's well-kept width: this percentile of its runs
TURN_DEG = 6.0  # heading change to the next or previous frame above which a frame is a turn
LANE_LIGHT_M = 1.0  # the vehicle's own lane: this far either side of the camera
#: A run's window is measured only when this share of its line was seen (0.85 until session 8:
#: on other GPS draws of the sample a window 86 % seen had lost one whole dash of a sound dashed
#: line to the part not seen, and read 0.56 worn; bench/marking_repeatability.py, draws 1-6).
COVER_SHARE = 0.9
#: A line's cross-section in one frame (one slice) is measured only when the camera saw at least
#: this share of the line's band there (of its usual cell count, the 90th percentile): a line at
#: the side of the view, or half under a dark vehicle, is seen in part, and the part not seen
#: would read as worn paint. Chosen on GPS draws 1-6 of the sample (bench/marking_repeatability.py).
MIN_SEEN_SHARE = 0.9


@dataclass(frozen=True)
class PaintProfile:
    """Paint seen in one frame: ``paint[slice, column]`` in [0, 1] (NaN = not seen)."""

    source: str
    frame_index: int
    paint: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if self.paint.ndim != 2:
            raise ValueError("paint must be 2-D (slices, columns)")


@dataclass(frozen=True)
class WearRun:
    """Wear of one line over one run of a segment (chainage along the digitised direction)."""

    segment_id: str
    line_offset_m: float  # signed offset of the line from the segment (+ = left)
    line_kind: str  # "centre" or "edge_or_lane"
    run_index: int
    start_m: float
    end_m: float
    wear: float
    paint_width_m: float  # effective painted width per metre of line over the window
    reference_width_m: float
    covered_m: float  # metres of line seen (over all frames) in the window
    frames: tuple[tuple[str, int], ...]  # (source, frame index) behind the value
    lonlat: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))
    # on the runs of the dashed line the segment was registered by: its repeat length and where
    # its dashes fall (chainage modulo the period), the datum later surveys are slid onto
    dash_period_m: float | None = None
    dash_phase_m: float | None = None


def ground_grid(camera) -> tuple[np.ndarray, np.ndarray]:
    """``(map_u, map_v)`` float32 for ``cv2.remap``: rows = forward (far at top), cols = lateral."""
    from geo.placement.camera import pixel_from_ground_point

    fwd = np.arange(FORWARD_M[1], FORWARD_M[0], -ROW_M)[:, None]
    lat = np.arange(LATERAL_M[0] + COL_M / 2, LATERAL_M[1], COL_M)[None, :]
    u, v = pixel_from_ground_point(camera, *np.broadcast_arrays(fwd, lat))
    return np.nan_to_num(u, nan=-1).astype(np.float32), np.nan_to_num(v, nan=-1).astype(np.float32)


def ground_view(image: np.ndarray, camera, grid=None) -> tuple[np.ndarray, np.ndarray]:
    """The top-down view of the road ahead and the mask of pixels inside the image."""
    import cv2

    cam = camera.scaled(image.shape[1], image.shape[0])
    map_u, map_v = grid if grid is not None else ground_grid(cam)
    view = cv2.remap(image, map_u, map_v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    h, w = image.shape[:2]
    valid = (map_u >= 0) & (map_u <= w - 1) & (map_v >= 0) & (map_v <= h - 1)
    return view, valid


def rows_per_slice() -> int:
    return int(round(SLICE_M / ROW_M))


def lane_columns() -> slice:
    """Bird's-eye columns within ``LANE_LIGHT_M`` of the vehicle: its own lane, bare road in
    nearly every frame, whose light tells a deep shadow or a dark object apart."""
    a = int(round((-LANE_LIGHT_M - LATERAL_M[0]) / COL_M))
    b = int(round((LANE_LIGHT_M - LATERAL_M[0]) / COL_M))
    return slice(a, b)


def _cells(frames_by_key, profiles, network, shifts) -> dict[str, np.ndarray]:
    """Every seen cell placed on the network: arrays of segment, chainage, offset, paint, frame."""
    from geo.network.matching import snap_points_to_network
    from geo.placement.camera import ground_offset_en

    crs = str(network.crs)
    n_slices, n_cols = profiles[0].paint.shape
    fwd = FORWARD_M[1] - (np.arange(n_slices) + 0.5) * SLICE_M
    lat = LATERAL_M[0] + (np.arange(n_cols) + 0.5) * COL_M
    ff, ll = np.meshgrid(fwd, lat, indexing="ij")
    out = defaultdict(list)
    for k, prof in enumerate(profiles):
        fr = frames_by_key[(prof.source, prof.frame_index)]
        x0, y0 = xy_from_lonlat(fr.lon, fr.lat, crs)
        dx, dy = shifts.get((prof.source, prof.frame_index), (0.0, 0.0))
        e, n = ground_offset_en(ff, ll, fr.heading_deg)
        seen = np.isfinite(prof.paint)
        out["x"].append((float(np.atleast_1d(x0)[0]) + dx + e)[seen])
        out["y"].append((float(np.atleast_1d(y0)[0]) + dy + n)[seen])
        out["paint"].append(prof.paint[seen].astype(np.float32))
        out["frame"].append(np.full(int(seen.sum()), k))
        out["col"].append(np.broadcast_to(np.arange(n_cols)[None, :], seen.shape)[seen])
        out["row"].append(np.broadcast_to(np.arange(n_slices)[:, None], seen.shape)[seen])
    cells = {key: np.concatenate(v) for key, v in out.items()}
    snap = snap_points_to_network(network, cells["x"], cells["y"], max_distance_m=8.0)
    cells.update(segment=snap.segment_id, chainage=snap.chainage_m, offset=snap.offset_m)
    return cells


def _straight_frames(frames: Sequence[SampledFrame]) -> list[SampledFrame]:
    """Frames not taken while turning: a line is straight across the bird's-eye view only when
    the vehicle runs along it (heading within ``TURN_DEG`` of the frames before and after)."""
    order = sorted(frames, key=lambda f: (f.source or "", f.time))
    keep = []
    for i, f in enumerate(order):
        turn = 0.0
        for j in (i - 1, i + 1):
            if 0 <= j < len(order) and (order[j].source or "") == (f.source or ""):
                d = (order[j].heading_deg - f.heading_deg + 180.0) % 360.0 - 180.0
                turn = max(turn, abs(d))
        if turn <= TURN_DEG:
            keep.append(f)
    return keep


def wear_runs_from_profiles(
    network,
    frames: Sequence[SampledFrame],
    profiles: Sequence[PaintProfile],
    *,
    shifts: dict[tuple[str, int], tuple[float, float]] | None = None,
    reference_dashes: dict[str, tuple[float, float, float]] | None = None,
    run_length_m: float = 10.0,
    window_m: float = 20.0,
    min_covered_m: float = 12.0,
) -> list[WearRun]:
    """Wear per line per run of each segment the survey saw (see module docstring).

    ``reference_dashes``: per segment, the dashed line (offset, period, phase) of an earlier
    survey (``store.markings.reference_dashes``); this survey's stretch of the segment is slid
    along the road onto it, so both drives put a worn section's ends in the same runs."""
    if network is None or not profiles:
        return []
    by_key = {(f.source or "", f.frame_index): f for f in _straight_frames(frames)}
    profiles = [p for p in profiles if (p.source, p.frame_index) in by_key]
    if not profiles:
        return []
    cells = _cells(by_key, profiles, network, shifts or {})
    keys = [(p.source, p.frame_index) for p in profiles]
    geoms = network.segments.set_index("segment_id").geometry
    junctions = ml.junction_ends_from_network(network)
    crs, lengths = str(network.crs), (run_length_m, window_m, min_covered_m)
    runs: list[WearRun] = []
    names, code = np.unique(cells["segment"].astype(str), return_inverse=True)
    for c, seg in enumerate(names):
        if seg:
            ends = junctions.get(seg, (False, False))
            ref = (reference_dashes or {}).get(seg)
            runs += _wear_runs_from_segment(
                cells, code == c, seg, keys, geoms[seg], ends, crs, lengths, ref
            )
    log.info(
        "marking wear: %d runs on %d lines",
        len(runs),
        len({(r.segment_id, r.line_offset_m) for r in runs}),
    )
    return runs


def _wear_runs_from_segment(cells, on, seg, keys, geom, junction_ends, crs, lengths, ref=None):
    """Wear runs of every painted line found on segment ``seg`` (its cells ``on``): lines from
    the cross-section peaks, each line's band away from junction mouths, registered along
    (within the drive, then onto an earlier survey's dashes ``ref``)."""
    cross = ml.cross_sections_from_cells(cells, on)
    peaks = ml.peaks_from_cross_sections(cross)
    lines, resid = ml.lines_from_peaks(peaks)
    lines = ml.lines_seen_as_peaks(lines, peaks, cross, resid)
    if not lines:
        return []
    resid = ml.residuals_for_all_frames(resid, keys, list(cross))
    away = ml.mask_outside_mouths(cells["chainage"], geom.length, junction_ends)
    bands = []
    for off in lines:
        band, floor = ml.band_of_line(cells, on, cross, off, peaks, resid)
        bands.append((off, band & away, floor))
    placed, dash = _registered_along(cells, bands, keys, list(cross), ref)
    runs: list[WearRun] = []
    for off, band, floor in bands:
        line = _runs_of_line(seg, off, placed, band, floor[band], keys, geom, crs, lengths)
        if dash is not None and off == dash[0]:
            period, phase = round(dash[1], 3), round(dash[2], 3)
            line = [replace(r, dash_period_m=period, dash_phase_m=phase) for r in line]
        runs += line
    return runs


def _registered_along(cells, bands, keys, frames, ref=None):
    """``cells`` with each frame's chainage corrected along the road by the segment's dashed
    line (``marking_lines.along_shifts_from_dashes``; frames without a dash edge take the
    shift interpolated along their drive), then the whole stretch slid onto an earlier
    survey's dashes ``ref`` when it is the same line (``marking_lines.shift_to_reference_m``).
    Returns the cells and the dashed line used (offset, period, phase after both), or the
    cells unchanged and None when the segment has no dashed line."""
    best = None
    for off, band, floor in bands:
        if not band.any():
            continue
        at, width, _ = _line_profile(cells, band, floor[band])
        period = ml.dash_period_m(at, width)
        if period and (best is None or band.sum() > best[1].sum()):
            best = (off, band, floor[band], period)
    if best is None:
        return cells, None
    off, band, floor, period = best
    placed = _registered_within_drive(cells, band, floor, keys, frames)
    at, width, _ = _line_profile(placed, band, floor)
    phase = ml.dash_phase_m(at, width, period)
    shift = ml.shift_to_reference_m(off, period, phase, ref)
    if shift:
        placed = {**placed, "chainage": placed["chainage"] + shift}
        phase = (phase + shift) % period
    return placed, (off, period, phase)


def _registered_within_drive(cells, band, floor, keys, frames) -> dict[str, np.ndarray]:
    """Each frame slid along the road onto the other frames' dashes (see above)."""
    shifts = ml.along_shifts_from_dashes(cells, band, floor)
    if not shifts:
        return cells
    mid = float(np.median(list(shifts.values())))
    shifts = ml.residuals_for_all_frames({k: v - mid for k, v in shifts.items()}, keys, frames)
    add = np.zeros(len(keys))
    for k, v in shifts.items():
        add[k] = v
    return {**cells, "chainage": cells["chainage"] + add[cells["frame"]]}


def _line_profile(cells, band, floor) -> tuple[np.ndarray, np.ndarray, dict[int, set]]:
    """The line's painted width along the segment: per ``SLICE_M`` of chainage, the mean over
    frames of the width across the line (paint less the floor beside it, times the column
    width), leaving out cross-sections the camera saw only in part (``MIN_SEEN_SHARE``).
    Returns bin centres (m), widths (m) and the frames behind each bin."""
    slot = cells["frame"][band].astype(np.int64) * (int(cells["row"].max()) + 1)
    slot += cells["row"][band]
    _, inv = np.unique(slot, return_inverse=True)
    n = np.bincount(inv)
    whole = (n >= MIN_SEEN_SHARE * np.percentile(n, 90))[inv]
    band = band.copy()
    band[np.flatnonzero(band)[~whole]] = False
    floor = floor[whole]
    ch = cells["chainage"][band]
    width = (cells["paint"][band] - floor) * COL_M  # effective painted width of a cell, metres
    frame = cells["frame"][band]
    slot = slot[whole]
    _, inv = np.unique(slot, return_inverse=True)
    n = np.bincount(inv)
    across = np.bincount(inv, weights=width)  # one frame's cross-section of the line
    at = np.bincount(inv, weights=ch) / n
    cross_frame = np.bincount(inv, weights=frame) / n
    bins, binv = np.unique(np.floor(at / SLICE_M).astype(np.int64), return_inverse=True)
    mean = np.bincount(binv, weights=across) / np.bincount(binv)
    frames_of = defaultdict(set)
    for b, f in zip(binv.tolist(), cross_frame.astype(int).tolist(), strict=True):
        frames_of[b].add(f)
    return (bins + 0.5) * SLICE_M, mean, frames_of


def _runs_of_line(seg, off, cells, band, floor, keys, geom, crs, lengths):
    """The runs of one line: painted width per metre in a window around each run, then wear.

    A window counts only when at least ``min_covered_m`` of its line was seen (distinct
    chainage), and ``COVER_SHARE`` of the window where the line was measured at all: a
    stretch seen in a few frames, or with a hole (a deep shadow, a parked car), could
    fall on the gaps of a dashed line and read as worn. Such a run is not measured.
    """
    run_length_m, window_m, min_covered_m = lengths
    if not band.any():
        return []
    at, width, frames_of = _line_profile(cells, band, floor)
    extent = (float(at.min()) - SLICE_M / 2, float(at.max()) + SLICE_M / 2)
    period = ml.dash_period_m(at, width)
    if period:  # a triangle over twice a whole number of dash periods: the phase of the
        # dashes cannot move the value, and a dash at the window's edge counts little
        window_m = 2 * period * max(1, round(window_m / (2 * period)))
    values = []
    for r in range(int(np.floor(geom.length / run_length_m)) + 1):
        a, b = r * run_length_m, min((r + 1) * run_length_m, geom.length)
        if b - a < run_length_m / 2:
            continue
        lo = (a + b - window_m) / 2  # the window, slid inside the measured stretch
        lo = max(min(lo, extent[1] - window_m), extent[0])
        w = (at >= lo) & (at < lo + window_m)
        inside = np.flatnonzero((at >= a) & (at < b))
        covered = float(w.sum() * SLICE_M)
        span = min(lo + window_m, extent[1]) - lo
        if not len(inside) or covered < max(min_covered_m, COVER_SHARE * span):
            continue
        weight = np.clip(1.0 - np.abs(at[w] - (lo + window_m / 2)) / (window_m / 2), 0.0, None)
        per_m = float((weight * width[w]).sum() / max(weight.sum(), 1e-9))
        used = tuple(sorted({keys[f] for i in inside for f in frames_of[int(i)]}))
        values.append((r, a, b, per_m, covered, used))
    if not values:
        return []
    ref = float(np.percentile([v[3] for v in values], REFERENCE_PERCENTILE))
    if ref < MIN_LINE_WIDTH_M:
        return []  # too faint for paint, or too wide: a kerb, verge or pavement edge
    kind = "centre" if abs(off) < 0.75 else "edge_or_lane"
    return [
        WearRun(
            segment_id=seg,
            line_offset_m=round(off, 2),
            line_kind=kind,
            run_index=r,
            start_m=round(a, 2),
            end_m=round(b, 2),
            wear=round(float(np.clip(1.0 - max(per_m, 0.0) / ref, 0.0, 1.0)), 4),
            paint_width_m=round(per_m, 5),
            reference_width_m=round(ref, 5),
            covered_m=covered,
            frames=used,
            lonlat=_run_lonlat(geom, a, b, off, crs),
        )
        for r, a, b, per_m, covered, used in values
    ]


def _run_lonlat(geom, a: float, b: float, off: float, crs: str):
    """Ends of the run's line (lon/lat), offset from the segment like the line."""
    from geo.crs import lonlat_from_xy

    piece = geom.offset_curve(off) if abs(off) > 0.01 else geom
    if piece.is_empty or piece.geom_type != "LineString":
        piece = geom
    scale = piece.length / geom.length if geom.length else 1.0
    p, q = piece.interpolate(a * scale), piece.interpolate(b * scale)
    lon, lat = lonlat_from_xy([p.x, q.x], [p.y, q.y], crs)
    return (
        (round(float(lon[0]), 7), round(float(lat[0]), 7)),
        (round(float(lon[1]), 7), round(float(lat[1]), 7)),
    )
