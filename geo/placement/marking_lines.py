"""Painted lines along a segment, from the paint each frame saw (``geo.placement.markings``).

* :func:`cross_sections_from_cells`: per frame, mean paint, offset and chainage per column.
* :func:`peaks_from_cross_sections`: sharp ridges of paint with bare road either side.
* :func:`lines_from_peaks`: the segment's lines (offsets) and each frame's place error.
* :func:`band_of_line`: the cells on a line, frame by frame, and the road floor beside it.
* :func:`junction_ends_from_network`, :func:`mask_outside_mouths`: junction mouths left out.
* :func:`dash_period_m`: the repeat length of a dashed line.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

# The bird's-eye grid the paint is sampled on (geo.placement.markings makes it; both use it).
COL_M = 0.02  # bird's-eye pixel across the road (a 100 mm line is 5 columns)
SLICE_M = 0.5  # profile slice along the road
LINE_BAND_M = 0.1  # half-width of the band a line is measured in, around its column in a frame

SIDE_M = (0.14, 0.30)  # the road either side of a line: this far from its centre
MIN_RIDGE = 0.15  # a line is brighter than the road either side by this much (paint 0..1) ...
SIDE_SHARE = 0.5  # ... and the brighter side is under this share of the line (else a plateau)
SAME_LINE_M = 0.5  # peaks of different frames closer than this (across the road) are one line
TIGHT_LINE_M = 0.25  # ... the same, once each frame's place error is taken off
MIN_LINE_FRAMES = 3  # a line is seen as a peak in at least this many frames ...
MIN_LINE_SEEN_M = 10.0  # ... spread over at least this length of the segment
DASH_PERIOD_M = (4.0, 20.0)  # repeat lengths of dashed lines looked for
GAP_SHARE, MIN_GAP_SHARE = 0.3, 0.25  # a dashed line: a quarter of it or more is gap
MIN_DASH_CORR = 0.4  # autocorrelation at the repeat length for a dashed line
ALONG_MAX_M = 1.5  # a frame's paint is slid along the road by at most this ...
ALONG_BIN_M = 0.25  # ... in steps of this
ALONG_MIN_STD = 0.02  # a frame's stretch of line with a dash edge varies at least this much
ALONG_MIN_CORR = 0.5  # and matches the other frames at least this well
JUNCTION_M = 10.0  # left out at a segment end where three or more segments meet


def groups_by_frame(frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(frame, positions in frames, ascending)`` per frame: one sort, not a scan per frame
    (a scan per frame is quadratic in the length of a drive that passes a segment often)."""
    order = np.argsort(frames, kind="stable")
    keys, starts = np.unique(frames[order], return_index=True)
    return [(int(k), part) for k, part in zip(keys, np.split(order, starts[1:]), strict=True)]


def cross_sections_from_cells(cells, on) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
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


def peaks_from_cross_sections(cross) -> list[tuple[int, int, float, float]]:
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


def lines_from_peaks(peaks) -> tuple[list[float], dict[int, float]]:
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
    return lines, _frame_residuals(peaks, lines, SAME_LINE_M)


#: A line is kept only when it is a peak in at least this share of the frames that saw its offset:
#: a line in paint is a peak in nearly every frame over it (less its worn stretches), while a
#: pavement edge that rises like a ridge in a few frames only (its far side in shade) is not.
MIN_PEAK_SHARE = 0.3


def lines_seen_as_peaks(lines: list[float], peaks, cross, resid: dict[int, float]) -> list[float]:
    """The ``lines`` that are a peak in at least ``MIN_PEAK_SHARE`` of the frames whose
    cross-section saw their offset (within ``LINE_BAND_M``, the frame's place error taken off)."""
    kept = []
    for line in lines:
        saw, peaked = 0, set()
        for k, (mean, off, _ch) in cross.items():
            near = np.abs(off - resid.get(k, 0.0) - line) <= LINE_BAND_M
            saw += bool(np.isfinite(mean[near]).any())
        for k, _c, off, _ch in peaks:
            if abs(off - resid.get(k, 0.0) - line) <= TIGHT_LINE_M:
                peaked.add(k)
        if saw and len(peaked) >= MIN_PEAK_SHARE * saw:
            kept.append(line)
    return kept


