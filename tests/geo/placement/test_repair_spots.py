"""Spot crops and the repair verdict rules, on rendered road (sample_footage's renderer) and on tiny cases."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from shapely.geometry import LineString

from geo.placement.spots import (
    BlobFeatures,
    blob_features,
    blob_pixel,
    centred_on_blob,
    similarity,
    topdown_crop,
)
from geo.placement.verify import (
    THRESHOLDS,
    RepairCheck,
    SpotView,
    best_before,
    frame_change_score,
    verdict_from_views,
)

CHECK = RepairCheck(7, "pothole", 0.55, 51.38, datetime(2026, 11, 20, tzinfo=UTC))


def _render(kind: str, gain: float = 1.0):
    """A frame 9 m behind a pothole (or its 1.6x patch) on a straight road, and the camera."""
    from sample_footage.make_sample import drive_camera
    from sample_footage.render import SUNNY, Pose, Renderer
    from sample_footage.scene import Pothole, Road, Scene

    road = Road("r", LineString([(0, -50), (0, 80)]), "residential")
    holes, patches = [], []
    if kind == "pothole":
        holes = [Pothole("P", -1.0, 10.0, 0.6, 0.7, 90.0, seed=3)]
    elif kind == "patch":
        w, ln = 0.6 * 1.6, 0.7 * 1.6
        patches = [np.array([[-1 + a * w / 2, 10 + b * ln / 2] for a, b in
                             ((1, 1), (1, -1), (-1, -1), (-1, 1))])]  # fmt: skip
    scene = Scene([road], holes, [], [], seed=5)
    scene.patches = patches
    cam = drive_camera()
    img, _ = Renderer(scene).render(cam, Pose(-1.2, 1.0, 0.0), replace(SUNNY, gain=gain))
    return cam, img


@pytest.fixture(scope="module")
def rendered():
    return {k: _render(k) for k in ("pothole", "patch", "road")}


def _measure(cam, img, fwd=9.0 - 2.0, lat=0.2):
    # the spot 9 m ahead, 0.2 m right, as a GPS pose ~2 m off along the road would place it
    top, inside = topdown_crop(cam, img, fwd, lat)
    return top, blob_features(top, inside)


def test_topdown_crop_finds_the_hole_and_the_patch_and_tells_them_apart(rendered):
    _, hole = _measure(*rendered["pothole"])
    _, patch = _measure(*rendered["patch"])
    _, road = _measure(*rendered["road"])
    assert hole.found and patch.found and not road.found
    assert hole.offset_m < 3.0 and patch.offset_m < 3.0
    assert 0.2 < hole.area_m2 < 0.5  # 0.6 x 0.7 m irregular ellipse
    assert patch.area_m2 > 2.0 * hole.area_m2  # 1.6x each way, a full rectangle
    assert patch.rectangularity > 0.93 > hole.rectangularity


def test_measures_do_not_move_with_the_light(rendered):
    cam, _ = rendered["pothole"]
    _, dark = _measure(*_render("pothole", gain=0.7))
    _, bright = _measure(*rendered["pothole"])
    assert dark.found and abs(dark.area_m2 - bright.area_m2) < 0.08
    assert abs(dark.rectangularity - bright.rectangularity) < 0.05


def test_the_before_hole_matches_itself_and_not_the_patch(rendered):
    before, bf = _measure(*rendered["pothole"])
    same, _ = _measure(*rendered["pothole"], fwd=8.0, lat=-0.3)  # another pose error
    patched, _ = _measure(*rendered["patch"])
    ref = centred_on_blob(before, bf)
    assert similarity(ref, same) > 0.9 > 0.75 > similarity(ref, patched)
    cam, img = rendered["pothole"]
    u, v = blob_pixel(cam, img.shape, 7.0, 0.2, bf)
    assert 0 <= u < img.shape[1] and 0 <= v < img.shape[0]


def _view(blob, sim=None, conf=0.0, fwd=8.0, k=0):
    return SpotView("drive2.mp4", k, fwd, 0.0, blob, sim, conf, None)


HOLE = BlobFeatures(True, 0.3, 0.86, 0.5, 0.0, 0.5, 100.0)
PATCH = BlobFeatures(True, 1.2, 0.99, 0.3, -0.05, 0.8, 100.0)
CLEAN = BlobFeatures(False, road_brightness=100.0)


def test_change_score_per_frame():
    assert frame_change_score(HOLE, _view(CLEAN)) == 1.0
    assert frame_change_score(HOLE, _view(HOLE, sim=0.97)) == 0.0
    assert (
        frame_change_score(HOLE, _view(PATCH, sim=0.55)) > 0.95
    )  # unlike, bigger, square, lighter
    assert frame_change_score(None, _view(PATCH)) == 1.0  # shape only, without a before crop
    small_square = replace(PATCH, area_m2=0.1)
    assert frame_change_score(None, _view(small_square)) == 0.0  # too small to have a shape


def test_three_verdicts_and_their_reasons():
    before = _view(HOLE, fwd=7.0)
    assert best_before([_view(HOLE, fwd=18.0), before, _view(CLEAN, fwd=6.0)]) == before
    patched = [_view(PATCH, sim=0.5, conf=0.4, k=k) for k in range(3)]
    v = verdict_from_views(CHECK, before, patched, frames_in_view=3)
    assert (v.verdict, v.frames_measured) == ("repaired", 3) and v.change_score > 0.95
    # without a "before" crop to compare with, a repair is never proposed
    v = verdict_from_views(CHECK, None, patched, frames_in_view=3)
    assert v.verdict == "inspector_to_look" and "no usable 'before' crop" in v.reason
    same = [_view(HOLE, sim=0.96, conf=0.8, k=k) for k in range(3)]
    v = verdict_from_views(CHECK, before, same, frames_in_view=3)
    assert v.verdict == "still_present" and "seen again" in v.reason
    # one frame is enough to say "still there" when the detector is sure, never "repaired"
    assert verdict_from_views(CHECK, before, same[:1], frames_in_view=1).verdict == "still_present"
    # a patch-like change but the detector is sure of a pothole there: the inspector looks
    sure = [_view(PATCH, sim=0.5, conf=0.9, k=k) for k in range(3)]
    assert verdict_from_views(CHECK, before, sure, frames_in_view=3).verdict == "inspector_to_look"
    far = [_view(PATCH, sim=0.5, fwd=18.0, k=k) for k in range(3)] + patched[:1]
    v = verdict_from_views(CHECK, before, far, frames_in_view=4)
    assert v.verdict == "inspector_to_look" and v.reason.startswith("too few usable frames")
    hidden = [replace(v, occluded=True) for v in patched]
    v = verdict_from_views(CHECK, before, hidden, frames_in_view=3)
    assert v.verdict == "inspector_to_look" and "occluded" in v.reason
    dark = [_view(replace(PATCH, road_brightness=20.0), sim=0.5, k=k) for k in range(3)]
    v = verdict_from_views(CHECK, before, dark, frames_in_view=3)
    assert v.verdict == "inspector_to_look" and "bad light" in v.reason
    assert THRESHOLDS.present_max < THRESHOLDS.repaired_min


def test_repair_scenarios_are_seeded():
    from sample_footage.repair_scenarios import parse_seeds, scenario_spec

    assert parse_seeds("1-3,7") == [1, 2, 3, 7] and parse_seeds("100") == [100]
    with pytest.raises(ValueError):
        parse_seeds("5-2")
    for seed in range(1, 30):
        spec = scenario_spec(seed)
        assert spec == scenario_spec(seed)
        patched = [p["patched"] for p in spec["potholes"]]
        assert any(patched) and not all(patched) and 4 <= len(patched) <= 5
        chain = sorted(p["chainage_m"] for p in spec["potholes"])
        assert min(b - a for a, b in zip(chain, chain[1:], strict=False)) >= 28.0
    assert scenario_spec(1) != scenario_spec(2)
    assert math.isclose(scenario_spec(3)["end_m"], 240.0)
