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


def test_near_skips_stay_in_front_of_the_camera_and_a_share_is_close():
    from sample_footage.skip_composites import FAR_M, NEAR_M, _distance_m

    rng = np.random.default_rng(0)
    z = np.array([_distance_m(rng, 2.5) for _ in range(2000)])
    assert z.min() >= 3.5  # the nearest end (2.5 m from the centre) is at least 1 m ahead
    assert z.max() <= FAR_M[1]
    near = np.mean(z < FAR_M[0])
    assert 0.2 < near < 0.4  # about NEAR_SHARE of the skips are closer than 5 m
    assert NEAR_M[0] < FAR_M[0]


def test_a_skip_cut_by_the_frame_edge_is_labelled_while_plainly_seen():
    from sample_footage.skip_composites import _clip_box

    w, h = 1000, 600
    half_out = np.array([[900.0, 300.0], [1100.0, 300.0], [900.0, 500.0], [1100.0, 500.0]])
    assert _clip_box(half_out, w, h) == (900.0, 300.0, 1000, 500.0)  # 50 % seen
    mostly_out = np.array([[950.0, 100.0], [1400.0, 100.0], [950.0, 590.0], [1400.0, 590.0]])
    assert _clip_box(mostly_out, w, h) == (950.0, 100.0, 1000, 590.0)  # 11 % seen, 4 % of image
    sliver = np.array([[990.0, 300.0], [1200.0, 300.0], [990.0, 400.0], [1200.0, 400.0]])
    assert _clip_box(sliver, w, h) is None  # 5 % seen, 0.2 % of the image


def test_the_flat_shaded_look_alikes_are_drawn_only_when_asked(shared_data):
    from sample_footage.skip_composites import backgrounds

    photo, source = backgrounds()[0]
    drawn = [composite(photo, source, np.random.default_rng(s))[2]["negatives"] for s in range(4)]
    assert not any(set(n) - {"van_side", "sign_panel", "corner_badge"} for n in drawn)
    drawn = [
        composite(photo, source, np.random.default_rng(s), lettered=False)[2]["negatives"]
        for s in range(4)
    ]
    assert drawn == [[], [], [], []]
    asked = [
        composite(photo, source, np.random.default_rng(s), rendered_negatives=True)[2]
        for s in range(4)
    ]
    assert any(set(m["negatives"]) - {"van_side", "sign_panel", "corner_badge"} for m in asked)