def residuals_for_all_frames(resid: dict[int, float], keys, frames) -> dict[int, float]:
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


#: In a frame, a line's band is centred on that frame's nearest peak within this of where the
#: line's offset plus the frame's place error falls. One place error per frame is a median
#: over its lines; a heading error moves the lines it sees over other stretches ahead by
#: different amounts (0.1-0.2 m on the sample's GPS draws), and a band 0.15 m off the paint
#: reads a sound line as worn. Lines closer than ``TIGHT_LINE_M`` are one line, so another
#: line's peak is within reach only when the frame's place error is off towards it.
SNAP_M = 0.2


def band_of_line(cells, on, cross, line_off, peaks, resid) -> tuple[np.ndarray, np.ndarray]:
    """Cells on the line in each frame, and the road floor beside it, frame by frame.

    The line keeps its offset from the segment: in each frame it runs where the line's offset
    plus the frame's place error falls (snapped to a peak of that frame within ``SNAP_M``),
    so a worn stretch without peaks is measured where the line runs. The band is
    ``LINE_BAND_M`` either side. The floor is the mean paint ``SIDE_M`` beside the line on
    the quieter side (a pavement, kerb or shadow edge on the other side does not lift it).
    """
    peak_cols = defaultdict(list)
    for k, c, off, _ch in peaks:
        peak_cols[k].append((c, off))
    band = np.zeros(len(cells["paint"]), bool)
    floor = np.zeros(len(cells["paint"]), np.float32)
    idx = np.flatnonzero(on)
    in_frame = {k: idx[pos] for k, pos in groups_by_frame(cells["frame"][idx])}
    half = int(round(LINE_BAND_M / COL_M))
    for k, (mean, off, _ch) in cross.items():
        want = line_off + resid[k]
        if not np.isfinite(off).any():
            continue
        centre = int(np.nanargmin(np.abs(off - want)))
        if abs(off[centre] - want) > LINE_BAND_M:
            continue  # the line is outside this frame's view
        near = [c for c, o in peak_cols.get(k, []) if abs(o - want) <= SNAP_M]
        if near:
            centre = min(near, key=lambda c: abs(c - centre))
        left, right = _side_bands(mean)
        side = np.fmin(left[centre], right[centre])
        sel = in_frame.get(k, idx[:0])
        mine = sel[np.abs(cells["col"][sel] - centre) <= half]
        band[mine] = True
        floor[mine] = float(side) if np.isfinite(side) else 0.0
    return band, floor


def junction_ends_from_network(network) -> dict[str, tuple[bool, bool]]:
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


def mask_outside_mouths(chainage, length_m: float, ends: tuple[bool, bool]) -> np.ndarray:
    """Cells away from a junction mouth: the first/last ``JUNCTION_M`` at a junction end hold
    give-way lines and the ends of other roads' paint, not this segment's line."""
    keep = np.ones(len(chainage), bool)
    if ends[0]:
        keep &= chainage >= JUNCTION_M
    if ends[1]:
        keep &= chainage <= length_m - JUNCTION_M
    return keep


def dash_period_m(at: np.ndarray, width: np.ndarray) -> float | None:
    """The repeat length of a dashed line from its painted width along the segment (metres),
    or None for a continuous line: the lag of the highest autocorrelation within
    ``DASH_PERIOD_M`` when it reaches ``MIN_DASH_CORR``. A line is dashed only when at least
    ``MIN_GAP_SHARE`` of it is gap (under ``GAP_SHARE`` of its full width)."""
    if len(at) < 4:
        return None
    full = np.percentile(width, 90)
    if full <= 0 or np.mean(width < GAP_SHARE * full) < MIN_GAP_SHARE:
        return None  # (nearly) no gaps: a continuous line
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


