"""Round 2 of the skip renders: lettering on only a share of skips; lettered look-alikes
(van sides, shop signs, corner badges) drawn as hard negatives and never labelled."""

import cv2
import numpy as np

from sample_footage import skip_composites
from sample_footage.lettered_negatives import (
    draw_corner_badge,
    draw_sign_panel,
    draw_van_side,
)
from sample_footage.skip_models import Camera, SkipModel
from sample_footage.skip_render import LETTERED_SHARE, PLATE_SHARE, random_look

CAM = Camera(f=500.0, cx=320.0, horizon_y=120.0, height_m=1.8)
OPEN = SkipModel("open", "rubble", "blue", True, True, True, 0, 1.6, 2.8, 4.2, 1.1)
LIGHT = {"sun": np.array([0.0, 1.0, 0.0]), "ambient": 0.5, "direct": 0.5, "shadow": 0.4, "ao": 0.3}


def test_only_a_share_of_skips_carry_big_lettering():
    rng = np.random.default_rng(0)
    looks = [random_look(rng, OPEN).lettering for _ in range(4000)]
    big, plate = looks.count("big") / len(looks), looks.count("plate") / len(looks)
    assert LETTERED_SHARE == 0.4 and abs(big - 0.4) < 0.03
    assert abs(plate - PLATE_SHARE) < 0.03
    assert looks.count("none") / len(looks) > 0.3  # plain painted steel


def test_each_lettered_negative_is_drawn_textured_where_it_says():
    for draw in (draw_van_side, draw_sign_panel):
        img = np.full((240, 640, 3), 120, np.uint8)
        box = draw(img, CAM, np.random.default_rng(4), 3.0, 12.0, 0.0, LIGHT)
        x0, y0, x1, y1 = (int(v) for v in box)
        changed = np.nonzero(np.any(img != 120, axis=2))
        assert changed[0].size > 200, draw.__name__
        assert changed[1].min() >= x0 - 2 and changed[1].max() <= x1 + 2, draw.__name__
        assert img[max(y0, 0) : y1, max(x0, 0) : x1].std() > 10, draw.__name__  # lettered
    img = np.full((480, 640, 3), 120, np.uint8)
    x0, y0, x1, y1 = draw_corner_badge(img, np.random.default_rng(5))
    assert x0 < 0.05 * 640 or x1 > 0.95 * 640
    assert y0 < 0.05 * 480 or y1 > 0.95 * 480
    changed = np.nonzero(np.any(img != 120, axis=2))
    assert changed[1].min() >= x0 - 1 and changed[1].max() <= x1 + 1  # only the badge (AA edge)


def test_a_lettered_negative_is_never_labelled(tmp_path, monkeypatch):
    photo = tmp_path / "road.jpg"  # no labels next to it: the photo has no boxes of its own
    g = np.random.default_rng(9).integers(60, 140, (360, 640, 3)).astype(np.uint8)
    cv2.imwrite(str(photo), g)
    monkeypatch.setattr(skip_composites, "LETTERED_PER_IMAGE", (2,))
    monkeypatch.setattr(skip_composites, "BADGE_SHARE", 1.0)
    drawn = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        img, labels, meta = skip_composites.composite(photo, "roboflow", rng)
        drawn += len(meta["negatives"])
        assert meta["negatives"].count("corner_badge") == 1
        assert len(labels) == len(meta["skips"])  # one label per skip, none for the negatives
        for lab, skip in zip(labels, meta["skips"], strict=True):
            assert lab[0] == skip_composites.SKIP_CLASS
            assert np.allclose(lab[1:], skip["box"], atol=0.1)
    assert drawn == 8 * 3
