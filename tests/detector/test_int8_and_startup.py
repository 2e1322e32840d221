"""INT8 weights (detector.quantize) and the OpenVINO start-up: one compile per shape, a model cache."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from detector.evaluate import box_iou, read_yolo_label
from detector.int8_card import file_sha256, int8_weights_for
from detector.model import Detector, weights_card, weights_for_run
from detector.quantize import calibration_images
from roadcam.settings import get_settings

KNOWN = "img-276_jpg.rf.acc167b63d79ab3b99fd64b4109f86d4"  # as in test_detector_weights.py


@pytest.fixture(scope="module")
def weights(repo_root):
    return repo_root / "detector" / "weights" / "roadcam.onnx"


@pytest.fixture()
def model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ROADCAM_MODEL_CACHE_DIR", str(tmp_path / "ov_cache"))
    get_settings.cache_clear()
    yield tmp_path / "ov_cache"
    get_settings.cache_clear()


def test_one_compile_serves_single_images_and_batches(weights, model_cache):
    frame = np.full((720, 1280, 3), 90, np.uint8)
    det = Detector(weights, backend="openvino", hint="THROUGHPUT", threads=1)
    det.detect(frame)
    det.detect_batch([frame, frame, frame])
    det.detect_batch([frame])
    assert len(det._net._compiled) == 1  # one shape, one compiled model
    assert any(model_cache.iterdir()), "the compiled model was not cached"
    again = Detector(weights, backend="openvino", hint="THROUGHPUT", threads=1)
    a, b = det.detect_batch([frame, frame]), again.detect_batch([frame, frame])
    assert [len(x) for x in a] == [len(x) for x in b]


def test_empty_cache_setting_turns_the_cache_off(weights, tmp_path, monkeypatch):
    monkeypatch.setenv("ROADCAM_MODEL_CACHE_DIR", "")
    get_settings.cache_clear()
    try:
        det = Detector(weights, backend="openvino", threads=1)
        det.detect(np.full((192, 320, 3), 90, np.uint8))
    finally:
        get_settings.cache_clear()


def test_int8_is_used_only_when_accepted_and_made_from_these_weights(weights, tmp_path):
    wdir = tmp_path / "weights"
    wdir.mkdir()
    fp = wdir / "roadcam.onnx"
    shutil.copyfile(weights, fp)
    xml = wdir / "roadcam_int8_openvino_model" / "roadcam.xml"
    xml.parent.mkdir()
    xml.write_text("<net/>")
    card = {"imgsz": 576, "int8": {"file": "roadcam_int8_openvino_model/roadcam.xml",
                                   "accepted": True, "source_sha256": file_sha256(fp)}}  # fmt: skip
    (wdir / "roadcam.json").write_text(json.dumps(card))
    assert int8_weights_for(fp) == xml
    assert weights_for_run(fp, "openvino", True) == xml
    assert weights_for_run(fp, "openvino", False) == fp  # the setting is off
    assert weights_for_run(fp, "onnxruntime", True) == fp  # INT8 IR is OpenVINO's
    assert weights_card(xml)["imgsz"] == 576  # the INT8 IR finds the card of its weights
    card["int8"]["source_sha256"] = "0" * 64  # new weights exported since: not re-quantised
    (wdir / "roadcam.json").write_text(json.dumps(card))
    assert weights_for_run(fp, "openvino", True) == fp
    card["int8"].update(source_sha256=file_sha256(fp), accepted=False)
    (wdir / "roadcam.json").write_text(json.dumps(card))
    assert weights_for_run(fp, "openvino", True) == fp


def test_calibration_reads_the_train_split_only(tmp_path):
    for split, n in (("train", 10), ("valid", 4), ("test", 4)):
        d = tmp_path / "images" / split
        d.mkdir(parents=True)
        for k in range(n):
            (d / f"src__{split}{k}.jpg").write_bytes(b"x")
    chosen = calibration_images(tmp_path, 5)
    assert len(chosen) == 5 and all(p.parent.name == "train" for p in chosen)
    assert chosen[0].name == "src__train0.jpg" and chosen[-1].name == "src__train9.jpg"


def test_shipped_int8_model(repo_root, weights, shared_data):
    """The committed INT8 model: accepted by its card's rule, made from the committed ONNX,
    and it finds the known Roboflow test pothole as the FP model does."""
    card = weights_card(weights)
    info = card.get("int8")
    if not info or not info.get("accepted"):
        pytest.skip("no accepted INT8 model is shipped (see the card's int8 figures)")
    assert max(info["mAP50_loss"]["valid"], info["mAP50_loss"]["test"]) <= 0.01
    xml = int8_weights_for(weights)
    assert xml is not None, "the INT8 model was made from other weights: run roadcam train --int8"
    root = shared_data / "pothole_roboflow_chitholian" / "test"
    img = cv2.imread(str(root / "images" / f"{KNOWN}.jpg"))
    gt, _ = read_yolo_label(root / "labels" / f"{KNOWN}.txt", img.shape[1], img.shape[0])
    for path in (weights, xml):
        det = Detector(path, backend="openvino")
        found = det.detect(img)
        assert len(found) and box_iou(gt, found.xyxy).max() >= 0.5, path.name


@pytest.mark.slow
def test_make_int8_end_to_end_on_a_tiny_dataset(repo_root, shared_data, tmp_path):
    """`roadcam train --int8`'s work on 4 train, 3 valid and 3 test images: the INT8 IR is
    written, measured against FP, and recorded in the card with the rule's verdict."""
    from detector.quantize import make_int8

    src = shared_data / "pothole_roboflow_chitholian"
    ds = tmp_path / "ds"
    listed = []
    for split, n in (("train", 4), ("valid", 3), ("test", 3)):
        for sub in ("images", "labels"):
            (ds / sub / split).mkdir(parents=True)
        for img in sorted((src / split / "images").glob("*.jpg"))[:n]:
            name = f"roboflow__{img.name}"
            (ds / "images" / split / name).symlink_to(img)
            label = src / split / "labels" / f"{img.stem}.txt"
            shutil.copyfile(label, ds / "labels" / split / f"roboflow__{img.stem}.txt")
            if split == "test":
                listed.append(str(ds / "images" / split / name))
    (ds / "test_roboflow.txt").write_text("\n".join(listed) + "\n")
    wdir = tmp_path / "weights"
    wdir.mkdir()
    weights = repo_root / "detector" / "weights"
    for name in ("roadcam.onnx", "roadcam.json"):
        shutil.copyfile(weights / name, wdir / name)
    shutil.copytree(weights / "roadcam_openvino_model", wdir / "roadcam_openvino_model")
    info = make_int8(wdir, ds, count=4, method="ptq")
    card = json.loads((wdir / "roadcam.json").read_text())
    assert card["int8"] == info and card["imgsz"] == 576
    assert (wdir / info["file"]).is_file() and (wdir / info["file"]).with_suffix(".bin").is_file()
    assert info["images"] == {"valid": 3, "test_roboflow": 3}
    assert info["calibration"].startswith("4 train-split images")
    assert info["accepted"] == (
        max(info["mAP50_loss"]["valid"], info["mAP50_loss"]["test"]) <= 0.01
    )
    assert info["source_sha256"] == file_sha256(wdir / "roadcam.onnx")
    assert (int8_weights_for(wdir / "roadcam.onnx") is not None) == info["accepted"]
