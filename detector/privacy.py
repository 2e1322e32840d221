"""Blur people and vehicle number plates in evidence images before they are stored.

    blurrer = PrivacyBlurrer("detector/weights/privacy.onnx")
    safe = blurrer.blur(image_bgr, keep_xyxy=defect_boxes)

The detector is the COCO-trained YOLOv5n (``detector/weights/privacy.onnx``, made by
:mod:`detector.privacy_export`), read with onnxruntime or OpenVINO like the main model. What is
blurred (see docs/privacy.md for why and how well):

- a **person** (COCO 0): the whole box, always, even over a defect box (a person is never the
  evidence, and a person standing on a defect hides it anyway);
- a **vehicle** (car 2, motorcycle 3, bus 5, truck 7): its number-plate zone, the lower
  :data:`PLATE_ZONE_FRAC` of the box across its full width (a plate sits on the bumper, low on
  the front or back, anywhere across the width when seen at an angle); a vehicle box lower than
  :data:`SMALL_VEHICLE_PX` is blurred whole (there the box is too coarse to place the zone).
  Defect boxes (``keep_xyxy``) are cut out of vehicle zones: a skip or pothole under a car's box
  stays visible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.backends import OnnxRuntimeBackend, OpenVINOBackend, decode, letterbox
from roadcam.errors import ModelError

log = logging.getLogger(__name__)

PERSON = 0
VEHICLES = (2, 3, 5, 7)  # car, motorcycle, bus, truck
PRIVATE_CLASSES = (PERSON, *VEHICLES)
PLATE_ZONE_FRAC = 0.45
SMALL_VEHICLE_PX = 40
PAD_FRAC = 0.06  # zones grow by this much of the box on each side (boxes are a little tight)
DEFAULT_IMGSZ = 640
DEFAULT_CONF = 0.2
N_COCO = 80


@dataclass(frozen=True)
class PrivateBoxes:
    """People and vehicles found in one image (pixels of that image)."""

    xyxy: np.ndarray  # (N, 4) float32
    class_id: np.ndarray  # (N,) int64, COCO ids
    confidence: np.ndarray  # (N,) float32

    def __len__(self) -> int:
        return len(self.class_id)


class PrivacyBlurrer:
    """The privacy detector and the blur. Built once per process (loading takes ~0.1 s)."""

    def __init__(
        self,
        weights: str | Path,
        backend: str = "onnxruntime",
        imgsz: int = DEFAULT_IMGSZ,
        conf_threshold: float = DEFAULT_CONF,
        threads: int | None = None,
    ) -> None:
        path = Path(weights)
        if not path.is_file():
            raise ModelError(
                "privacy weights not found (make them with `roadcam privacy export`, or set "
                "ROADCAM_PRIVACY_BLUR=0)",
                path=str(path),
            )
        if backend == "openvino":
            self._net = OpenVINOBackend(path, threads)
        elif backend == "onnxruntime":
            self._net = OnnxRuntimeBackend(path, threads)
        else:
            raise ModelError(f"the privacy detector runs on openvino or onnxruntime, not {backend}")
        self.imgsz, self.conf_threshold = imgsz, conf_threshold

    def detect(self, image_bgr: np.ndarray) -> PrivateBoxes:
        """People and vehicles in a BGR image."""
        blob, lb = letterbox(image_bgr, self.imgsz, rect=True)
        raw = self._net(blob)
        boxes, scores, cls = decode(raw, lb, self.conf_threshold, 0.45, nc=N_COCO)
        sel = np.isin(cls, PRIVATE_CLASSES)
        return PrivateBoxes(boxes[sel], cls[sel], scores[sel])

    def blur(self, image_bgr: np.ndarray, keep_xyxy=()) -> np.ndarray:
        """A copy of the image with people and plate zones blurred; ``keep_xyxy`` (defect boxes)
        stay untouched inside vehicle zones."""
        return blur_zones(
            image_bgr, zones_from_boxes(self.detect(image_bgr), image_bgr.shape), keep_xyxy
        )


@dataclass(frozen=True)
class Zone:
    """One rectangle to blur; ``yields`` is False for people (never cut by defect boxes)."""

    x1: int
    y1: int
    x2: int
    y2: int
    yields: bool


def zones_from_boxes(found: PrivateBoxes, shape: tuple[int, ...]) -> list[Zone]:
    """The rectangles to blur for the people and vehicles found (the one rule, module doc)."""
    h, w = shape[:2]
    zones = []
    for (x1, y1, x2, y2), c in zip(found.xyxy.tolist(), found.class_id.tolist(), strict=True):
        bw, bh = x2 - x1, y2 - y1
        px, py = PAD_FRAC * bw, PAD_FRAC * bh
        top = y1 - py
        if c in VEHICLES and bh >= SMALL_VEHICLE_PX:
            top = y2 - PLATE_ZONE_FRAC * bh
        zone = (max(0, int(x1 - px)), max(0, int(top)), min(w, int(np.ceil(x2 + px))),
                min(h, int(np.ceil(y2 + py))))  # fmt: skip
        if zone[2] > zone[0] and zone[3] > zone[1]:
            zones.append(Zone(*zone, yields=c != PERSON))
    return zones


def blur_zones(image_bgr: np.ndarray, zones: list[Zone], keep_xyxy=()) -> np.ndarray:
    """A copy with each zone blurred beyond reading; pixels of ``keep_xyxy`` boxes that lie in a
    yielding (vehicle) zone are left as they were."""
    import cv2

    out = image_bgr.copy()
    if not zones:
        return out
    h, w = out.shape[:2]
    keep = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in np.asarray(keep_xyxy, np.float32).reshape(-1, 4).tolist():
        keep[max(0, int(y1)) : max(0, int(np.ceil(y2))), max(0, int(x1)) : max(0, int(np.ceil(x2)))] = True  # fmt: skip
    for z in zones:
        patch = out[z.y1 : z.y2, z.x1 : z.x2]
        blurred = _unreadable(patch, cv2)
        if z.yields and keep.any():
            mask = keep[z.y1 : z.y2, z.x1 : z.x2]
            blurred[mask] = patch[mask]
        out[z.y1 : z.y2, z.x1 : z.x2] = blurred
    return out


def _unreadable(patch: np.ndarray, cv2) -> np.ndarray:
    """Pixelate to blocks (an eighth of the shorter side, at least 6 px) then smooth the blocks."""
    ph, pw = patch.shape[:2]
    block = max(6, min(ph, pw) // 8)
    small = cv2.resize(
        patch, (max(1, pw // block), max(1, ph // block)), interpolation=cv2.INTER_AREA
    )
    coarse = cv2.resize(small, (pw, ph), interpolation=cv2.INTER_LINEAR)
    k = block | 1
    return cv2.GaussianBlur(coarse, (k, k), 0)
