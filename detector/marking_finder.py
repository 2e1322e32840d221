"""Finding road markings in a forward view: the paint pieces, markings that touch split apart,
collinear pieces of one worn line joined, each marking's expected paint as a mask; and
:func:`measure_image` (find, then measure with :mod:`detector.markings`). Pure image work
(numpy + OpenCV), see docs/markings.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.markings import (
    FIND_MIN_CONTRAST,
    MarkingWear,
    bright_candidates,
    contrast_map,
    grey_from_bgr,
    measure_masks,
    scale_px,
)

#: A forward dashcam's road starts below this share of the frame's height (sky, buildings above).
ROAD_TOP_SHARE = 0.4


def road_region(shape: tuple[int, ...], top_fraction: float = ROAD_TOP_SHARE) -> np.ndarray:
    """Default road region of a forward view: everything below ``top_fraction`` of the height."""
    region = np.zeros(shape[:2], bool)
    region[int(shape[0] * top_fraction) :, :] = True
    return region


#: Collinear pieces of one line are joined (``find_markings``) when their axes differ by at most
#: this angle, the gap is at most this share of the shorter piece (a dashed line's gaps are longer
#: than its dashes, UK and Brazil), and the gap is road or faint paint: mean headroom contrast at
#: least this (not a shadow or a dark object), mostly white or yellow. Chosen on the train split.
JOIN_MAX_ANGLE_DEG = 10.0
JOIN_MAX_GAP_SHARE = 0.5
JOIN_MIN_GAP_CONTRAST = -0.02
JOIN_MIN_GAP_COLOUR_SHARE = 0.8


@dataclass
class _Piece:
    """One connected piece of paint: its expected paint, its pixels and its line fit."""

    mask: np.ndarray
    pts: np.ndarray  # (n, 2) x, y
    centre: np.ndarray | None = None  # the fit, for elongated pieces only
    axis: np.ndarray | None = None
    span: tuple[float, float] = (0.0, 0.0)  # along the axis, from the centre
    half_width: float = 0.0

    def fit(self) -> _Piece:
        c = self.pts.mean(0)
        axis = _principal_axis(self.pts - c)
        t = (self.pts - c) @ axis
        perp = (self.pts - c) @ np.array([-axis[1], axis[0]])
        self.centre, self.axis, self.span = c, axis, (float(t.min()), float(t.max()))
        self.half_width = float(np.percentile(np.abs(perp), 90)) + 0.5
        return self


#: A piece thicker than this share of the width (twice its largest inscribed radius, after the
#: closing) is not one marking: on the calibration train split no found piece on the paint is
#: thicker than 0.067 W, while sky and tree edges, a building or a car body closed into one
#: sprawl are 0.08-0.34 W. Such a piece is split again from its raw paint pixels without the
#: closing (a thin bridge of edges no longer holds it together), and what is still too thick
#: is dropped.
MAX_THICKNESS_SHARE = 0.07


#: Paint is white when its HSV saturation is under this, yellow when its hue is 15-35 (OpenCV).
WHITE_MAX_SATURATION = 70
#: One piece of paint can be two markings that touch (:func:`_split_piece`). Each part must
#: hold at least ``SPLIT_MIN_SHARE`` of the piece's paint. By colour: its white and its yellow
#: paint, when their closings overlap by at most ``COLOUR_SPLIT_MAX_OVERLAP`` of the smaller
#: (pale paint whose pixels are white and yellow by turns overlaps itself and stays one). By
#: shape: the piece's long straight part (an opening along its axis with a line
#: ``BRANCH_OPENING_CLOSINGS`` expected-paint closings long) and the paint that sticks out of
#: it (chevrons or a hatching stripe touching a line, a give-way line meeting an edge line),
#: when that holds a long part of its own (axis ratio ``BRANCH_MIN_ELONGATION``; the patches
#: of a worn dash are not). Measured on our own data and drawn markings (docs/markings.md).
SPLIT_MIN_SHARE = 0.15
COLOUR_SPLIT_MAX_OVERLAP = 0.3
BRANCH_OPENING_CLOSINGS = 2.0
BRANCH_MIN_ELONGATION = 2.5
#: By ridges (:func:`_split_by_ridges`): a piece whose paint runs as two ridges side by side
#: (double lines that touch towards the horizon) in at least ``RIDGES_MIN_SHARE`` of its
#: length, cut across its axis every ``RIDGES_BIN_SHARE`` of the image width, the ridges at
#: least one joining closing apart, is two markings: each pixel goes to the nearer of the two
#: ridges' straight fits.
RIDGES_MIN_SHARE = 0.3
RIDGES_BIN_SHARE = 0.004


def _paint_pieces(image, region, min_area_frac, min_elongation):
    """The paint candidates' pieces (see :func:`find_markings`), the contrast map and where
    the colour is white or yellow."""
    import cv2

    grey = grey_from_bgr(image)
    cand = bright_candidates(grey) & region
    con = contrast_map(image, exclude=cand)
    white, colour_ok = _paint_colours(image)
    paint = cand & (con > FIND_MIN_CONTRAST) & colour_ok
    k = scale_px(grey.shape, 0.006, 3)
    kernel = np.ones((k, k), np.uint8)
    joined = cv2.morphologyEx(paint.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    shape = _PieceShape(
        min_area=max(12, int(min_area_frac * grey.size)),
        min_elongation=min_elongation,
        big=3 * k + 1 - (3 * k) % 2,
        max_thickness_px=MAX_THICKNESS_SHARE * grey.shape[1],
    )
    pieces = []
    for comp, filled, thick in _components(joined, shape):
        parts = None if thick else _split_piece(comp & paint, white, kernel)
        if parts is None:
            pieces += _unsprawled([(comp, filled, thick)], paint, shape)
        for part in parts or []:
            pieces += _unsprawled(_components(part, shape), paint, shape)
    return [_piece_of(c, f, shape, region) for c, f in pieces], con, colour_ok


def _unsprawled(components, paint: np.ndarray, shape: _PieceShape) -> list:
    """``(component, expected paint)`` of each piece; a sprawl (too thick to be one marking) is
    split again from its raw paint without the closing, and what is still too thick dropped."""
    out = []
    for comp, filled, thick in components:
        if thick:
            out += [(c, f) for c, f, t in _components(comp & paint, shape, conn=4) if not t]
        else:
            out.append((comp, filled))
    return out


def _paint_colours(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a pixel is white (low saturation), and where it is white or yellow paint."""
    import cv2

    if image.ndim != 3:
        ones = np.ones(image.shape[:2], bool)
        return ones, ones
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hue, sat = hsv[..., 0].astype(int), hsv[..., 1].astype(int)
    white = sat < WHITE_MAX_SATURATION
    return white, white | ((hue >= 15) & (hue <= 35))