def along_shifts_from_dashes(cells, band, floor) -> dict[int, float]:
    """Per frame: how far along the road its paint sits from the other frames' (metres).

    GPS places a frame up to a metre out along the road (most at a stop), which smears the
    dashes of a dashed line. Each frame's stretch of the line is slid (within ``ALONG_MAX_M``)
    to where it best matches the mean of all other frames (correlation); frames without a
    dash edge in view get none. ``floor`` is per cell of ``band``.
    """
    ch = cells["chainage"][band]
    w = cells["paint"][band] - floor
    fr = cells["frame"][band]
    if len(ch) == 0:
        return {}
    lo = float(ch.min()) - ALONG_MAX_M - 1.0
    n = int((float(ch.max()) + ALONG_MAX_M + 1.0 - lo) / ALONG_BIN_M) + 1
    idx = ((ch - lo) / ALONG_BIN_M).astype(int)
    tot = np.bincount(idx, weights=w, minlength=n)
    cnt = np.bincount(idx, minlength=n).astype(float)
    steps = np.arange(-ALONG_MAX_M, ALONG_MAX_M + 1e-9, ALONG_BIN_M)
    out = {}
    for k, m in groups_by_frame(fr):
        t = tot - np.bincount(idx[m], weights=w[m], minlength=n)
        c = cnt - np.bincount(idx[m], minlength=n)
        g = np.where(c > 0, t / np.maximum(c, 1), np.nan)
        mine = w[m] - w[m].mean()
        if mine.std() < ALONG_MIN_STD:
            continue  # no dash edge in view
        best, best_s = ALONG_MIN_CORR, None
        for s in steps:
            j = idx[m] + int(round(s / ALONG_BIN_M))
            gg = g[j]
            ok = np.isfinite(gg)
            if ok.sum() < 0.8 * len(gg):
                continue
            a, b = mine[ok], gg[ok] - gg[ok].mean()
            den = np.sqrt((a * a).sum() * (b * b).sum())
            corr = float((a * b).sum() / den) if den > 0 else 0.0
            if corr > best + 1e-9 or (
                best_s is not None and abs(corr - best) <= 1e-9 and abs(s) < abs(best_s)
            ):
                best, best_s = corr, float(s)
        if best_s is not None:
            out[int(k)] = best_s
    return out


#: Two surveys' dashed lines on a segment are the same line when their repeat lengths differ by
#: less than this (and their offsets by less than ``SAME_LINE_M``).
SAME_PERIOD_M = 0.6


def dash_phase_m(at: np.ndarray, width: np.ndarray, period_m: float) -> float:
    """Where a dashed line's dashes fall along the segment, modulo its repeat length (metres,
    ``0 <= phase < period_m``): the circular mean of the chainage weighted by painted width."""
    ang = 2.0 * np.pi * np.asarray(at, float) / period_m
    w = np.clip(np.asarray(width, float), 0.0, None)
    mean = float(np.arctan2((w * np.sin(ang)).sum(), (w * np.cos(ang)).sum()))
    return (mean * period_m / (2.0 * np.pi)) % period_m


def shift_to_reference_m(
    line_offset_m: float,
    period_m: float,
    phase_m: float,
    reference: tuple[float, float, float] | None,
) -> float:
    """The along-road shift (metres, at most half a period either way) that puts this survey's
    dashes where an earlier survey's ``reference`` (offset, period, phase) has them; 0 when
    there is none or it is another line."""
    if reference is None:
        return 0.0
    ref_off, ref_period, ref_phase = reference
    if abs(ref_off - line_offset_m) >= SAME_LINE_M or abs(ref_period - period_m) >= SAME_PERIOD_M:
        return 0.0
    return (ref_phase - phase_m + period_m / 2.0) % period_m - period_m / 2.0
