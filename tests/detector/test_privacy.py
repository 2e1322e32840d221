"""The privacy blur: the COCO YOLOv5n head (shipped ONNX) on a real street photo, the zones, the
blur itself (zone changed, defect box kept), and the export that makes the ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector.privacy import (
    PLATE_ZONE_FRAC,
    PrivacyBlurrer,
    PrivateBoxes,
    Zone,
    blur_zones,
    zones_from_boxes,
)
from roadcam.errors import ModelError

WEIGHTS = Path(__file__).resolve().parents[2] / "detector" / "weights" / "privacy.onnx"
STREET = "potholes_mexico_streetview_circles/Baches_Img/bache_0002.jpg"


def _noise(h=200, w=300, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_shipped_head_finds_people_and_cars_on_a_real_street(shared_data):
    import cv2

    image = cv2.imread(str(shared_data / STREET))
    found = PrivacyBlurrer(WEIGHTS).detect(image)
    by_class = {c: found.xyxy[found.class_id == c] for c in set(found.class_id.tolist())}
    assert len(by_class.get(0, [])) >= 3  # the man crossing, the taxi passenger, the kerb group
    assert len(by_class.get(2, [])) >= 4  # the parked red car, the taxi and cars down the street
    # the red car parked on the left: a wide box low in the picture (eye: x 0-88, y 185-260)
    left_car = by_class[2][by_class[2][:, 0] < 10][0]
    assert left_car[2] == pytest.approx(88, abs=12) and left_car[3] == pytest.approx(260, abs=12)
    # the man crossing at the right (eye: x 545-605, y 200-292): a tall box
    man = by_class[0][np.abs(by_class[0][:, 0] - 548) < 15][0]
    assert (man[3] - man[1]) > 1.4 * (man[2] - man[0])
    assert found.confidence.min() >= 0.2


def test_zones_person_whole_vehicle_lower_part_small_vehicle_whole():
    found = PrivateBoxes(
        np.array([[10, 10, 50, 110], [100, 50, 300, 150], [200, 10, 230, 30]], np.float32),
        np.array([0, 2, 7]),
        np.array([0.9, 0.8, 0.5], np.float32),
    )
    person, car, small_truck = zones_from_boxes(found, (200, 320, 3))
    assert (person.y1, person.y2, person.yields) == (4, 116, False)  # whole box, padded 6 %
    assert car.y1 == int(150 - PLATE_ZONE_FRAC * 100) and car.yields  # the plate zone: lower 45 %
    assert (car.x1, car.x2) == (88, 312)  # full width, padded
    assert (small_truck.y1, small_truck.y2) == (8, 32)  # 20 px tall: blurred whole


def test_blur_changes_the_zone_and_keeps_the_defect_box():
    image = _noise()
    zones = [Zone(20, 100, 220, 180, yields=True), Zone(240, 20, 290, 190, yields=False)]
    defect = [(60, 120, 120, 170)]  # a pothole under the car's plate zone
    out = blur_zones(image, zones, keep_xyxy=defect)
    diff = np.abs(out.astype(int) - image.astype(int)).mean(axis=2)
    assert diff[100:180, 20:60].mean() > 40  # the plate zone beside the defect is blurred
    assert diff[120:170, 60:120].max() == 0  # the defect box is exactly as it was
    assert diff[20:190, 240:290].mean() > 40  # a person is blurred
    assert diff[:100, :240].max() == 0  # nothing outside the zones changes
    # a person is blurred even over a defect box (a person is never the evidence)
    out = blur_zones(image, [Zone(0, 0, 50, 50, yields=False)], keep_xyxy=[(0, 0, 50, 50)])
    assert np.abs(out[:50, :50].astype(int) - image[:50, :50]).mean() > 40


def test_blurrer_refuses_missing_weights(tmp_path):
    with pytest.raises(ModelError, match="privacy weights not found"):
        PrivacyBlurrer(tmp_path / "none.onnx")


def test_export_remakes_the_shipped_onnx(shared_data, tmp_path):
    pytest.importorskip("ultralytics", reason="the export needs the train extra")
    from detector.privacy_export import export_privacy_onnx, sha256_of

    source = shared_data / "pretrained_yolov5n_coco" / "yolov5n.pt"
    card = export_privacy_onnx(source, tmp_path / "privacy.onnx")
    assert card["source_sha256"].startswith("4f180cf23ba0717a")
    assert card["bytes"] < 8_000_000
    assert card["sha256"] == sha256_of(WEIGHTS)  # the committed file is what the command makes