def _split_piece(raw: np.ndarray, white: np.ndarray, kernel: np.ndarray) -> list | None:
    """The markings one piece's raw paint is made of, when it is more than one: by colour
    (:func:`_split_by_colour`), else by shape (:func:`_split_by_branches`), else by ridges side
    by side (:func:`_split_by_ridges`); None when one."""
    parts = _split_by_colour(raw, white, kernel)
    if parts is None:
        parts = _split_by_branches(raw, kernel)
    if parts is None:
        parts = _split_by_ridges(raw, kernel)
    return parts


def _split_by_colour(
    raw: np.ndarray, white: np.ndarray, kernel: np.ndarray
) -> list[np.ndarray] | None:
    """The white and the yellow part of one piece's raw paint when they are two markings side
    by side (``SPLIT_MIN_SHARE``, ``COLOUR_SPLIT_MAX_OVERLAP``), else None."""
    import cv2

    n = int(raw.sum())
    parts = [raw & ~white, raw & white]
    if min(int(p.sum()) for p in parts) < SPLIT_MIN_SHARE * n:
        return None
    closed = [cv2.morphologyEx(p.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0 for p in parts]
    overlap = int((closed[0] & closed[1]).sum())
    if overlap > COLOUR_SPLIT_MAX_OVERLAP * min(int(c.sum()) for c in closed):
        return None
    return closed


def _split_by_branches(raw: np.ndarray, kernel: np.ndarray) -> list[np.ndarray] | None:
    """The long straight part of a piece along its axis and the paint that sticks out of it
    (``SPLIT_MIN_SHARE``, ``BRANCH_*``), else None."""
    import cv2

    ys, xs = np.nonzero(raw)
    if len(xs) < 3:
        return None
    pts = np.stack([xs, ys], 1).astype(np.float32)
    axis = _principal_axis(pts - pts.mean(0))
    size = int(BRANCH_OPENING_CLOSINGS * 3 * kernel.shape[0]) | 1
    closed = cv2.morphologyEx(raw.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    straight = cv2.morphologyEx(closed, cv2.MORPH_OPEN, _line_kernel(size, axis)) > 0
    rest = (closed > 0) & ~(cv2.dilate(straight.astype(np.uint8), kernel) > 0)
    least = SPLIT_MIN_SHARE * int((closed > 0).sum())
    if min(int(straight.sum()), int(rest.sum())) < least or not _has_branch(rest, least):
        return None
    return [straight, rest]


def _has_branch(rest: np.ndarray, least: float) -> bool:
    """Whether what sticks out holds a marking of its own: a connected part of at least
    ``least`` pixels that is long (the bits a worn line's patches leave are not)."""
    import cv2

    n, lab, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] >= least:
            ys, xs = np.nonzero(lab == i)
            if _elongation(np.stack([xs, ys], 1).astype(np.float32)) >= BRANCH_MIN_ELONGATION:
                return True
    return False


def _split_by_ridges(raw: np.ndarray, kernel: np.ndarray) -> list[np.ndarray] | None:
    """Two lines side by side in one piece (``RIDGES_*``), else None."""
    import cv2

    ys, xs = np.nonzero(raw)
    if len(xs) < 30:
        return None
    pts = np.stack([xs, ys], 1).astype(np.float64)
    centre = pts.mean(0)
    axis = _principal_axis(pts - centre)
    along, across = (pts - centre) @ axis, (pts - centre) @ np.array([-axis[1], axis[0]])
    cut = np.floor(along / max(2.0, RIDGES_BIN_SHARE * raw.shape[1])).astype(int)
    two = _two_ridges(cut, np.round(across).astype(int))
    if len(two) < max(4, RIDGES_MIN_SHARE * len(np.unique(cut))):
        return None
    two = np.asarray(two, float)  # (along, first ridge, second ridge) per cut
    if np.median(two[:, 2] - two[:, 1]) < kernel.shape[0]:
        return None  # too close to be two lines
    at = along / max(2.0, RIDGES_BIN_SHARE * raw.shape[1])
    fits = [np.polyval(np.polyfit(two[:, 0], two[:, i], 1), at) for i in (1, 2)]
    first = np.abs(across - fits[0]) <= np.abs(across - fits[1])
    parts = [np.zeros(raw.shape, np.uint8) for _ in range(2)]
    parts[0][ys[first], xs[first]] = 1
    parts[1][ys[~first], xs[~first]] = 1
    if min(int(first.sum()), int((~first).sum())) < SPLIT_MIN_SHARE * len(xs):
        return None
    return [cv2.morphologyEx(p, cv2.MORPH_CLOSE, kernel) > 0 for p in parts]


def _two_ridges(cut: np.ndarray, across: np.ndarray) -> list[tuple[int, float, float]]:
    """The cuts across a piece where its paint is exactly two runs (2 px or wider) side by
    side: ``(cut, centre of the first, centre of the second)``."""
    out = []
    for c in np.unique(cut):
        v = np.unique(across[cut == c])
        runs = [r for r in np.split(v, np.flatnonzero(np.diff(v) > 1) + 1) if len(r) >= 2]
        if len(runs) == 2:
            out.append((int(c), float(runs[0].mean()), float(runs[1].mean())))
    return out


def _line_kernel(size: int, axis: np.ndarray) -> np.ndarray:
    """A ``size`` x ``size`` kernel holding one line through its centre along ``axis``."""
    import cv2

    k = np.zeros((size, size), np.uint8)
    c = size // 2
    dx, dy = axis / max(float(np.linalg.norm(axis)), 1e-9) * c
    cv2.line(
        k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1
    )
    return k


@dataclass(frozen=True)
class _PieceShape:
    min_area: int
    min_elongation: float
    big: int  # the closing that makes a piece's expected paint
    max_thickness_px: float


def _principal_axis(centred: np.ndarray) -> np.ndarray:
    """The unit direction along which centred points ``(n, 2)`` spread most (PCA)."""
    return np.linalg.eigh(np.cov(centred.T))[1][:, -1]


def _elongation(pts: np.ndarray) -> float:
    ev = np.linalg.eigvalsh(np.cov(pts.T)) if len(pts) > 2 else np.array([1.0, 1.0])
    return float(np.sqrt(max(ev[-1], 1e-6) / max(ev[0], 1e-6)))


def _components(mask: np.ndarray, shape: _PieceShape, conn: int = 8):
    """The connected components of ``mask`` big or long enough to be paint, each with its
    expected paint (closed) and whether that is too thick to be one marking
    (``MAX_THICKNESS_SHARE``)."""
    import cv2

    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=conn)
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < shape.min_area:
            continue
        comp = lab == i
        ys, xs = np.nonzero(comp)
        pts = np.stack([xs, ys], 1).astype(np.float32)
        if _elongation(pts) < shape.min_elongation and area < 20 * shape.min_area:
            continue
        filled = _filled(comp, shape.big)
        inscribed = float(cv2.distanceTransform(filled.astype(np.uint8), cv2.DIST_L2, 3).max())
        yield comp, filled, 2 * inscribed > shape.max_thickness_px


