"""bench/skips.py: a forward view cut from an equirectangular panorama, and a pano box mapped into it."""

import numpy as np

from bench.skips import VIEW_H, VIEW_W, iou, pano_box_to_view, pano_view


def test_a_pano_box_lands_where_the_view_shows_it():
    pano = np.zeros((1000, 2000, 3), np.uint8)
    box = (1150.0, 520.0, 60.0, 40.0)  # x, y, w, h: right of centre, just below the horizon
    x, y, w, h = (int(v) for v in box)
    pano[y : y + h, x : x + w] = 255
    for yaw in (0.0, 45.0):
        view = pano_view(pano, yaw)
        assert view.shape == (VIEW_H, VIEW_W, 3)
        ys, xs = np.nonzero(view[..., 0] > 127)
        seen = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        mapped = pano_box_to_view(box, (2000, 1000), yaw)
        assert mapped is not None and iou(mapped, seen) > 0.8, (yaw, mapped, seen)
    assert pano_box_to_view(box, (2000, 1000), 180.0) is None  # behind the camera
