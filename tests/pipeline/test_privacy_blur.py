"""Stored evidence frames are blurred before they are written (people, plate zones), the defect's
own box stays as seen, and ``privacy_blur`` off stores the frame as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

import pipeline.compute as compute
from detector.types import CLASS_NAMES, Detections
from geo.types import SampledFrame
from pipeline.commands.process import _privacy_weights
from pipeline.discover import FootageItem
from roadcam.errors import ModelError
from roadcam.settings import Settings

WEIGHTS = Path(__file__).resolve().parents[2] / "detector" / "weights" / "privacy.onnx"
STREET = "potholes_mexico_streetview_circles/Baches_Img/bache_0002.jpg"
DEFECT = (20, 232, 60, 254)  # a "pothole" under the plate zone of the red car parked at the left
BESIDE = (slice(236, 252), slice(64, 84))  # the same car's bumper, right of the defect box
MAN = (slice(215, 280), slice(552, 598))  # the man crossing at the right


class OnePothole:
    def detect_batch(self, images):
        return [Detections(np.array([DEFECT], np.float32), np.array([0.8], np.float32),
                           np.array([0]), CLASS_NAMES, im.shape[1], im.shape[0])
                for im in images]  # fmt: skip


def _stored(monkeypatch, tmp_path, image, privacy_weights):
    frame = SampledFrame(0, 0.0, datetime(2026, 3, 2, 8, tzinfo=UTC), 0.55, 51.38, 90.0, 10.0,
                         0.0, image=image, source="drive.mp4")  # fmt: skip
    monkeypatch.setattr(compute, "_frames_for", lambda item, options, stats: iter([frame]))
    monkeypatch.setattr(compute, "_detector", lambda options: OnePothole())
    import geo.placement.camera as camera

    monkeypatch.setattr(camera, "load_camera_config", lambda *a, **k: None)
    monkeypatch.setattr(camera, "project_detections", lambda cam, dets, f: ["one observation"])
    opts = compute.ComputeOptions(weights_path=tmp_path / "w.onnx", frames_dir=tmp_path / "frames",
                                  marking_wear=False, privacy_weights=privacy_weights)  # fmt: skip
    result = compute.compute_footage(FootageItem(kind="video", path=Path("drive.mp4")), opts)
    assert result.ok, result.error
    import cv2

    raw = cv2.imread(result.raw_refs[("drive.mp4", 0)]).astype(int)
    evidence = cv2.imread(result.image_refs[("drive.mp4", 0)]).astype(int)
    return raw, evidence


def _change(a, b, where):
    return float(np.abs(a[where] - b[where]).mean())


def test_frames_are_blurred_before_they_are_stored(monkeypatch, tmp_path, shared_data):
    import cv2

    image = cv2.imread(str(shared_data / STREET))
    raw, evidence = _stored(monkeypatch, tmp_path, image, WEIGHTS)
    seen = image.astype(int)
    x1, y1, x2, y2 = DEFECT
    inside = (slice(y1 + 3, y2 - 2), slice(x1 + 3, x2 - 2))  # the drawn box outline aside
    assert _change(raw, seen, BESIDE) > 8 and _change(raw, seen, MAN) > 8  # blurred
    assert _change(raw, seen, inside) < 4  # the defect as seen (JPEG noise only)
    assert _change(evidence, seen, MAN) > 8 and _change(evidence, seen, inside) < 5
    assert _change(raw, seen, (slice(400, 600), slice(100, 500))) < 4  # the empty road untouched


def test_privacy_blur_off_stores_the_frame_as_seen(monkeypatch, tmp_path, shared_data):
    import cv2

    image = cv2.imread(str(shared_data / STREET))
    raw, _ = _stored(monkeypatch, tmp_path, image, None)
    assert _change(raw, image.astype(int), MAN) < 4 and _change(raw, image.astype(int), BESIDE) < 4


def test_the_setting_chooses_the_blur(tmp_path):
    assert _privacy_weights(Settings(privacy_blur=False)) is None
    assert _privacy_weights(Settings()) == WEIGHTS  # on by default, the shipped detector
    with pytest.raises(ModelError, match="privacy weights not found"):
        _privacy_weights(Settings(privacy_weights_path=tmp_path / "missing.onnx"))


def test_privacy_blur_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ROADCAM_PRIVACY_BLUR", "0")
    assert Settings().privacy_blur is False