def _filled(comp: np.ndarray, big: int) -> np.ndarray:
    import cv2

    kernel = np.ones((big, big), np.uint8)
    return cv2.morphologyEx(comp.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool)


def _piece_of(comp: np.ndarray, filled: np.ndarray, shape: _PieceShape, region) -> _Piece:
    ys, xs = np.nonzero(comp)
    pts = np.stack([xs, ys], 1).astype(np.float32)
    piece = _Piece(filled & region, pts)
    return piece.fit() if _elongation(pts) >= shape.min_elongation else piece


def _bridge(a: _Piece, b: _Piece, con: np.ndarray, colour_ok: np.ndarray) -> np.ndarray | None:
    """The gap between the longer piece ``a`` and ``b`` when they are one line (collinear, a
    short gap of road or faint paint; see ``JOIN_*``), else None."""
    import cv2

    if abs(float(a.axis @ b.axis)) < np.cos(np.radians(JOIN_MAX_ANGLE_DEG)):
        return None
    normal = np.array([-a.axis[1], a.axis[0]])
    if abs(float(np.median((b.pts - a.centre) @ normal))) > 1.5 * (a.half_width + b.half_width) + 1:
        return None
    tb = (b.pts - a.centre) @ a.axis
    gap = max(tb.min() - a.span[1], a.span[0] - tb.max())
    if gap <= 0 or gap > JOIN_MAX_GAP_SHARE * (b.span[1] - b.span[0]):
        return None
    ta = (a.pts - a.centre) @ a.axis
    if tb.min() > a.span[1]:  # b lies beyond a's far end: the hull of the facing ends
        ends = (a.pts[ta >= a.span[1] - 2 * a.half_width], b.pts[tb <= tb.min() + 2 * b.half_width])
    else:
        ends = (a.pts[ta <= a.span[0] + 2 * a.half_width], b.pts[tb >= tb.max() - 2 * b.half_width])
    hull = cv2.convexHull(np.concatenate(ends).astype(np.int32))
    gap_mask = np.zeros(con.shape, np.uint8)
    cv2.fillConvexPoly(gap_mask, hull, 1)
    gap_mask = gap_mask.astype(bool) & ~a.mask & ~b.mask
    if gap_mask.any() and (
        float(con[gap_mask].mean()) < JOIN_MIN_GAP_CONTRAST
        or float(colour_ok[gap_mask].mean()) < JOIN_MIN_GAP_COLOUR_SHARE
    ):
        return None
    return gap_mask


