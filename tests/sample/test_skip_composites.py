"""The skip composite generator (sample_footage/skip_composites.py) on the licensed road photos."""

import json

import cv2
import numpy as np

from sample_footage.skip_composites import composite, write_composites
from sample_footage.skip_models import Camera


def _labels(path):
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def test_composites_are_labelled_skips_on_real_photos(tmp_path, shared_data):
    out = tmp_path / "comp"
    summary = write_composites(out, count=6, seed=5, negatives=False)
    imgs = sorted((out / "images").glob("*.jpg"))
    assert len(imgs) == summary["images"] == 6
    skips = 0
    for img in imgs:
        im = cv2.imread(str(img))
        assert im is not None and im.shape[2] == 3
        for cls, *box in _labels(out / "labels" / f"{img.stem}.txt"):
            cx, cy, w, h = map(float, box)
            assert cls in {"0", "1", "3"} and 0 < w <= 1 and 0 < h <= 1
            assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 <= 1 + 1e-6
            skips += cls == "3"
    assert skips == summary["skip_boxes"] >= 3
    assert json.loads((out / "summary.json").read_text())["seed"] == 5
    again = write_composites(tmp_path / "again", count=6, seed=5, negatives=False)
    assert again == summary  # deterministic for a seed
    assert (tmp_path / "again" / "labels" / f"{imgs[0].stem}.txt").read_text() == (
        out / "labels" / f"{imgs[0].stem}.txt"
    ).read_text()


def test_camera_puts_nearer_ground_points_lower_in_the_image():
    cam = Camera(f=500.0, cx=480.0, horizon_y=200.0, height_m=2.0)
    uv = cam.project(np.array([[2.0, 0.0, 10.0], [2.0, 0.0, 20.0], [2.0, 2.0, 10.0]]))
    assert uv[0, 1] == 300.0 and uv[1, 1] == 250.0  # f * h / z below the horizon
    assert uv[2, 1] == 200.0  # a point at camera height sits on the horizon
    assert uv[0, 0] == 580.0


def test_composite_returns_the_photos_own_labels_with_the_skips(shared_data):
    from sample_footage.skip_composites import backgrounds

    photo, source = next(b for b in backgrounds() if b[1] == "roboflow")
    img, labels, meta = composite(photo, source, np.random.default_rng(0))
    own = [lab for lab in labels if lab[0] == 0]
    assert own, "the Roboflow photo's potholes are kept as labels"
    assert len([lab for lab in labels if lab[0] == 3]) <= len(meta["skips"])
