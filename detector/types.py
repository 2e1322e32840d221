"""The light, torch-free result type of the detector stage.

:class:`Detections` is the boundary between ``detector`` and ``geo``: plain
numpy arrays in pixel coordinates of the original image, validated on creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Fixed class ids shared by every dataset, model and table in the project.
CLASS_NAMES: tuple[str, ...] = ("pothole", "crack", "faded_marking", "skip")

_EPS = 1e-3  # tolerance (pixels) for boxes touching the image border


@dataclass(frozen=True, eq=False)
class Detections:
    """Boxes found in one image.

    Attributes:
        xyxy: float32 array (N, 4) of ``x1, y1, x2, y2`` in pixels.
        confidence: float32 array (N,) in [0, 1].
        class_id: int array (N,), indices into ``class_names``.
        class_names: names of every class the model knows.
        image_width: width of the image, pixels.
        image_height: height of the image, pixels.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    class_names: tuple[str, ...] = field(default=CLASS_NAMES)
    image_width: int = 0
    image_height: int = 0

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32)
        if xyxy.size == 0:
            xyxy = xyxy.reshape(0, 4)
        conf = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        cls = np.asarray(self.class_id)
        if cls.size == 0:
            cls = cls.astype(np.int64).reshape(0)
        if cls.dtype.kind == "f":
            if not np.all(np.equal(np.mod(cls, 1), 0)):
                raise ValueError("class_id must hold whole numbers")
        elif cls.dtype.kind not in "iu":
            raise ValueError(f"class_id must be integers, got {cls.dtype}")
        cls = cls.astype(np.int64).reshape(-1)
        names = tuple(str(n) for n in self.class_names)
        if not names:
            raise ValueError("class_names must not be empty")
        w, h = int(self.image_width), int(self.image_height)
        if w <= 0 or h <= 0:
            raise ValueError(f"image size must be positive, got {w}x{h}")
        if xyxy.ndim != 2 or xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must have shape (N, 4), got {xyxy.shape}")
        n = xyxy.shape[0]
        if conf.shape != (n,) or cls.shape != (n,):
            raise ValueError(
                f"shapes differ: xyxy {xyxy.shape}, confidence {conf.shape}, class_id {cls.shape}"
            )
        if n:
            if not np.all(np.isfinite(xyxy)) or not np.all(np.isfinite(conf)):
                raise ValueError("boxes and confidences must be finite")
            if conf.min() < 0 or conf.max() > 1:
                raise ValueError("confidence must be within [0, 1]")
            if cls.min() < 0 or cls.max() >= len(names):
                raise ValueError(f"class_id must be within [0, {len(names) - 1}]")
            x1, y1, x2, y2 = xyxy.T
            if np.any(x1 > x2) or np.any(y1 > y2):
                raise ValueError("boxes must have x1 <= x2 and y1 <= y2")
            if x1.min() < -_EPS or y1.min() < -_EPS or x2.max() > w + _EPS or y2.max() > h + _EPS:
                raise ValueError(f"boxes must lie inside the {w}x{h} image")
        for name, arr in (("xyxy", xyxy), ("confidence", conf), ("class_id", cls)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "image_width", w)
        object.__setattr__(self, "image_height", h)

    @classmethod
    def empty(
        cls, image_width: int, image_height: int, class_names: tuple[str, ...] = CLASS_NAMES
    ) -> Detections:
        """No detections in an image of the given size."""
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
            class_names,
            image_width,
            image_height,
        )

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    @property
    def names(self) -> list[str]:
        """The class name of each detection."""
        return [self.class_names[i] for i in self.class_id.tolist()]

    def filter(self, mask: np.ndarray) -> Detections:
        """The detections where the boolean ``mask`` (N,) is true (or at integer indices)."""
        mask = np.asarray(mask)
        if mask.dtype == bool and mask.shape != (len(self),):
            raise ValueError(f"mask must have shape ({len(self)},), got {mask.shape}")
        return Detections(
            self.xyxy[mask],
            self.confidence[mask],
            self.class_id[mask],
            self.class_names,
            self.image_width,
            self.image_height,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-able dicts: ``{"class", "class_id", "confidence", "xyxy"}`` per detection."""
        return [
            {
                "class": self.class_names[c],
                "class_id": int(c),
                "confidence": round(float(s), 4),
                "xyxy": [round(float(v), 1) for v in box],
            }
            for box, s, c in zip(self.xyxy, self.confidence, self.class_id, strict=True)
        ]