def _join_collinear(pieces: list[_Piece], con, colour_ok) -> list[np.ndarray]:
    """One expected-paint mask per line: collinear pieces and the gaps between them."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    gaps: list[tuple[int, int, np.ndarray]] = []
    fitted = [i for i, p in enumerate(pieces) if p.axis is not None]
    for i in fitted:
        for j in fitted:
            a, b = pieces[i], pieces[j]
            len_a, len_b = a.span[1] - a.span[0], b.span[1] - b.span[0]
            if j == i or len_a < len_b or (len_a == len_b and i > j):
                continue  # each pair once, from its longer piece
            gap = _bridge(a, b, con, colour_ok)
            if gap is not None:
                gaps.append((i, j, gap))
                parent[root(j)] = root(i)
    groups: dict[int, np.ndarray] = {}
    for i, p in enumerate(pieces):
        r = root(i)
        groups[r] = groups[r] | p.mask if r in groups else p.mask.copy()
    for i, _j, gap in gaps:
        groups[root(i)] |= gap
    return list(groups.values())


def find_markings(
    image: np.ndarray,
    region: np.ndarray | None = None,
    min_area_frac: float = 4e-5,
    min_elongation: float = 2.5,
) -> list[np.ndarray]:
    """Expected-paint masks of the markings found in ``region`` (default: the lower 60%).

    Candidates are pixels brighter than the local median (:func:`bright_candidates`) with a
    headroom contrast of at least ``FIND_MIN_CONTRAST`` and low colour saturation (white
    or yellow-ish, not blue signs); specks are joined by a closing, connected components
    kept when long (PCA axis ratio) or large; each piece's expected paint is its component
    closed with a kernel three times larger (it follows curves, and fills worn patches inside a
    line, so they count as missing paint; chosen over the convex hull on the calibration train
    split, end-to-end pooled Spearman 0.73 vs 0.59). A piece that is two markings touching is
    split, by colour or by shape (:func:`_split_piece`). Collinear pieces of one line with a short
    gap of road or faint paint between them are one marking, the gap counting as missing paint
    (``JOIN_*``; patchy wear breaks a line into pieces).
    """
    region = road_region(image.shape) if region is None else region.astype(bool)
    pieces, con, colour_ok = _paint_pieces(image, region, min_area_frac, min_elongation)
    return [m & region for m in _join_collinear(pieces, con, colour_ok)]


def measure_image(
    image: np.ndarray, masks: list[np.ndarray] | None = None, region: np.ndarray | None = None
) -> list[MarkingWear]:
    """Each marking of one image with its wear: the given ``masks``, else the markings found."""
    if masks is not None:
        return measure_masks(image, masks, source="given")
    return measure_masks(image, find_markings(image, region), source="found")
