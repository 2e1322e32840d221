"""Road-marking wear measured in pixels: find the paint, then measure how much of it is left.

Pure image work (numpy + OpenCV); no geography, no model. The same per-pixel measure
serves one photograph (``roadcam markings wear``), the calibration and holdout bench
(``bench/markings.py``) and the pipeline's bird's-eye views (``geo/placement/markings.py``).

The measure (see docs/markings.md):

* ``L`` is the grey level; the *surface* ``S`` beside the paint is a normalised convolution of
  ``L`` that leaves out paint and bright candidates (so shadow and exposure changes across the
  frame are followed locally);
* the *headroom contrast* of a pixel is ``r = (L - S) / (white - S)``: how far the pixel rises
  above the road towards white. Fresh white paint is close to the brightest thing a camera
  exposes for, whatever the surface; paint blended towards the road falls linearly to 0;
* ``white`` is the frame's bright point outside the measured paint (other paint included)
  blended with a multiple of the road's median grey (:func:`white_point`; both scale with the
  exposure); the bird's-eye views use the bright point alone (``BIRDS_EYE_*``);
* the wear of a marking is ``1 - mean(clip(r / FRESH_CONTRAST, 0, 1))`` over its *expected*
  paint (the given mask, or the outline of the paint found): 0 = as new, 1 = gone. Its two
  parts are reported too: the share of expected pixels still painted (``r`` above half the
  fresh contrast) and the median contrast of those pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Headroom contrast of fresh paint. Chosen with the white point below on the Brazilian
#: calibration *train* split, 240 images (``bench/markings.py --split train --choose --limit
#: 240``), among the settings under which the drawn-line tests hold (docs/markings.md).
FRESH_CONTRAST = 1.1
#: A pixel counts as painted when its contrast is at least this share of fresh paint.
PRESENT_SHARE_OF_FRESH = 0.5
#: A candidate pixel of :func:`find_markings` rises at least this share of the headroom
#: (the session-5 finder's ``0.2 * 1.2``, kept when fresh paint became 1.1).
FIND_MIN_CONTRAST = 0.24
#: The frame's bright point: this percentile of its grey levels outside the measured paint
#: (the paint's outline grown by ``PAINT_MARGIN`` of the width, so fading it does not move the
#: white point). Other bright things stay in: kerbs, sky, and the frame's *other* paint,
#: which in a frame that is only road and paint is the one white reference there is.
WHITE_PERCENTILE = 99.5
PAINT_MARGIN = 0.01
#: The white point is ``WHITE_SHARE_OF_BRIGHT`` of the bright point plus the rest of
#: ``ROAD_TO_WHITE`` times the road's median grey (outside the same paint). The bright point
#: alone swings with what else is in view (a sky at 244, or only road); the road's median
#: steadies it, and both scale with the exposure, so a gain leaves the contrast unchanged.
WHITE_SHARE_OF_BRIGHT = 0.7
ROAD_TO_WHITE = 1.6
#: Bird's-eye views (``slice_profile``) keep the session-4 scale: white point = the 99.5th
#: percentile outside the paint *and every bright candidate*, alone; fresh paint 1.3. Their wear
#: is relative to each line's own well-kept width, so the absolute scale matters less there,
#: and their settings were chosen on the sample drives.
BIRDS_EYE_FRESH_CONTRAST = 1.3
BIRDS_EYE_SHARE_OF_BRIGHT = 1.0
#: Bird's-eye views: road darker than this share of the vehicle's lane is hidden (deep shadow,
#: a dark vehicle) and not measured (``slice_profile``). Sample shadows darken by 0.55, a black
#: car is 0.33 of the asphalt; the asphalt's own mottle stays above 0.79.
DARK_SHARE = 0.7


@dataclass(frozen=True)
class MarkingWear:
    """One marking's measured wear (pixels of the image it was measured in)."""

    marking_id: int
    wear: float  # 0 = as new, 1 = gone
    present_share: float  # share of expected paint pixels still painted
    contrast: float  # median headroom contrast of the painted pixels / fresh paint
    area_px: int  # expected paint pixels
    outline_px: list[list[int]] = field(default_factory=list)  # polygon [[x, y], ...]
    source: str = "found"  # "found" (paint finding) or "given" (a mask)

    def to_dict(self) -> dict:
        return {
            "marking_id": self.marking_id,
            "wear": round(self.wear, 4),
            "present_share": round(self.present_share, 4),
            "contrast": round(self.contrast, 4),
            "area_px": self.area_px,
            "outline_px": self.outline_px,
            "source": self.source,
        }


