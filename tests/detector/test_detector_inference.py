"""Torch-free inference pieces: letterbox, decode + NMS, errors; and the committed weights on a known image."""

from __future__ import annotations

import numpy as np
import pytest

from detector.backends import Letterbox, decode, letterbox, nms_xyxy
from detector.model import Detector
from roadcam.errors import ModelError


def test_letterbox_square_and_rect():
    img = np.zeros((720, 1280, 3), np.uint8)
    blob, lb = letterbox(img, 320)
    assert blob.shape == (1, 3, 320, 320) and blob.dtype == np.float32
    assert (lb.scale, lb.pad_x, lb.pad_y) == (0.25, 0, 70)
    blob, lb = letterbox(img, 320, rect=True)
    assert blob.shape == (1, 3, 192, 320)  # 180 rows padded to the next multiple of 32
    assert (lb.pad_x, lb.pad_y) == (0, 6)
    assert blob[0, :, 0, 0].tolist() == pytest.approx([114 / 255] * 3)  # grey padding


def test_decode_maps_boxes_back_and_suppresses_overlaps():
    lb = Letterbox(scale=0.25, pad_x=0, pad_y=6, width=1280, height=720)
    raw = np.zeros((1, 8, 4), np.float32)  # (1, 4 + nc, N) as YOLOv8-style exports give it
    raw[0, :4, 0] = [100, 56, 40, 20]  # xc, yc, w, h in network pixels; pothole 0.9
    raw[0, 4, 0] = 0.9
    raw[0, :4, 1] = [101, 57, 40, 20]  # near-duplicate pothole 0.6: removed by NMS
    raw[0, 4, 1] = 0.6
    raw[0, :4, 2] = [101, 57, 40, 20]  # same place but crack 0.5: other class, kept
    raw[0, 5, 2] = 0.5
    raw[0, :4, 3] = [300, 100, 10, 10]  # skip 0.1: under the threshold
    raw[0, 7, 3] = 0.1
    boxes, scores, cls = decode(raw, lb, conf=0.25, iou=0.5)
    assert cls.tolist() == [0, 1]
    assert scores.tolist() == pytest.approx([0.9, 0.5])
    assert boxes[0].tolist() == pytest.approx([320, 160, 480, 240])  # (80-0)/0.25 ... (66-6)/0.25


def test_nms_keeps_highest_first():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    assert nms_xyxy(boxes, np.array([0.5, 0.9, 0.7], np.float32), 0.5).tolist() == [1, 2]


def test_missing_weights_and_bad_backend_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Detector(tmp_path / "nope.onnx")
    with pytest.raises(ModelError, match="unknown backend"):
        Detector(tmp_path / "nope.onnx", backend="tensorrt")
    (tmp_path / "w.pt").write_bytes(b"x")
    with pytest.raises(ModelError, match="not .pt"):
        Detector(tmp_path / "w.pt", backend="openvino")
    (tmp_path / "garbage.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        Detector(tmp_path / "garbage.onnx", backend="onnxruntime")
