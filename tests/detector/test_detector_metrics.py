"""Evaluation metrics on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from detector.evaluate import (
    ImageResult,
    average_precision,
    box_iou,
    class_metrics,
    read_yolo_label,
)


def _r(gt, gc, pred, pc, conf):
    f = lambda a: np.asarray(a, np.float32).reshape(-1, 4)  # noqa: E731
    return ImageResult(
        f(gt),
        np.asarray(gc, np.int64),
        f(pred),
        np.asarray(conf, np.float32),
        np.asarray(pc, np.int64),
    )


def test_box_iou():
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    assert box_iou(a, b)[0].tolist() == pytest.approx([1.0, 1 / 3, 0.0])


def test_class_metrics_counts_tp_fp_fn():
    # image 1: one GT hit (0.9), one duplicate (0.8 -> FP), image 2: GT missed, a low-confidence FP (0.1)
    res = [
        _r([[0, 0, 10, 10]], [0], [[0, 0, 10, 10], [1, 1, 10, 10]], [0, 0], [0.9, 0.8]),
        _r([[50, 50, 60, 60]], [0], [[0, 0, 5, 5]], [0], [0.1]),
    ]
    m = class_metrics(res, 0, conf_threshold=0.5)
    assert (m["instances"], m["tp"], m["fp"]) == (2, 1, 1)
    assert (m["precision"], m["recall"], m["f1"]) == (0.5, 0.5, 0.5)
    # AP: precision 1 at the 51 recall points 0.00..0.50, 0 beyond the highest recall reached
    assert m["mAP50"] == pytest.approx(51 / 101, abs=1e-4)


def test_average_precision_perfect_and_empty():
    assert average_precision(np.array([0.9, 0.8]), np.array([True, True]), 2) == pytest.approx(1.0)
    assert average_precision(np.array([]), np.array([], bool), 3) == 0.0
    assert np.isnan(average_precision(np.array([0.5]), np.array([False]), 0))


def test_read_yolo_label(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("0 0.5 0.5 0.2 0.4\n")
    xyxy, cls = read_yolo_label(p, 100, 50)
    assert xyxy.tolist() == [[40.0, 15.0, 60.0, 35.0]] and cls.tolist() == [0]
    assert read_yolo_label(tmp_path / "missing.txt", 10, 10)[0].shape == (0, 4)
