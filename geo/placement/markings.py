"""Marking wear put on the network: bird's-eye views of each frame, lines per segment, 10 m runs.

1. :func:`ground_view` warps the road in front of the vehicle (``FORWARD_M`` x ``LATERAL_M``)
   into a top-down image with the camera model; ``detector.markings.slice_profile`` turns it
   into paint per 0.5 m slice and 2 cm column (a :class:`PaintProfile`, small and picklable).
2. :func:`wear_runs_from_profiles` leaves out frames taken while turning, places every cell on
   the network (pose-corrected frame, heading, snap to the nearest segment: segment, chainage,
   signed offset), finds each segment's painted lines as sharp ridges of paint across the road
   in single frames (peaks of several frames within ``SAME_LINE_M`` are one line), tracks each
   line frame by frame (its peak, or where the paint is too worn for one, the shift carried
   over from the nearest frame with a peak), and measures it per ``run_length_m`` run:
   effective painted width per metre over a window of ``window_m`` centred on the run (so a
   dashed line's gaps average out), less the road beside it, against the line's own well-kept
   value (``REFERENCE_PERCENTILE`` of its runs). 0 = as its best runs, 1 = gone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from geo.crs import xy_from_lonlat
from geo.types import SampledFrame

log = logging.getLogger(__name__)

FORWARD_M = (4.0, 14.0)  # ground ahead of the camera that is measured (near: finest pixels)
LATERAL_M = (-5.0, 5.0)  # across: + = right of the vehicle
ROW_M = 0.05  # bird's-eye pixel along the road
COL_M = 0.02  # bird's-eye pixel across the road (a 100 mm line is 5 columns)
SLICE_M = 0.5  # profile slice along the road
LINE_BAND_M = 0.1  # half-width of the band a line is measured in, around its column in a frame
MIN_LINE_WIDTH_M = 0.02  # a line's well-kept runs show at least this effective painted width
MAX_LINE_WIDTH_M = 0.12  # ... and at most this (wider: pavement, verge, kerb; not a line)
REFERENCE_PERCENTILE = 75.0  # a line's well-kept width: this percentile of its runs
RIDGE_M = 0.12  # a line is brighter than the road this far either side of it (in one frame)
MIN_RIDGE = 0.15  # by at least this much mean paint (0..1) over the frame's near slices
TURN_DEG = 6.0  # heading change to the next or previous frame above which a frame is a turn
SAME_LINE_M = 0.5  # peaks of different frames closer than this (across the road) are one line


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


def _by_frame(cells: dict[str, np.ndarray], on: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(frame, indices of its cells in on, ascending)`` per frame: one sort, not a scan of
    every cell per frame (that was quadratic in the length of the drive)."""
    idx = np.flatnonzero(on)
    frame = cells["frame"][idx]
    order = np.argsort(frame, kind="stable")
    idx, frame = idx[order], frame[order]
    keys, starts = np.unique(frame, return_index=True)
    return [(int(k), part) for k, part in zip(keys, np.split(idx, starts[1:]), strict=True)]


def _frame_peaks(cells: dict[str, np.ndarray], on: np.ndarray) -> list[tuple[int, int, float]]:
    """Sharp ridges of paint across the road in each frame: ``(frame, column, offset)``.

    In one frame the geometry is exact (no GPS between its pixels), so a 100 mm line is a peak
    a few columns wide; a kerb, verge or pavement is a step or a plateau and is not a peak.
    """
    k_side = int(round(RIDGE_M / COL_M))
    n_cols = int(cells["col"].max()) + 1
    out = []
    for k, sel in _by_frame(cells, on):
        col = cells["col"][sel]
        tot = np.bincount(col, weights=cells["paint"][sel], minlength=n_cols)
        cnt = np.bincount(col, minlength=n_cols)
        if cnt.max() < 4:
            continue
        mean = np.where(cnt >= 4, tot / np.maximum(cnt, 1), np.nan)
        left = np.concatenate([np.full(k_side, np.nan), mean[:-k_side]])
        right = np.concatenate([mean[k_side:], np.full(k_side, np.nan)])
        with np.errstate(invalid="ignore"):
            ridge = mean - np.fmax(left, right)
        for c in np.flatnonzero(ridge > MIN_RIDGE):
            window = mean[max(c - 3, 0) : c + 4]
            if mean[c] >= np.nanmax(window):
                at = sel[col == c]
                out.append((int(k), int(c), float(np.median(cells["offset"][at]))))
    return out


def _lines_from_peaks(peaks: list[tuple[int, int, float]], min_frames: int = 3) -> list[float]:
    """Offsets of the lines along a segment: peaks of several frames closer than ``SAME_LINE_M``."""
    offs = sorted(p[2] for p in peaks)
    groups: list[list[float]] = []
    for o in offs:
        if groups and o - groups[-1][-1] < SAME_LINE_M:
            groups[-1].append(o)
        else:
            groups.append([o])
    return [float(np.median(g)) for g in groups if len(g) >= min_frames]