def grey_from_bgr(image: np.ndarray) -> np.ndarray:
    """Grey level (float32, 0-255) of a BGR or grey image."""
    import cv2

    if image.ndim == 2:
        return image.astype(np.float32)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def scale_px(shape: tuple[int, ...], fraction: float, minimum: int = 3) -> int:
    """An odd kernel size as a fraction of the image width."""
    k = max(minimum, int(round(shape[1] * fraction)))
    return k + 1 - k % 2


def bright_candidates(grey: np.ndarray, min_rise: float = 12.0) -> np.ndarray:
    """Pixels clearly brighter than the local median (white top-hat-like), boolean."""
    import cv2

    k = scale_px(grey.shape, 0.06, 15)
    med = cv2.medianBlur(np.clip(grey, 0, 255).astype(np.uint8), min(k, 255)).astype(np.float32)
    return (grey - med) > min_rise


def surface_from_grey(
    grey: np.ndarray,
    exclude: np.ndarray | None = None,
    sigma_px: float | None = None,
    wanted: np.ndarray | None = None,
) -> np.ndarray:
    """The local road surface: a Gaussian normalised convolution of ``grey`` without ``exclude``.

    Where almost all of a pixel's neighbourhood is excluded (``den <= 0.05``) the surface is a
    four times wider blur of ``grey``. That blur costs three times the other two together, so
    it is made only when a pixel that needs it is ``wanted`` (default: every pixel); a pixel
    outside ``wanted`` that would need it gets its own grey level instead (contrast 0).
    """
    import cv2

    sigma = sigma_px or max(4.0, grey.shape[1] / 80.0)
    keep = np.ones(grey.shape, np.float32)
    if exclude is not None:
        grow = scale_px(grey.shape, 0.006, 3)
        ex = cv2.dilate(exclude.astype(np.uint8), np.ones((grow, grow), np.uint8)) > 0
        keep[ex] = 0.0
    num = cv2.GaussianBlur(grey * keep, (0, 0), sigma)
    den = cv2.GaussianBlur(keep, (0, 0), sigma)
    sparse = den <= 0.05
    if wanted is None or (sparse & wanted).any():
        fallback = cv2.GaussianBlur(grey, (0, 0), sigma * 4)
    else:
        fallback = grey
    with np.errstate(divide="ignore", invalid="ignore"):
        surf = np.where(sparse, fallback, num / np.maximum(den, 1e-6))
    return surf.astype(np.float32)


def contrast_map(
    image: np.ndarray,
    exclude: np.ndarray | None = None,
    white: float | None = None,
    sigma_px: float | None = None,
) -> np.ndarray:
    """Headroom contrast ``(L - S) / (white - S)`` per pixel (float32; ~0 on bare road)."""
    return contrast_and_surface(image, exclude, white, sigma_px)[0]


