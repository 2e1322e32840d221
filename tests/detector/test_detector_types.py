"""Validation of the Detections dataclass and the ROI filter."""

from __future__ import annotations

import numpy as np
import pytest

from detector.model import Roi
from detector.types import CLASS_NAMES, Detections


def _det(xyxy, conf, cls, w=100, h=80):
    return Detections(
        np.asarray(xyxy, np.float32),
        np.asarray(conf, np.float32),
        np.asarray(cls),
        CLASS_NAMES,
        w,
        h,
    )


def test_valid_detections_and_helpers():
    d = _det([[0, 0, 10, 10], [50, 40, 100, 80]], [0.9, 0.3], [0, 3])
    assert len(d) == 2
    assert d.names == ["pothole", "skip"]
    assert d.xyxy.dtype == np.float32 and d.class_id.dtype == np.int64
    assert d.to_records() == [
        {"class": "pothole", "class_id": 0, "confidence": 0.9, "xyxy": [0.0, 0.0, 10.0, 10.0]},
        {"class": "skip", "class_id": 3, "confidence": 0.3, "xyxy": [50.0, 40.0, 100.0, 80.0]},
    ]
    f = d.filter(d.confidence > 0.5)
    assert len(f) == 1 and f.names == ["pothole"] and f.image_width == 100
    assert len(Detections.empty(640, 480)) == 0
    with pytest.raises(ValueError):
        d.xyxy[0, 0] = 5  # read-only arrays: frozen means frozen


@pytest.mark.parametrize(
    "xyxy, conf, cls, match",
    [
        ([[0, 0, 10, 10]], [0.5, 0.6], [0], "shapes differ"),
        ([[0, 0, 10]], [0.5], [0], r"shape \(N, 4\)"),
        ([[0, 0, 10, 10]], [1.5], [0], "confidence"),
        ([[0, 0, 10, 10]], [-0.1], [0], "confidence"),
        ([[10, 0, 5, 10]], [0.5], [0], "x1 <= x2"),
        ([[0, 20, 10, 10]], [0.5], [0], "x1 <= x2"),
        ([[0, 0, 101, 10]], [0.5], [0], "inside"),
        ([[-3, 0, 10, 10]], [0.5], [0], "inside"),
        ([[0, 0, 10, 10]], [0.5], [4], "class_id"),
        ([[0, 0, 10, 10]], [0.5], [-1], "class_id"),
        ([[0, 0, 10, 10]], [0.5], [0.5], "whole numbers"),
        ([[0, 0, np.nan, 10]], [0.5], [0], "finite"),
    ],
)
def test_invalid_detections_rejected(xyxy, conf, cls, match):
    with pytest.raises(ValueError, match=match):
        _det(xyxy, conf, cls)


def test_bad_image_size_rejected():
    with pytest.raises(ValueError, match="image size"):
        _det([[0, 0, 1, 1]], [0.5], [0], w=0)


def test_roi_horizon_and_polygon():
    d = _det([[0, 0, 10, 20], [20, 30, 40, 60], [80, 50, 100, 79]], [0.9, 0.8, 0.7], [0, 1, 0])
    assert Roi(horizon_frac=0.5).keep_mask(d).tolist() == [
        False,
        True,
        True,
    ]  # bottom 20 < 40 is sky
    trapezoid = (
        (0.3, 0.4),
        (0.7, 0.4),
        (0.7, 1.0),
        (0.2, 1.0),
    )  # bottom-centre (90, 79) is off the road
    assert Roi(polygon=trapezoid).keep_mask(d).tolist() == [False, True, False]
    assert Roi(min_box_px=21).keep_mask(d).tolist() == [False, False, False]
    with pytest.raises(ValueError):
        Roi(horizon_frac=1.2)