def _track_line(cells, on, line_off, peaks) -> tuple[np.ndarray, np.ndarray]:
    """Cells on the line in each frame, and the road floor beside it, frame by frame.

    The line's column in a frame is its peak there; where the paint is too worn for a peak,
    the offset between the line's survey position and its column is carried over from the
    nearest frame that had one, so a worn stretch is measured where the line runs.
    """
    pred, resid = {}, {}
    in_frame = dict(_by_frame(cells, on))
    for k, sel in in_frame.items():
        near = sel[np.abs(cells["offset"][sel] - line_off) < 0.1]
        if len(near):
            pred[k] = float(np.median(cells["col"][near]))
    for k, c, off in peaks:
        if k in pred and abs(off - line_off) < SAME_LINE_M:
            d = c - pred[k]
            if k not in resid or abs(d) < abs(resid[k]):
                resid[k] = d
    band = np.zeros(len(cells["paint"]), bool)
    floor = np.zeros(len(cells["paint"]), np.float32)
    if not resid:
        return band, floor
    known = np.array(sorted(resid))
    half = LINE_BAND_M / COL_M
    for k, c0 in pred.items():
        nearest = int(known[np.argmin(np.abs(known - k))])
        centre = c0 + resid.get(k, resid[nearest])
        sel = in_frame[k]
        dist = np.abs(cells["col"][sel] - centre)
        mine = sel[dist <= half]
        side = sel[(dist > half + 0.05 / COL_M) & (dist <= half + 0.2 / COL_M)]
        band[mine] = True
        floor[mine] = float(np.mean(cells["paint"][side])) if len(side) else 0.0
    return band, floor


def wear_runs_from_profiles(
    network,
    frames: Sequence[SampledFrame],
    profiles: Sequence[PaintProfile],
    *,
    shifts: dict[tuple[str, int], tuple[float, float]] | None = None,
    run_length_m: float = 10.0,
    window_m: float = 20.0,
    min_covered_m: float = 3.0,
) -> list[WearRun]:
    """Wear per line per run of each segment the survey saw (see module docstring)."""
    if network is None or not profiles:
        return []
    by_key = {(f.source or "", f.frame_index): f for f in _straight_frames(frames)}
    profiles = [p for p in profiles if (p.source, p.frame_index) in by_key]
    if not profiles:
        return []
    cells = _cells(by_key, profiles, network, shifts or {})
    keys = [(p.source, p.frame_index) for p in profiles]
    geoms = network.segments.set_index("segment_id").geometry
    runs: list[WearRun] = []
    names, code = np.unique(cells["segment"].astype(str), return_inverse=True)
    for c, seg in enumerate(names):
        if not seg:
            continue
        on = code == c
        peaks = _frame_peaks(cells, on)
        for off in _lines_from_peaks(peaks):
            band, floor = _track_line(cells, on, off, peaks)
            runs += _runs_of_line(
                seg,
                off,
                cells,
                band,
                floor[band],
                keys,
                geoms[seg],
                str(network.crs),
                (run_length_m, window_m, min_covered_m),
            )
    log.info(
        "marking wear: %d runs on %d lines",
        len(runs),
        len({(r.segment_id, r.line_offset_m) for r in runs}),
    )
    return runs


def _runs_of_line(seg, off, cells, band, floor, keys, geom, crs, lengths):
    """The runs of one line: painted width per metre in a window around each run, then wear.

    ``floor`` is the mean paint of the road just beside the line; it is taken off every cell so
    that bare road in the band counts as no paint.
    """
    run_length_m, window_m, min_covered_m = lengths
    ch = cells["chainage"][band]
    width = (cells["paint"][band] - floor) * COL_M  # effective painted width of a cell, metres
    frame = cells["frame"][band]
    # a frame's slice is SLICE_M of line: count distinct (frame, slice) for the length covered
    slot = cells["row"][band]
    values = []
    half = (window_m - run_length_m) / 2
    for r in range(int(np.floor(geom.length / run_length_m)) + 1):
        a, b = r * run_length_m, min((r + 1) * run_length_m, geom.length)
        if b - a < run_length_m / 2:
            continue
        w = (ch >= a - half) & (ch < b + half)
        inside = (ch >= a) & (ch < b)
        if not inside.any():
            continue
        covered = len({(int(f), int(s)) for f, s in zip(frame[w], slot[w], strict=True)}) * SLICE_M
        if covered < min_covered_m:
            continue
        per_m = float(width[w].sum() * SLICE_M / covered)
        used = tuple(sorted({keys[int(f)] for f in frame[inside]}))
        values.append((r, a, b, per_m, covered, used))
    if not values:
        return []
    ref = float(np.percentile([v[3] for v in values], REFERENCE_PERCENTILE))
    if not MIN_LINE_WIDTH_M <= ref <= MAX_LINE_WIDTH_M:
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
