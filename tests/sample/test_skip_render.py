"""The realistic skip renderer (sample_footage/skip_render.py, skip_textures.py)."""

import math

import numpy as np

from sample_footage.skip_models import Camera, SkipModel, random_skip
from sample_footage.skip_render import (
    _faces,
    _frames,
    draw_real_skip,
    random_look,
    tone_near,
    warp,
)
from sample_footage.skip_textures import paint_texture

CAM = Camera(f=500.0, cx=320.0, horizon_y=120.0, height_m=1.8)
OPEN = SkipModel("open", "rubble", "blue", True, True, True, 0, 1.6, 2.8, 4.2, 1.1)


def test_random_skips_have_uk_sizes_and_sloped_ends():
    rng = np.random.default_rng(0)
    for _ in range(300):
        m = random_skip(rng)
        if m.kind == "roro":
            assert m.top_m == m.base_m and 5.0 <= m.base_m <= 6.5
            continue
        assert 1.2 <= m.width_m <= 1.8 and 2.0 <= m.base_m <= 3.7 and 0.9 <= m.height_m <= 1.8
        slope = math.degrees(math.atan((m.top_m - m.base_m) / 2 / m.height_m))
        assert 30 - 1e-9 <= slope <= 40 + 1e-9


def test_face_normals_point_out_and_the_camera_sees_the_near_end_and_top():
    frames = _frames(OPEN)
    for name, (_, poly, n, _) in frames.items():
        assert np.dot(n, poly.mean(axis=0) - np.array([0, OPEN.height_m / 2, 0])) > 0, name
        assert math.isclose(np.linalg.norm(n), 1.0)
    seen = {f[0] for f in _faces(OPEN, 3.0, 10.0, 0.0, CAM) if f[5]}
    assert seen == {"left", "near", "top"}  # a skip to the right, ahead, below the camera


def test_text_is_never_mirrored_whichever_side_is_seen():
    tex = np.ones((20, 40, 3), np.float32)
    tex[:, :20] = 0.0  # the start of the "text" (left half) is dark
    for x in (-3.0, 3.0):  # left of the road we see its right wall, right of the road its left
        img = np.full((240, 640, 3), 128, np.uint8)
        face = "right" if x < 0 else "left"
        rect, poly = next((f[1], f[2]) for f in _faces(OPEN, x, 10.0, 0.0, CAM) if f[0] == face)
        warp(img, CAM, rect, poly, tex)
        cols = np.nonzero(np.any(img != 128, axis=(0, 2)))[0]
        mid = (cols.min() + cols.max()) // 2
        assert img[:, cols.min() : mid].mean() < img[:, mid : cols.max()].mean(), x


def test_paint_matches_the_photos_colour_cast():
    blueish = np.zeros((100, 100, 3), np.uint8)
    blueish[:] = (160, 120, 100)  # BGR: a cold, blue cast
    tone = tone_near(blueish, (40, 40, 60, 60))
    assert tone["gain"][0] > 1.0 > tone["gain"][2]
    dark = tone_near(np.full((100, 100, 3), 40, np.uint8), (40, 40, 60, 60))
    assert dark["level"] < tone["level"]


def test_painted_steel_has_no_dark_outline():
    rng = np.random.default_rng(1)
    look = random_look(rng, OPEN)
    tex = paint_texture(rng, look, 200, 80, 100.0, "lid")
    edge = np.concatenate([tex[:, 0], tex[:, -1]]).mean()
    assert edge > 0.7 * tex[10:-10, 10:-10].mean()  # the border is paint, not a drawn line


def test_draw_real_skip_changes_only_the_skip_and_its_shadow():
    rng = np.random.default_rng(2)
    img = np.full((240, 640, 3), 120, np.uint8)
    photo = np.random.default_rng(3).integers(0, 255, (200, 300, 3)).astype(np.uint8)
    light = {"sun": np.array([0.0, 1.0, 0.0]), "ambient": 0.5, "direct": 0.5}
    light |= {"shadow": 0.4, "ao": 0.3}
    pts = draw_real_skip(img, CAM, OPEN, 3.0, 10.0, 0.0, light, rng, photo)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    changed = np.nonzero(np.any(img != 120, axis=2))
    blur = 4 * (1 + 0.03 * (x1 - x0))  # the soft shadow edge: the blur kernel reaches 4 sigma
    assert changed[1].min() >= x0 - blur and changed[1].max() <= x1 + blur
    assert changed[0].min() >= y0 - blur and changed[0].max() <= y1 + blur
    assert img[int(y0) : int(y1), int(x0) : int(x1)].std() > 10  # textured, not flat
