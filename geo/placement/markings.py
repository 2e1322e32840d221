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
REFERENCE_PERCENTILE = 75.0  # a line's well-kept width: this percentile of its runs
SIDE_M = (0.14, 0.30)  # the road either side of a line: this far from its centre
MIN_RIDGE = 0.15  # a line is brighter than the road either side by this much (paint 0..1) ...
SIDE_SHARE = 0.5  # ... and the brighter side is under this share of the line (else a plateau)
TURN_DEG = 6.0  # heading change to the next or previous frame above which a frame is a turn
SAME_LINE_M = 0.5  # peaks of different frames closer than this (across the road) are one line
TIGHT_LINE_M = 0.25  # ... the same, once each frame's place error is taken off
MIN_LINE_FRAMES = 3  # a line is seen as a peak in at least this many frames ...
MIN_LINE_SEEN_M = 10.0  # ... spread over at least this length of the segment
LANE_LIGHT_M = 1.0  # the vehicle's own lane: this far either side of the camera
DASH_PERIOD_M = (4.0, 20.0)  # repeat lengths of dashed lines looked for
MIN_DASH_CORR = 0.4  # autocorrelation at the repeat length for a dashed line
COVER_SHARE = 0.85  # a run's window is measured only when this share of its line was seen
JUNCTION_M = 10.0  # left out at a segment end where three or more segments meet


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


def _frame_cross_sections(cells, on) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per frame on the segment: mean paint, offset and chainage of each column (NaN: unseen)."""
    n_cols = int(cells["col"].max()) + 1
    idx = np.flatnonzero(on)
    idx = idx[np.argsort(cells["frame"][idx], kind="stable")]
    frames = cells["frame"][idx]
    out = {}
    for sel in np.split(idx, np.flatnonzero(np.diff(frames)) + 1):
        if not len(sel):
            continue
        col = cells["col"][sel]
        cnt = np.bincount(col, minlength=n_cols)
        if cnt.max() < 4:
            continue
        ok = cnt >= 4
        div = np.maximum(cnt, 1)
        sums = [np.bincount(col, weights=cells[k][sel], minlength=n_cols) for k in _CROSS_KEYS]
        mean, off, ch = (np.where(ok, v / div, np.nan) for v in sums)
        out[int(cells["frame"][sel[0]])] = (mean, off, ch)
    return out


_CROSS_KEYS = ("paint", "offset", "chainage")


def _side_bands(mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean paint of the road ``SIDE_M`` either side of every column (NaN where unseen)."""
    a, b = (int(round(v / COL_M)) for v in SIDE_M)
    vals = np.nan_to_num(mean)
    seen = np.isfinite(mean).astype(float)
    kernel = np.ones(b - a + 1)
    box = np.convolve(vals, kernel, "full")  # box[i] = sum of vals[i - (b - a) .. i]
    cnt = np.convolve(seen, kernel, "full")
    n = len(mean)
    idx = np.arange(n)

    def band(first: np.ndarray) -> np.ndarray:
        last = first + (b - a)
        valid = (first >= 0) & (last < n)
        j = np.clip(last, 0, len(box) - 1)
        c = np.where(valid, cnt[j], 0)
        return np.where(c >= (b - a + 1) / 2, box[j] / np.maximum(c, 1), np.nan)

    return band(idx - b), band(idx + a)


def _frame_peaks(cross) -> list[tuple[int, int, float, float]]:
    """Sharp ridges of paint across the road in each frame: ``(frame, column, offset, chainage)``.

    In one frame the geometry is exact (no GPS between its pixels), so a 100 mm line is a peak
    a few columns wide with bare road ``SIDE_M`` either side. A kerb, pavement or verge is a
    plateau: it stays bright on its far side, so it is not a peak. An edge line next to a
    pavement still has bare road on both sides within ``SIDE_M``.
    """
    out = []
    for k, (mean, off, ch) in cross.items():
        left, right = _side_bands(mean)
        with np.errstate(invalid="ignore"):
            side = np.fmax(left, right)
            ok = (mean - side > MIN_RIDGE) & (side <= SIDE_SHARE * mean)
        for c in np.flatnonzero(ok):
            if mean[c] >= np.nanmax(mean[max(c - 3, 0) : c + 4]):
                out.append((k, int(c), float(off[c]), float(ch[c])))
    return out