def contrast_and_surface(
    image: np.ndarray,
    exclude: np.ndarray | None = None,
    white: float | None = None,
    sigma_px: float | None = None,
    bright_share: float = WHITE_SHARE_OF_BRIGHT,
    wanted: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The headroom contrast (see :func:`contrast_map`) and the local surface ``S`` under it;
    ``wanted``: the pixels whose values are used (:func:`surface_from_grey`), default all.
    ``bright_share`` 1 (the bird's-eye views): the white point is the bright point alone,
    outside the paint and every bright candidate (the session-4 scale)."""
    grey = grey_from_bgr(image)
    cand = bright_candidates(grey)
    ex = cand if exclude is None else (cand | exclude.astype(bool))
    surf = surface_from_grey(grey, ex, sigma_px, wanted)
    if white is not None:
        w = float(white)
    elif bright_share >= 1.0:
        w = white_point(grey, ex, bright_share)
    else:
        w = white_point(grey, cand if exclude is None else exclude.astype(bool), bright_share)
    head = np.maximum(w - surf, 8.0)
    return ((grey - surf) / head).astype(np.float32), surf


def white_point(
    grey: np.ndarray, exclude: np.ndarray, bright_share: float = WHITE_SHARE_OF_BRIGHT
) -> float:
    """The white point of a frame from its grey levels outside the paint ``exclude``, so that
    fading the paint does not move it: bright point and road level blended. ``bright_share``
    1 (the bird's-eye views): the 99.5th percentile outside ``exclude`` as it is."""
    if bright_share >= 1.0:  # the bird's-eye views: the bright point alone (one percentile)
        rest = grey[~exclude] if (~exclude).any() else grey
        return float(np.percentile(rest, WHITE_PERCENTILE))
    import cv2

    grow = scale_px(grey.shape, PAINT_MARGIN, 3)
    paint = cv2.dilate(exclude.astype(np.uint8), np.ones((grow, grow), np.uint8)) > 0
    rest = grey[~paint] if (~paint).any() else grey
    bright, road = np.percentile(rest, [WHITE_PERCENTILE, 50.0])
    return float(bright_share * bright + (1.0 - bright_share) * ROAD_TO_WHITE * road)


def wear_from_contrast(contrast: np.ndarray, expected: np.ndarray) -> tuple[float, float, float]:
    """``(wear, present_share, contrast)`` of the expected paint pixels (see module docstring)."""
    r = contrast[expected.astype(bool)]
    if r.size == 0:
        return 1.0, 0.0, 0.0
    rel = r / FRESH_CONTRAST
    wear = 1.0 - float(np.mean(np.clip(rel, 0.0, 1.0)))
    painted = rel >= PRESENT_SHARE_OF_FRESH
    share = float(painted.mean())
    con = float(np.median(rel[painted])) if painted.any() else 0.0
    return wear, share, con


def outline_of(mask: np.ndarray, max_points: int = 64) -> list[list[int]]:
    """The outer polygon of a mask (largest contour, simplified), ``[[x, y], ...]``."""
    import cv2

    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return []
    c = max(contours, key=cv2.contourArea)
    eps = 0.5
    while len(c) > max_points:
        c = cv2.approxPolyDP(c, eps, True)
        eps *= 1.5
    return [[int(p[0][0]), int(p[0][1])] for p in c]


def overlay_of_wear(image: np.ndarray, wears: list[MarkingWear]) -> np.ndarray:
    """The image with each marking's outline drawn in its wear's colour (green as new, amber,
    red gone) and its wear written beside it, for checking the measure by eye."""
    import cv2

    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = max(0.35, out.shape[1] / 1600.0)
    for m in wears:
        if len(m.outline_px) < 2:
            continue
        poly = np.asarray(m.outline_px, np.int32).reshape(-1, 1, 2)
        colour = (0, int(round(255 * (1.0 - m.wear))), int(round(255 * min(1.0, 2.0 * m.wear))))
        cv2.polylines(out, [poly], True, colour, max(1, int(round(2 * scale))), cv2.LINE_AA)
        x, y = poly[:, 0, 0].min(), poly[:, 0, 1].min()
        at = (int(x), int(max(y - 3, 10)))
        cv2.putText(out, f"{m.wear:.2f}", at, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1)
    return out


def masks_from_label_image(label: np.ndarray) -> list[np.ndarray]:
    """One boolean mask per colour (or grey value) of a label image; 0 / black is background."""
    if label.ndim == 3:
        flat = label.reshape(-1, label.shape[2]).astype(np.int64)
        key = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
        key = key.reshape(label.shape[:2])
    else:
        key = label.astype(np.int64)
    return [key == v for v in np.unique(key) if v != 0]


def measure_masks(
    image: np.ndarray, masks: list[np.ndarray], source: str = "given"
) -> list[MarkingWear]:
    """Wear of each given marking mask (same size as the image)."""
    if not masks:
        return []
    union = np.zeros(image.shape[:2], bool)
    for m in masks:
        union |= m
    con = contrast_map(image, exclude=union)
    out = []
    for i, m in enumerate(masks):
        wear, share, c = wear_from_contrast(con, m)
        out.append(MarkingWear(i, wear, share, c, int(m.sum()), outline_of(m), source=source))
    return out


def read_image(path: str | Path) -> np.ndarray:
    """An image as BGR; a :class:`roadcam.errors.CorruptInputError` when unreadable."""
    import cv2

    from roadcam.errors import CorruptInputError, InputNotFoundError

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError("no such image", path=str(p))
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise CorruptInputError("not a readable image", path=str(p))
    return img


def read_label_masks(path: str | Path, shape: tuple[int, ...]) -> list[np.ndarray]:
    """The marking masks of a label PNG (one colour per marking, 0 = background)."""
    import cv2

    from roadcam.errors import CorruptInputError

    lab = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if lab is None:
        raise CorruptInputError("not a readable mask image", path=str(path))
    if lab.ndim == 3 and lab.shape[2] == 4:
        lab = lab[..., :3]
    if lab.shape[:2] != tuple(shape[:2]):
        raise CorruptInputError(
            f"mask is {lab.shape[1]}x{lab.shape[0]}, image is {shape[1]}x{shape[0]}", path=str(path)
        )
    return masks_from_label_image(lab)


#: Detector classes no longer turned into defects: ``faded_marking`` made no detection on 100
#: real images (issue 15); marking wear is measured instead (docs/markings.md, docs/model.md).
RETIRED_CLASSES: tuple[str, ...] = ("faded_marking",)


def slice_profile(
    view: np.ndarray,
    rows_per_slice: int,
    valid: np.ndarray | None = None,
    sigma_px: float = 15.0,
    light_cols: slice | None = None,
) -> np.ndarray:
    """Paint per (slice of rows, column) of a bird's-eye view: mean of ``clip(r / fresh, 0, 1)``.

    ``view`` is a top-down image (rows along the road, columns across); ``valid`` marks the
    pixels the camera saw. ``light_cols``: the columns of the vehicle's own lane (bare road
    in nearly every frame); where the road surface is darker than ``DARK_SHARE`` of the light
    there (its 75th percentile), a deep shadow or a dark object hides the road, and the pixel
    counts as not seen (paint in shadow keeps only part of its contrast; a car over a line
    is not a worn line). Returns float32 ``(rows // rows_per_slice, columns)``; NaN where a
    slice saw nothing.
    """
    valid = np.ones(view.shape[:2], bool) if valid is None else valid.astype(bool)
    con, surf = contrast_and_surface(
        view,
        exclude=~valid,
        sigma_px=sigma_px,
        bright_share=BIRDS_EYE_SHARE_OF_BRIGHT,
        wanted=valid,
    )
    seen = valid.copy()
    if light_cols is not None and valid[:, light_cols].any():
        light = float(np.percentile(surf[:, light_cols][valid[:, light_cols]], 75))
        seen &= surf >= DARK_SHARE * light
    rel = np.where(seen, np.clip(con / BIRDS_EYE_FRESH_CONTRAST, 0.0, 1.0), np.nan)
    n = rel.shape[0] // rows_per_slice
    rel = rel[: n * rows_per_slice].reshape(n, rows_per_slice, rel.shape[1])
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(rel, axis=1).astype(np.float32)
