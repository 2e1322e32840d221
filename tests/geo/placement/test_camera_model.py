"""geo.placement.camera: pinhole geometry, configuration and projection of detections."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from geo.crs import BNG, xy_from_lonlat
from geo.placement.camera import (
    CameraModel,
    ground_point_from_pixel,
    load_camera_config,
    load_camera_configs,
    pixel_from_ground_point,
    pixel_from_vehicle_point,
    project_detections,
    width_m_from_box,
)
from geo.types import SampledFrame
from roadcam.errors import ConfigError, InputNotFoundError

CAM = CameraModel(
    mount_height_m=2.4, pitch_deg=10.0, hfov_deg=90.0, image_width=960, image_height=540
)


def test_intrinsics():
    assert CAM.focal_px == pytest.approx(480.0)
    assert (CAM.cx, CAM.cy) == (480.0, 270.0)
    # horizon: 480 * tan(10 deg) = 84.64 px above the centre
    assert CAM.horizon_v == pytest.approx(270.0 - 480.0 * math.tan(math.radians(10.0)))


def test_centre_pixel_hits_ground_at_h_over_tan_pitch():
    f, lat = ground_point_from_pixel(CAM, 480.0, 270.0)
    assert f == pytest.approx(2.4 / math.tan(math.radians(10.0)), abs=1e-9)  # 13.611 m
    assert lat == pytest.approx(0.0, abs=1e-12)


def test_above_the_horizon_has_no_ground_point():
    f, lat = ground_point_from_pixel(CAM, 480.0, CAM.horizon_v - 1.0)
    assert math.isnan(f) and math.isnan(lat)
    f, _ = ground_point_from_pixel(CAM, 480.0, CAM.horizon_v + 0.5)
    assert f > 500.0  # just below the horizon: very far away


def test_straight_down_camera_sees_the_point_below_it():
    cam = CameraModel(2.0, 90.0, 60.0, 640, 480, lateral_offset_m=0.4, forward_offset_m=1.5)
    f, lat = ground_point_from_pixel(cam, 320.0, 240.0)
    assert f == pytest.approx(1.5, abs=1e-9) and lat == pytest.approx(0.4, abs=1e-9)


def test_right_is_positive_and_appears_right_of_centre():
    u, v = pixel_from_ground_point(CAM, 10.0, 2.0)
    assert u > CAM.cx and v > CAM.horizon_v
    u2, _ = pixel_from_ground_point(CAM, 10.0, -2.0)
    assert u2 < CAM.cx and u - CAM.cx == pytest.approx(CAM.cx - u2)


def test_behind_the_camera_is_nan():
    u, v = pixel_from_ground_point(CAM, -5.0, 0.0)
    assert math.isnan(u) and math.isnan(v)


@pytest.mark.parametrize("roll", [0.0, 1.5, -3.0])
def test_round_trip_ground_pixel_ground(roll):
    cam = CameraModel(
        2.6, 8.5, 100.0, 1280, 720, roll_deg=roll, lateral_offset_m=-0.3, forward_offset_m=2.0
    )
    rng = np.random.default_rng(0)
    fw = rng.uniform(4.0, 60.0, 200)
    la = rng.uniform(-8.0, 8.0, 200)
    u, v = pixel_from_ground_point(cam, fw, la)
    f2, l2 = ground_point_from_pixel(cam, u, v)
    np.testing.assert_allclose(f2, fw, atol=1e-6)
    np.testing.assert_allclose(l2, la, atol=1e-6)


def test_round_trip_pixel_ground_pixel():
    uu, vv = np.meshgrid(np.arange(0, 960, 37.0), np.arange(200, 540, 29.0))
    f, lat = ground_point_from_pixel(CAM, uu, vv)
    ok = np.isfinite(f)
    assert ok.sum() == 26 * 12 - (vv < CAM.horizon_v).sum()
    u2, v2 = pixel_from_ground_point(CAM, f[ok], lat[ok])
    np.testing.assert_allclose(u2, uu[ok], atol=1e-6)
    np.testing.assert_allclose(v2, vv[ok], atol=1e-6)


def test_height_above_ground_projects_higher():
    _, v0 = pixel_from_vehicle_point(CAM, 20.0, 0.0, 0.0)
    _, v1 = pixel_from_vehicle_point(CAM, 20.0, 0.0, 1.2)
    assert v1 < v0


def test_width_from_box_of_a_known_object():
    # a 1.0 m wide flat object across the view, its near edge 10 m ahead
    ul, v = pixel_from_ground_point(CAM, 10.0, -0.5)
    ur, _ = pixel_from_ground_point(CAM, 10.0, 0.5)
    _, vfar = pixel_from_ground_point(CAM, 10.8, 0.0)
    assert width_m_from_box(CAM, (ul, vfar, ur, v)) == pytest.approx(1.0, abs=1e-6)
    assert math.isnan(width_m_from_box(CAM, (100, 10, 200, 20)))  # above the horizon


class _Dets:
    """A stand-in with the attributes of detector.types.Detections."""

    def __init__(self, xyxy, w=960, h=540):
        self.xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
        self.confidence = np.full(len(self.xyxy), 0.8, np.float32)
        self.class_id = np.zeros(len(self.xyxy), int)
        self.class_names = ("pothole", "crack", "faded_marking", "skip")
        self.image_width, self.image_height = w, h


def _frame(lon=0.555, lat=51.386, heading=90.0):
    return SampledFrame(
        frame_index=7,
        video_time_s=0.2,
        time=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
        lon=lon,
        lat=lat,
        heading_deg=heading,
        speed_mps=5.0,
        distance_m=0.0,
        source="x.mp4",
    )


def _box_at(cam, fwd, lat, half_w=0.3):
    ul, v = pixel_from_ground_point(cam, fwd, lat - half_w)
    ur, _ = pixel_from_ground_point(cam, fwd, lat + half_w)
    return (ul, v - 6.0, ur, v)


@pytest.mark.parametrize(
    "heading, fwd, lat, d_east, d_north",
    [
        (90.0, 10.0, 0.0, 10.0, 0.0),  # facing east, 10 m ahead -> 10 m east
        (0.0, 10.0, 3.0, 3.0, 10.0),  # facing north, 3 m right -> 3 m east
        (180.0, 5.0, -2.0, 2.0, -5.0),  # facing south, 2 m left -> 2 m east
    ],
)
def test_project_detections_places_box_bottom_centre(heading, fwd, lat, d_east, d_north):
    frame = _frame(heading=heading)
    obs = project_detections(CAM, _Dets([_box_at(CAM, fwd, lat)]), frame)
    assert len(obs) == 1
    o = obs[0]
    x0, y0 = xy_from_lonlat(frame.lon, frame.lat, BNG)
    x1, y1 = xy_from_lonlat(o.lon, o.lat, BNG)
    assert float(x1 - x0) == pytest.approx(d_east, abs=2e-3)
    assert float(y1 - y0) == pytest.approx(d_north, abs=2e-3)
    assert o.width_m == pytest.approx(0.6, abs=1e-3)
    assert o.class_name == "pothole" and o.frame_index == 7 and o.source == "x.mp4"
    assert o.extra["forward_m"] == pytest.approx(fwd, abs=1e-4)


def test_project_detections_rescales_to_the_detection_image_size():
    big = CAM.scaled(1920, 1080)
    box = _box_at(big, 12.0, 1.0)
    o = project_detections(CAM, _Dets([box], 1920, 1080), _frame())[0]
    assert o.extra["forward_m"] == pytest.approx(12.0, abs=1e-4)
    assert o.extra["lateral_m"] == pytest.approx(1.0, abs=1e-4)


def test_project_detections_skips_boxes_above_the_horizon_and_empty():
    dets = _Dets([(100, 10, 200, 40), _box_at(CAM, 8.0, 0.0)])
    assert len(project_detections(CAM, dets, _frame())) == 1
    assert project_detections(CAM, _Dets(np.zeros((0, 4))), _frame()) == []


def test_project_detections_outside_gb_uses_utm():
    o = project_detections(CAM, _Dets([_box_at(CAM, 10.0, 0.0)]), _frame(lon=27.56, lat=53.9))[0]
    assert o.extra["crs"] == "EPSG:32635"


def test_project_real_detections_type():
    from detector import types

    d = types.Detections(
        np.array([_box_at(CAM, 10.0, 0.0)], np.float32),
        np.array([0.9], np.float32),
        np.array([3]),
        image_width=960,
        image_height=540,
    )
    o = project_detections(CAM, d, _frame())[0]
    assert o.class_name == "skip" and o.confidence == pytest.approx(0.9)


def test_bad_camera_values_raise():
    with pytest.raises(ValueError):
        CameraModel(2.4, 10.0, 200.0, 960, 540)
    with pytest.raises(ValueError):
        CameraModel(0.0, 10.0, 90.0, 960, 540)


def test_load_camera_config(tmp_path: Path):
    p = tmp_path / "cams.yaml"
    p.write_text(
        "default: {mount_height_m: 2.4, pitch_deg: 9, hfov_deg: 90, image_width: 1280, image_height: 720}\n"
        "vehicles:\n  RCV-07: {mount_height_m: 2.7, pitch_deg: 11}\n",
        encoding="utf-8",
    )
    cams = load_camera_configs(p)
    assert set(cams) == {"default", "RCV-07"}
    c = load_camera_config(p, "RCV-07")
    assert (c.mount_height_m, c.pitch_deg, c.hfov_deg, c.image_width) == (2.7, 11.0, 90.0, 1280)
    assert load_camera_config(p, "unknown-van") == cams["default"]
    assert load_camera_config(p) == cams["default"]


def test_load_camera_config_errors(tmp_path: Path):
    with pytest.raises(InputNotFoundError):
        load_camera_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("default: {mount_height_m: 2.4, tilt: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown camera parameter"):
        load_camera_config(bad)
    bad.write_text("vehicles: {A: {mount_height_m: 2.4}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing camera parameter"):
        load_camera_config(bad)
    bad.write_text(
        "default: {mount_height_m: 2.4, pitch_deg: 9, hfov_deg: 400, image_width: 9, image_height: 9}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="hfov_deg"):
        load_camera_config(bad)
    bad.write_text(": : [\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_camera_config(bad)


def test_sample_camera_config_loads(repo_root: Path):
    c = load_camera_config(repo_root / "sample_footage" / "camera.yaml", "RCV-01")
    assert (c.mount_height_m, c.pitch_deg, c.hfov_deg, c.image_width, c.image_height) == (
        2.4,
        10.0,
        90.0,
        960,
        540,
    )


def test_no_config_gives_the_default_camera_of_the_sample(repo_root: Path):
    from geo.placement.camera import DEFAULT_CAMERA

    assert load_camera_config(None) is DEFAULT_CAMERA
    assert load_camera_config(None, "RCV-99") is DEFAULT_CAMERA
    assert DEFAULT_CAMERA == load_camera_config(
        repo_root / "sample_footage" / "camera.yaml", "RCV-01"
    )


def test_project_detections_skips_far_boxes_unless_asked():
    dets = _Dets([_box_at(CAM, 40.0, 0.0), _box_at(CAM, 24.0, 0.0)])
    near = project_detections(CAM, dets, _frame())
    assert [round(o.extra["forward_m"]) for o in near] == [24]
    both = project_detections(CAM, dets, _frame(), max_range_m=None)
    assert [round(o.extra["forward_m"]) for o in both] == [40, 24]