def _cluster(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Indices of ``values`` in groups of neighbours closer than ``gap`` (sorted)."""
    order = np.argsort(values)
    cuts = np.flatnonzero(np.diff(values[order]) >= gap) + 1
    return np.split(order, cuts)


def _frame_residuals(peaks, lines: list[float], gap: float) -> dict[int, float]:
    """Per frame: how far its peaks sit from the segment's lines (the frame's place error).

    The error of a frame's position and heading moves all its lines together, so one median
    over the lines it sees.
    """
    by_frame = defaultdict(list)
    arr = np.asarray(lines)
    for k, _c, off, _ch in peaks:
        d = off - arr
        j = int(np.argmin(np.abs(d)))
        if abs(d[j]) < gap:
            by_frame[k].append(d[j])
    return {k: float(np.median(v)) for k, v in by_frame.items()}


def _lines_from_peaks(peaks) -> tuple[list[float], dict[int, float]]:
    """The segment's lines (offsets) and each frame's place error (see :func:`_frame_residuals`).

    First pass: peaks of all frames within ``SAME_LINE_M`` are one line. Each frame's error is
    taken off its peaks, and the corrected peaks are grouped again, tighter. A line is kept when
    at least ``MIN_LINE_FRAMES`` frames saw it, over at least ``MIN_LINE_SEEN_M`` of chainage.
    """
    if not peaks:
        return [], {}
    off = np.array([p[2] for p in peaks])
    ch = np.array([p[3] for p in peaks])
    frame = np.array([p[0] for p in peaks])
    rough = [float(np.median(off[g])) for g in _cluster(off, SAME_LINE_M) if len(g) >= 3]
    if not rough:
        return [], {}
    resid = _frame_residuals(peaks, rough, SAME_LINE_M)
    fixed = off - np.array([resid.get(int(k), 0.0) for k in frame])
    lines = []
    for g in _cluster(fixed, TIGHT_LINE_M):
        seen = np.ptp(ch[g]) if len(g) else 0.0
        if len(set(frame[g].tolist())) >= MIN_LINE_FRAMES and seen >= MIN_LINE_SEEN_M:
            lines.append(float(np.median(fixed[g])))
    if not lines:
        return [], {}
    return lines, _frame_residuals(peaks, lines, TIGHT_LINE_M)


def _residual_everywhere(resid: dict[int, float], keys, frames) -> dict[int, float]:
    """Each frame's place error; frames without a peak take it interpolated along their drive."""
    by_source = defaultdict(list)
    for k in frames:
        by_source[keys[k][0]].append(k)
    out = {}
    for ks in by_source.values():
        known = sorted((keys[k][1], resid[k]) for k in ks if k in resid)
        for k in ks:
            if k in resid:
                out[k] = resid[k]
            elif known:
                xs, ys = zip(*known, strict=True)
                out[k] = float(np.interp(keys[k][1], xs, ys))
            else:
                out[k] = 0.0
    return out


def _track_line(cells, on, cross, line_off, peaks, resid) -> tuple[np.ndarray, np.ndarray]:
    """Cells on the line in each frame, and the road floor beside it, frame by frame.

    The line keeps its offset from the segment: in each frame it runs where the line's offset
    plus the frame's place error falls (snapped to a peak of that frame within
    ``LINE_BAND_M``), so a worn stretch without peaks is measured where the line runs. The
    floor is the mean paint ``SIDE_M`` beside the line on the quieter side (a pavement, kerb
    or shadow edge on the other side does not lift it).
    """
    peak_cols = defaultdict(list)
    for k, c, off, _ch in peaks:
        peak_cols[k].append((c, off))
    band = np.zeros(len(cells["paint"]), bool)
    floor = np.zeros(len(cells["paint"]), np.float32)
    idx = np.flatnonzero(on)
    half = int(round(LINE_BAND_M / COL_M))
    for k, (mean, off, _ch) in cross.items():
        want = line_off + resid[k]
        if not np.isfinite(off).any():
            continue
        centre = int(np.nanargmin(np.abs(off - want)))
        if abs(off[centre] - want) > LINE_BAND_M:
            continue  # the line is outside this frame's view
        near = [c for c, o in peak_cols.get(k, []) if abs(o - want) <= LINE_BAND_M]
        if near:
            centre = min(near, key=lambda c: abs(c - centre))
        left, right = _side_bands(mean)
        side = np.fmin(left[centre], right[centre])
        sel = idx[cells["frame"][idx] == k]
        mine = sel[np.abs(cells["col"][sel] - centre) <= half]
        band[mine] = True
        floor[mine] = float(side) if np.isfinite(side) else 0.0
    return band, floor


def _junction_ends(network) -> dict[str, tuple[bool, bool]]:
    """Per segment: is its start, is its end a junction (three or more segments meet there)?"""
    touching = defaultdict(set)
    ends = {}
    for u, v, data in network.graph.edges(data=True):
        sid = data["segment_id"]
        touching[u].add(sid)
        touching[v].add(sid)
        if not data.get("reverse"):
            ends[sid] = (u, v)
    return {sid: (len(touching[u]) >= 3, len(touching[v]) >= 3) for sid, (u, v) in ends.items()}


def _outside_mouths(chainage, length_m: float, ends: tuple[bool, bool]) -> np.ndarray:
    """Cells away from a junction mouth: the first/last ``JUNCTION_M`` at a junction end hold
    give-way lines and the ends of other roads' paint, not this segment's line."""
    keep = np.ones(len(chainage), bool)
    if ends[0]:
        keep &= chainage >= JUNCTION_M
    if ends[1]:
        keep &= chainage <= length_m - JUNCTION_M
    return keep


def wear_runs_from_profiles(
    network,
    frames: Sequence[SampledFrame],
    profiles: Sequence[PaintProfile],
    *,
    shifts: dict[tuple[str, int], tuple[float, float]] | None = None,
    run_length_m: float = 10.0,
    window_m: float = 20.0,
    min_covered_m: float = 12.0,
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
    junctions = _junction_ends(network)
    runs: list[WearRun] = []
    for seg in sorted({s for s in cells["segment"] if s}):
        on = cells["segment"] == seg
        cross = _frame_cross_sections(cells, on)
        peaks = _frame_peaks(cross)
        lines, resid = _lines_from_peaks(peaks)
        if not lines:
            continue
        resid = _residual_everywhere(resid, keys, list(cross))
        away = _outside_mouths(
            cells["chainage"], geoms[seg].length, junctions.get(seg, (False, False))
        )
        for off in lines:
            band, floor = _track_line(cells, on, cross, off, peaks, resid)
            band &= away
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


def _line_profile(cells, band, floor) -> tuple[np.ndarray, np.ndarray, dict[int, set]]:
    """The line's painted width along the segment: per ``SLICE_M`` of chainage, the mean over
    frames of the width across the line (paint less the floor beside it, times the column
    width). Returns bin centres (m), widths (m) and the frames behind each bin."""
    ch = cells["chainage"][band]
    width = (cells["paint"][band] - floor) * COL_M  # effective painted width of a cell, metres
    frame = cells["frame"][band]
    slot = frame.astype(np.int64) * (int(cells["row"].max()) + 1) + cells["row"][band]
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


def dash_period_m(at: np.ndarray, width: np.ndarray) -> float | None:
    """The repeat length of a dashed line from its painted width along the segment (metres),
    or None for a continuous line: the lag of the highest autocorrelation within
    ``DASH_PERIOD_M`` when it reaches ``MIN_DASH_CORR``."""
    if len(at) < 4:
        return None
    k = np.round(at / SLICE_M).astype(int)
    k -= k.min()
    x = np.full(k.max() + 1, np.nan)
    x[k] = width
    x -= np.nanmean(x)
    best, best_lag = MIN_DASH_CORR, None
    for lag in range(int(DASH_PERIOD_M[0] / SLICE_M), int(DASH_PERIOD_M[1] / SLICE_M) + 1):
        if lag >= len(x) // 2:
            break
        a, b = x[:-lag], x[lag:]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 2 * lag:
            continue
        den = np.sqrt((a[ok] ** 2).sum() * (b[ok] ** 2).sum())
        corr = float((a[ok] * b[ok]).sum() / den) if den > 0 else 0.0
        if corr > best:
            best, best_lag = corr, lag
    return None if best_lag is None else best_lag * SLICE_M


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
    period = dash_period_m(at, width)
    if period:  # whole dash periods, so the phase of the dashes cannot move the value
        window_m = period * max(1, round(window_m / period))
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
        per_m = float(width[w].mean())
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
