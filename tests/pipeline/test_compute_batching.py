"""compute_footage runs the detector on batches of frames, keeps frame order and holds few images."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import pipeline.compute as compute
from detector.types import CLASS_NAMES, Detections
from geo.types import FrameQuality, SampledFrame
from pipeline.discover import FootageItem

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _frame(i: int, usable: bool) -> SampledFrame:
    quality = (
        None
        if usable
        else FrameQuality(brightness=5.0, blur=1.0, glare=0.0, usable=False, reasons=("dark",))
    )
    return SampledFrame(
        frame_index=i,
        video_time_s=i * 0.5,
        time=T0 + timedelta(seconds=i * 0.5),
        lon=0.55 + i * 1e-5,
        lat=51.38,
        heading_deg=90.0,
        speed_mps=10.0,
        distance_m=5.0 * i,
        image=np.full((54, 96, 3), i % 255, np.uint8),
        quality=quality,
        source="v.mp4",
    )


class CountingDetector:
    """Records each batch; finds nothing, so no camera projection is needed."""

    def __init__(self):
        self.batches: list[list[int]] = []

    def detect_batch(self, images):
        self.batches.append([int(im[0, 0, 0]) for im in images])
        return [Detections.empty(im.shape[1], im.shape[0], CLASS_NAMES) for im in images]


@pytest.mark.parametrize("batch", [1, 3, 8])
def test_frames_keep_order_and_each_usable_frame_is_detected_once(monkeypatch, tmp_path, batch):
    usable = [i % 4 != 2 for i in range(20)]  # every 4th frame (2, 6, 10, ...) is unusable
    frames = [_frame(i, u) for i, u in enumerate(usable)]

    def frames_for(item, options, stats):
        yield from frames

    det = CountingDetector()
    monkeypatch.setattr(compute, "_frames_for", frames_for)
    monkeypatch.setattr(compute, "_detector", lambda options: det)
    import geo.placement.camera

    monkeypatch.setattr(geo.placement.camera, "load_camera_config", lambda *a, **k: None)
    opts = compute.ComputeOptions(weights_path=tmp_path / "w.onnx", detect_batch=batch)
    result = compute.compute_footage(FootageItem(kind="video", path=Path("v.mp4")), opts)

    assert result.ok, result.error
    assert [f.frame_index for f in result.frames] == list(range(20))
    assert all(f.image is None for f in result.frames)
    detected = [i for b in det.batches for i in b]
    assert detected == [i for i, u in enumerate(usable) if u]
    assert max(len(b) for b in det.batches) == min(batch, 15)
    assert result.stats["usable_frames"] == 15 and result.stats["unusable_frames"] == 5


def test_detect_batch_must_be_positive():
    with pytest.raises(ValueError, match="detect_batch"):
        compute.ComputeOptions(detect_batch=0)
