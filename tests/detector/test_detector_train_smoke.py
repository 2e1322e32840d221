"""A tiny training run (a few images, 1 epoch) produces weights that load and run."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import ultralytics  # noqa: F401 - the train extra; make test installs it


def _tiny_dataset(root: Path) -> Path:
    """Six synthetic 128 px road images with dark 'pothole' ellipses, YOLO-labelled by this test."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("valid", 2)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(n):
            img = np.full((128, 128, 3), 110, np.uint8) + rng.integers(
                0, 20, (128, 128, 3), dtype=np.uint8
            )
            cx, cy = int(rng.integers(30, 98)), int(rng.integers(40, 98))
            cv2.ellipse(img, (cx, cy), (18, 10), 0, 0, 360, (35, 35, 40), -1)
            cv2.imwrite(str(root / "images" / split / f"{i}.jpg"), img)
            (root / "labels" / split / f"{i}.txt").write_text(
                f"0 {cx / 128:.5f} {cy / 128:.5f} {36 / 128:.5f} {20 / 128:.5f}\n"
            )
    data = root / "data.yaml"
    data.write_text(
        f"path: {root}\ntrain: images/train\nval: images/valid\n"
        "names: {0: pothole, 1: crack, 2: faded_marking, 3: skip}\n"
    )
    return data


@pytest.mark.slow
def test_tiny_training_run_gives_loadable_weights(tmp_path):
    from detector.model import Detector
    from detector.train import train

    data = _tiny_dataset(tmp_path / "ds")
    run = train(
        data,
        arch="yolov8n.yaml",
        imgsz=96,
        epochs=1,
        batch=4,
        workers=0,
        project=tmp_path / "runs",
        name="smoke",
        plots=False,
        extra={"val": False, "close_mosaic": 0},
    )
    best = run / "weights" / "last.pt"
    assert best.is_file()
    det = Detector(best, backend="ultralytics", conf_threshold=0.0, imgsz=96)
    assert det.class_names == ("pothole", "crack", "faded_marking", "skip")
    out = det.detect(cv2.imread(str(tmp_path / "ds" / "images" / "valid" / "0.jpg")))
    assert out.image_width == 128 and out.image_height == 128
    assert os.path.getsize(best) > 100_000
