"""Random rendered training frames with YOLO labels (classes 0 pothole, 1 crack,
2 faded_marking, 3 skip).

Each scene is random: a straight or curving road (sometimes with a side road) in a
local metric frame, random defects, worn paint, skips, parked cars, and unlabelled
look-alikes (patched repairs, manhole covers, shadows), a random camera (height, pitch,
field of view) and random lighting; each is rendered from three poses along the road. None of
these is a frame of the committed sample drive.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import cv2
import numpy as np
from shapely.geometry import LineString

from detector.types import CLASS_NAMES
from geo.placement.camera import CameraModel
from sample_footage.render import OVERCAST, SUNNY, Pose, Renderer, label_boxes
from sample_footage.scene import (
    ROAD_WIDTH_M,
    Box3D,
    Crack,
    Pothole,
    Road,
    Scene,
    crack_polylines,
    road_frame,
)

log = logging.getLogger(__name__)


def _road_line(rng: np.random.Generator) -> LineString:
    """A road from 40 m behind to 90 m ahead of the origin, heading north, gently curving."""
    curv = rng.uniform(-1 / 80, 1 / 80) if rng.random() < 0.6 else 0.0
    s = np.linspace(-40, 90, 66)
    ang = np.clip(s, 0, None) * curv
    dx = np.concatenate([[0], np.cumsum(np.sin(ang[:-1]) * np.diff(s))])
    dy = np.concatenate([[0], np.cumsum(np.cos(ang[:-1]) * np.diff(s))])
    return LineString(np.column_stack([dx, dy - 40]))


POSES_PER_SCENE = 3
POSE_STEP_M = 9.0


def random_scene(rng: np.random.Generator) -> tuple[Scene, list[Pose], CameraModel]:
    """One random scene, a few vehicle poses along it and a random camera."""
    hw = str(rng.choice(["secondary", "tertiary", "unclassified", "residential"]))
    line = _road_line(rng)
    width = ROAD_WIDTH_M[hw]
    roads = _make_roads(rng, line, hw)
    poses = _make_poses(rng, line, width)
    spot = _spot_finder(rng, line)
    half = width / 2
    boxes = _place_boxes(rng, spot, half)
    potholes = _place_potholes(rng, spot, half)
    cracks = _place_cracks(rng, spot, half)
    shadows = _place_shadows(rng, line)
    # unlabelled look-alikes the detector must learn to ignore: patches and manhole covers
    patches = _place_patches(rng, spot, half)
    covers = []
    for _ in range(int(rng.integers(0, 3))):
        p = spot(44, 80, -half + 0.5, half - 0.5, 1.5)
        if p:
            covers.append((p[0], p[1], float(rng.uniform(0.3, 0.45))))
    scene = Scene(
        roads,
        potholes,
        cracks,
        boxes,
        shadows,
        seed=int(rng.integers(1 << 20)),
        patches=patches,
        covers=covers,
    )
    cam = CameraModel(
        mount_height_m=float(rng.uniform(1.3, 3.0)),
        pitch_deg=float(rng.uniform(5.0, 15.0)),
        hfov_deg=float(rng.uniform(70.0, 110.0)),
        image_width=960,
        image_height=540,
        roll_deg=float(rng.normal(0, 0.8)),
    )
    return scene, poses, cam


def _make_roads(rng: np.random.Generator, line: LineString, hw: str) -> list[Road]:
    """The main road with random paint and worn sections, sometimes a side road joining it."""
    wear_sections = []
    for which in ("centre", "left", "right"):
        if rng.random() < 0.5:
            a = rng.uniform(40, 70)  # chainage along the road (the vehicle is at 40)
            wear_sections.append((a, a + rng.uniform(4, 25), float(rng.uniform(0.5, 0.95)), which))
    roads = [
        Road(
            "main",
            line,
            hw,
            centre_line=rng.random() < 0.85,
            edge_lines=rng.random() < 0.6,
            wear_sections=wear_sections,
        )
    ]
    if rng.random() < 0.3:  # a side road joining from the left or right
        s = rng.uniform(55, 90)
        x, y, h = road_frame(line, s)
        side = rng.choice([-1, 1])
        r = math.radians(h + 90 * side)
        roads.append(
            Road(
                "side",
                LineString([(x, y), (x + 60 * math.sin(r), y + 60 * math.cos(r))]),
                "residential",
                centre_line=rng.random() < 0.5,
            )
        )
    return roads


def _make_poses(rng: np.random.Generator, line: LineString, width: float) -> list[Pose]:
    """POSES_PER_SCENE vehicle poses POSE_STEP_M apart in the left lane, heading a little off."""
    poses = []
    for k in range(POSES_PER_SCENE):
        lane = -width / 4 + rng.uniform(-0.4, 0.4)
        px, py, ph = road_frame(line, 40.0 + k * POSE_STEP_M)
        rph = math.radians(ph)
        poses.append(
            Pose(
                px + lane * math.cos(rph),
                py - lane * math.sin(rph),
                (ph + rng.normal(0, 2.0)) % 360,
            )
        )
    return poses


def _spot_finder(rng: np.random.Generator, line: LineString):
    """``spot(s_lo, s_hi, lat_lo, lat_hi, clear)``: a random free place (x, y, heading) on the
    road between those chainages and lateral offsets, at least ``clear`` m from every place
    it gave before; None after 30 tries."""
    taken: list[tuple[float, float]] = []

    def spot(s_lo: float, s_hi: float, lat_lo: float, lat_hi: float, clear: float):
        for _ in range(30):
            s = rng.uniform(s_lo, s_hi)
            lat = rng.uniform(lat_lo, lat_hi)
            x, y, h = road_frame(line, s)
            r = math.radians(h)
            x, y = x + lat * math.cos(r), y - lat * math.sin(r)
            if all((x - a) ** 2 + (y - b) ** 2 > clear**2 for a, b in taken):
                taken.append((x, y))
                return x, y, h
        return None

    return spot


def _place_boxes(rng: np.random.Generator, spot, half: float) -> list[Box3D]:
    """Sometimes a skip at the kerb, and up to three parked cars (body and cabin boxes)."""
    boxes = []
    if rng.random() < 0.45:
        side = rng.choice([-1, 1])
        p = spot(47, 85, side * (half - 0.95), side * (half - 0.95), 5.0)
        if p:
            boxes.append(
                Box3D(
                    "skip0",
                    "skip",
                    p[0],
                    p[1],
                    p[2] + rng.normal(0, 3),
                    rng.uniform(3.2, 4.0),
                    rng.uniform(1.6, 1.9),
                    rng.uniform(1.0, 1.3),
                    (
                        int(rng.integers(0, 30)),
                        int(rng.integers(180, 220)),
                        int(rng.integers(225, 255)),
                    ),
                )
            )
    for k in range(int(rng.integers(0, 4))):
        side = 1 if rng.random() < 0.7 else -1
        p = spot(46, 110, side * (half - 0.95), side * (half - 0.95), 5.5)
        if p:
            col = tuple(int(c) for c in rng.integers(20, 220, 3))
            boxes += [
                Box3D(f"car{k}", "car", p[0], p[1], p[2], 4.3, 1.8, 0.85, col),
                Box3D(f"car{k}c", "car", p[0], p[1], p[2], 2.3, 1.65, 1.45, (70, 60, 55)),
            ]
    return boxes


def _place_potholes(rng: np.random.Generator, spot, half: float) -> list[Pothole]:
    potholes = []
    for k in range(int(rng.integers(2, 11))):
        p = spot(44, 80, -half + 0.3, half - 0.3, 1.6)
        if p:
            w = float(rng.uniform(0.2, 1.2))
            potholes.append(
                Pothole(
                    f"p{k}",
                    p[0],
                    p[1],
                    w,
                    w * rng.uniform(0.8, 1.5),
                    rng.uniform(0, 180),
                    int(rng.integers(1 << 30)),
                    water=bool(rng.random() < 0.2),
                )
            )
    return potholes


def _place_cracks(rng: np.random.Generator, spot, half: float) -> list[Crack]:
    cracks = []
    for k in range(int(rng.integers(0, 5))):
        p = spot(44, 78, -half + 0.5, half - 0.5, 2.0)
        if p:
            cracks.append(
                Crack(
                    f"c{k}",
                    crack_polylines(
                        rng, p[0], p[1], p[2] + rng.uniform(-90, 90), float(rng.uniform(0.8, 3.0))
                    ),
                )
            )
    return cracks


def _place_shadows(rng: np.random.Generator, line: LineString) -> list[np.ndarray]:
    """Up to three elliptical shadow polygons over the road ahead."""
    shadows = []
    for _ in range(int(rng.integers(0, 4))):
        x, y, _h = road_frame(line, rng.uniform(42, 90))
        r = rng.uniform(2, 6)
        th = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        shadows.append(
            np.column_stack([x + rng.uniform(-5, 5) + r * np.cos(th), y + 0.6 * r * np.sin(th)])
        )
    return shadows


def _place_patches(rng: np.random.Generator, spot, half: float) -> list[np.ndarray]:
    """Up to two patched repairs: rectangles (4, 2) roughly along the road."""
    patches = []
    for _ in range(int(rng.integers(0, 3))):
        p = spot(44, 80, -half + 0.6, half - 0.6, 2.0)
        if p:
            r = math.radians(p[2] + rng.normal(0, 5))
            f, rt = np.array([math.sin(r), math.cos(r)]), np.array([math.cos(r), -math.sin(r)])
            ln, w = rng.uniform(0.6, 2.5), rng.uniform(0.5, 1.8)
            patches.append(
                np.array(
                    [
                        np.array(p[:2]) + a * ln / 2 * f + b * w / 2 * rt
                        for a, b in ((1, 1), (1, -1), (-1, -1), (-1, 1))
                    ]
                )
            )
    return patches


def render_training_frames(rng: np.random.Generator):
    """[(image BGR, labels [(class_id, x1, y1, x2, y2)])] for the poses of one random scene."""
    from sample_footage.layout import mix_lighting

    scene, poses, cam = random_scene(rng)
    light = mix_lighting(SUNNY, OVERCAST, float(rng.uniform(0, 1)))
    light = type(light)(
        light.gain * float(rng.uniform(0.75, 1.2)),
        light.tint_bgr,
        light.sky_top_bgr,
        light.sky_horizon_bgr,
        light.haze_bgr,
    )
    renderer = Renderer(
        scene, max_range_m=float(rng.uniform(60, 90)), panorama_seed=int(rng.integers(1000))
    )
    noise_sd = float(rng.uniform(2, 6)) if rng.random() < 0.3 else 0.0  # sensor noise
    out = []
    for pose in poses:
        img, occl = renderer.render(cam, pose, light)
        labels = label_boxes(scene, cam, pose, occl)
        if noise_sd:
            img = np.clip(img + rng.normal(0, noise_sd, img.shape), 0, 255).astype(np.uint8)
        out.append((img, [(c, *box) for c, _oid, box in labels]))
    return out


def yolo_lines(labels, width: int, height: int) -> list[str]:
    """YOLO txt lines: ``class cx cy w h`` normalised to 0..1."""
    out = []
    for c, x1, y1, x2, y2 in labels:
        out.append(
            f"{int(c)} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
            f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}"
        )
    return out


def write_training_frames(out: Path, count: int, seed: int) -> dict:
    """Write ``count`` frames to ``out/images/*.jpg`` and labels to ``out/labels/*.txt``."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    per_class = dict.fromkeys(CLASS_NAMES, 0)
    i = 0
    scene_no = 0
    while i < count:
        rng = np.random.default_rng([seed, scene_no])
        scene_no += 1
        for img, labels in render_training_frames(rng):
            if i >= count:
                break
            stem = f"synth_s{seed}_{i:05d}"
            cv2.imwrite(str(out / "images" / f"{stem}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            lines = yolo_lines(labels, img.shape[1], img.shape[0])
            (out / "labels" / f"{stem}.txt").write_text(
                "".join(line + "\n" for line in lines), encoding="ascii"
            )
            for c, *_ in labels:
                per_class[CLASS_NAMES[c]] += 1
            if i % 50 == 0:
                log.info("training frame %d/%d", i, count)
            i += 1
    (out / "classes.txt").write_text("\n".join(CLASS_NAMES) + "\n", encoding="ascii")
    summary = {
        "frames": count,
        "seed": seed,
        "boxes": per_class,
        "images": str(out / "images"),
        "labels": str(out / "labels"),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary
