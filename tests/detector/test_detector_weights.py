"""The committed weights: a known Roboflow *test* image's pothole is found, torch-free, and `roadcam detect` works."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detector.evaluate import box_iou, read_yolo_label
from detector.model import Detector

KNOWN = "img-276_jpg.rf.acc167b63d79ab3b99fd64b4109f86d4"  # one pothole, GT box (265, 306, 484, 482); checked by eye


@pytest.fixture(scope="module")
def weights(repo_root):
    p = repo_root / "detector" / "weights" / "roadcam.onnx"
    assert p.is_file(), "the committed weights are missing"
    return p


@pytest.fixture(scope="module")
def known_image(shared_data):
    root = shared_data / "pothole_roboflow_chitholian" / "test"
    img = root / "images" / f"{KNOWN}.jpg"
    return img, root / "labels" / f"{KNOWN}.txt"


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_known_test_image_pothole_is_found(weights, known_image, backend):
    img_path, label_path = known_image
    img = cv2.imread(str(img_path))
    gt, gcls = read_yolo_label(label_path, img.shape[1], img.shape[0])
    assert gcls.tolist() == [0]
    det = Detector(weights, backend=backend)  # shipped threshold from roadcam.json
    assert det.class_names == ("pothole", "crack", "faded_marking", "skip")
    out = det.detect(img)
    potholes = out.filter(out.class_id == 0)
    assert len(potholes) >= 1
    assert box_iou(gt, potholes.xyxy).max() >= 0.5
    # the IR next to the .onnx gives the same answer
    ir = Detector(weights.parent / "roadcam_openvino_model", backend="openvino").detect(img)
    assert box_iou(gt, ir.filter(ir.class_id == 0).xyxy).max() >= 0.5


def test_roadcam_detect_writes_the_json_schema(weights, known_image, tmp_path):
    from pipeline.cli import main

    out = tmp_path / "d.json"
    assert main(["detect", str(known_image[0]), "--weights", str(weights), "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    (rec,) = doc["images"]
    assert (rec["width"], rec["height"]) == (720, 720)
    assert rec["path"] == str(known_image[0])
    d = rec["detections"][0]
    assert set(d) == {"class", "confidence", "xyxy"} and d["class"] == "pothole"
    assert 0 < d["confidence"] <= 1 and len(d["xyxy"]) == 4
    assert np.all(np.asarray(d["xyxy"]) >= 0)


def test_detect_batch_equals_detect(weights, known_image):
    img = cv2.imread(str(known_image[0]))
    wide = cv2.resize(img, (1280, 720))  # a dashcam-shaped frame: letterboxed to 320x192
    det = Detector(weights, backend="openvino", conf_threshold=0.1)
    single = [det.detect(im) for im in (img, wide, img)]
    batch = det.detect_batch([img, wide, img])
    for a, b in zip(single, batch, strict=True):
        assert len(a) == len(b)
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1.0)
        np.testing.assert_allclose(a.confidence, b.confidence, atol=0.02)
