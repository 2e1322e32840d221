"""Capture quality of a frame: brightness, blur, glare and GPS precision.

Measured on a grey copy downscaled to :data:`QUALITY_WIDTH` pixels wide
(INTER_AREA), so the numbers do not depend on the camera's resolution and
cost well under a millisecond for a 720p frame:

* ``brightness``: mean luma (0–255). Night footage sits below ~40.
* ``blur``: variance of the Laplacian. A sharp road scene at 320 px gives
  hundreds; a smeared or rain-covered lens, or motion blur, gives tens.
* ``glare``: fraction of pixels at luma ≥ 250 (low sun, headlights, wet road).
* GPS precision: HDOP (or DOP) and fix quality of the fix at that time.

A frame under any threshold is still returned and stored, but marked
``usable=False`` with its reasons, and is not used for detection or repair checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo.types import FrameQuality

QUALITY_WIDTH = 320


@dataclass(frozen=True)
class QualityThresholds:
    """Limits below (or above) which a frame is marked unusable."""

    min_brightness: float = 40.0
    min_blur: float = 30.0
    max_glare: float = 0.15
    max_hdop: float = 5.0
    min_fix_quality: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.min_brightness <= 255:
            raise ValueError("min_brightness must be within 0..255")
        if self.min_blur < 0:
            raise ValueError("min_blur must be >= 0")
        if not 0 <= self.max_glare <= 1:
            raise ValueError("max_glare must be within 0..1")
        if self.max_hdop <= 0:
            raise ValueError("max_hdop must be > 0")


def _grey_small(image_bgr: np.ndarray) -> np.ndarray:
    import cv2

    if image_bgr.ndim == 3:
        grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    else:
        grey = image_bgr
    h, w = grey.shape[:2]
    if w > QUALITY_WIDTH:
        grey = cv2.resize(
            grey,
            (QUALITY_WIDTH, max(1, round(h * QUALITY_WIDTH / w))),
            interpolation=cv2.INTER_AREA,
        )
    return grey


def measure_quality(
    image_bgr: np.ndarray,
    hdop: float = math.nan,
    fix_quality: int = 1,
    thresholds: QualityThresholds | None = None,
) -> FrameQuality:
    """Measure one BGR frame and judge it against ``thresholds``.

    An unknown HDOP (NaN) passes; a fix quality below ``min_fix_quality`` or an
    HDOP above ``max_hdop`` gives the reason ``"gps"``.
    """
    import cv2

    th = thresholds or QualityThresholds()
    if image_bgr.size == 0:
        raise ValueError("empty image")
    grey = _grey_small(image_bgr)
    brightness = float(grey.mean())
    blur = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    glare = float(np.count_nonzero(grey >= 250)) / grey.size
    reasons = []
    if brightness < th.min_brightness:
        reasons.append("dark")
    if blur < th.min_blur:
        reasons.append("blurred")
    if glare > th.max_glare:
        reasons.append("glare")
    if fix_quality < th.min_fix_quality or (not math.isnan(hdop) and hdop > th.max_hdop):
        reasons.append("gps")
    return FrameQuality(
        brightness=round(brightness, 3), blur=round(blur, 3), glare=round(glare, 5),
        hdop=float(hdop), fix_quality=int(fix_quality), usable=not reasons, reasons=tuple(reasons),
    )  # fmt: skip
