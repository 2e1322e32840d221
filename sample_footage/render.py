"""Render forward-camera frames of a :class:`scene.Scene` through a :class:`geo.placement.camera.CameraModel`.

The ground is drawn by inverse perspective mapping: for every pixel below the
horizon the camera model gives the ground point, which is looked up (``cv2.remap``)
in a top-down texture mosaic of the scene at one of three mip levels by range.
Sky and a skyline of houses and trees come from a 360-degree panorama indexed by
azimuth and elevation. Skips and parked cars are 3-D boxes drawn in perspective.
The same geometry gives each object's label box (:func:`label_boxes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from geo.placement.camera import CameraModel, vehicle_point_from_en
from sample_footage.scene import LEVEL_RES_M, Box3D, Scene
from sample_footage.tiles import TileCache

CLASS_IDS = {"pothole": 0, "crack": 1, "faded_marking": 2, "skip": 3}
PANO_RES_DEG = 0.1
PANO_MIN_EL_DEG, PANO_MAX_EL_DEG = -3.0, 50.0
_NEAR_Z = 0.3


@dataclass(frozen=True)
class Pose:
    """Vehicle reference point (metric x east, y north) and heading (deg clockwise from north)."""

    x: float
    y: float
    heading_deg: float


@dataclass(frozen=True)
class Lighting:
    gain: float = 1.0
    tint_bgr: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sky_top_bgr: tuple[int, int, int] = (200, 150, 110)
    sky_horizon_bgr: tuple[int, int, int] = (235, 215, 200)
    haze_bgr: tuple[int, int, int] = (190, 188, 185)


SUNNY = Lighting(1.08, (-6.0, 4.0, 12.0), (205, 145, 95), (240, 220, 205), (200, 195, 190))
OVERCAST = Lighting(0.86, (8.0, 4.0, 0.0), (185, 182, 178), (215, 212, 210), (190, 190, 188))


def make_panorama(seed: int) -> np.ndarray:
    """A BGRA 360-degree skyline: houses and trees (alpha 255) over sky (alpha 0)."""
    rng = np.random.default_rng(seed)
    w = int(360 / PANO_RES_DEG)
    h = int((PANO_MAX_EL_DEG - PANO_MIN_EL_DEG) / PANO_RES_DEG)
    row0 = int(PANO_MAX_EL_DEG / PANO_RES_DEG)  # row of elevation 0

    def row(el_deg: float) -> int:
        return int(row0 - el_deg / PANO_RES_DEG)

    img = np.zeros((h, w, 4), np.uint8)
    img[row(0.6) :, :] = (150, 152, 150, 255)  # distant street level
    x = 0
    while x < w:
        bw = int(rng.uniform(25, 70))
        top = rng.uniform(2.5, 7.5)
        wall = [(70, 85, 150), (80, 95, 165), (190, 195, 200), (160, 170, 185), (95, 110, 130)][
            rng.integers(5)
        ]
        img[row(top) : row(0.3), x : x + bw] = (*wall, 255)
        roof = [(70, 70, 75), (60, 65, 110), (90, 90, 95)][rng.integers(3)]
        rt = top + rng.uniform(1.0, 2.5)
        pts = np.array([[x, row(top)], [x + bw // 2, row(rt)], [x + bw, row(top)]], np.int32)
        cv2.fillConvexPoly(img, pts, (*roof, 255))
        for wx in range(x + 5, x + bw - 8, 14):
            for el in (1.2, top - 1.5):
                if el > 0.8:
                    img[row(el + 0.8) : row(el), wx : wx + 7] = (55, 50, 45, 255)
        if rng.random() < 0.35:
            cx, r = x + bw, int(rng.uniform(12, 30))
            cy = row(top + rng.uniform(-1, 2))
            cv2.circle(img, (cx % w, cy), r, (45, 95, 60, 255), -1, cv2.LINE_AA)
        x += bw + int(rng.uniform(0, 15))
    noise = rng.normal(0, 6, (h, w, 1))
    rgb = np.clip(img[..., :3].astype(np.float32) + noise, 0, 255).astype(np.uint8)
    img[..., :3] = np.where(img[..., 3:] > 0, rgb, 0)
    return img


def _rays(camera: CameraModel) -> np.ndarray:
    """(H, W, 3) unnormalised viewing rays in the vehicle frame (forward, right, down)."""
    f = camera.focal_px
    u = (np.arange(camera.image_width, dtype=np.float32) + 0.5 - camera.cx) / f
    v = (np.arange(camera.image_height, dtype=np.float32) + 0.5 - camera.cy) / f
    uu, vv = np.meshgrid(u, v)
    rays = np.stack([uu, vv, np.ones_like(uu)], axis=-1)
    return rays @ camera.rotation().T.astype(np.float32)


class _View:
    """Everything about a camera that does not change with the pose (cached)."""

    def __init__(self, camera: CameraModel, max_range_m: float) -> None:
        rays = _rays(camera)
        down = rays[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(down > 1e-6, camera.mount_height_m / down, np.inf).astype(np.float32)
            fwd = camera.forward_offset_m + t * rays[..., 0]
            lat = camera.lateral_offset_m + t * rays[..., 1]
        rng_m = np.where(np.isfinite(t), np.hypot(fwd, lat), np.inf).astype(np.float32)
        ground = rng_m < max_range_m
        rows = np.nonzero(ground.any(1))[0]
        self.g0 = int(rows[0]) if len(rows) else camera.image_height
        self.fwd = np.where(ground, fwd, 0)[self.g0 :].astype(np.float32)
        self.lat = np.where(ground, lat, 0)[self.g0 :].astype(np.float32)
        g = ground[self.g0 :]
        r = rng_m[self.g0 :]
        bands = (
            (0.0, 0.0, 12.0, 16.0),
            (8.0, 12.0, 36.0, 44.0),
            (28.0, 36.0, max_range_m, max_range_m),
        )
        self.levels = []
        for level, (lo, r0, r1, r2) in enumerate(bands):
            sel = g & (r >= lo) & (r < r2)
            if not sel.any():
                continue
            w_in = np.clip((r - lo) / max(r0 - lo, 1e-6), 0, 1) if level else np.ones_like(r)
            w_out = np.clip((r2 - r) / max(r2 - r1, 1e-6), 0, 1) if r2 > r1 else np.ones_like(r)
            wgt = np.where(sel, np.minimum(w_in, w_out), 0.0).astype(np.float32)
            rr = np.nonzero(sel.any(1))[0]
            a, b = int(rr[0]), int(rr[-1]) + 1
            ys, xs = np.nonzero(sel[a:b])
            pick = np.unique(np.concatenate([np.arange(0, len(xs), 7), [len(xs) - 1]]))
            outline = (self.fwd[a:b][ys[pick], xs[pick]], self.lat[a:b][ys[pick], xs[pick]])
            self.levels.append((level, a, b, wgt[a:b], sel[a:b], outline))
        # composite far to near: each level goes "over" the ones behind it with
        # alpha = its weight / (sum of weights so far), giving the weighted mean
        wsum = np.zeros_like(r)
        over = []
        for lv in reversed(self.levels):
            _l, a, b, w, _s, _o = lv
            wsum[a:b] += w
            with np.errstate(divide="ignore", invalid="ignore"):
                al = np.where(wsum[a:b] > 1e-6, w / wsum[a:b], 0).astype(np.float32)
            over.append((*lv, al, (1 - al).astype(np.float32)))
        self.levels = over  # far first
        fog = np.clip((r - 25.0) / (max_range_m - 25.0), 0, 1) ** 1.3 * 0.75
        self.fog = np.where(g, fog, 0).astype(np.float32)
        self.nofog = (1 - self.fog).astype(np.float32)
        edge = np.clip((max_range_m - r) / 10.0, 0, 1)
        self.blend = np.where(g & (wsum > 1e-3), edge, 0).astype(np.float32)
        self.noblend = (1 - self.blend).astype(np.float32)
        rows_sky = np.nonzero((self.blend < 1).any(1))[0]
        self.p1 = self.g0 + (int(rows_sky[-1]) + 1 if len(rows_sky) else 0)
        up = rays[: self.p1]
        horiz = np.hypot(up[..., 0], up[..., 1])
        self.az = np.degrees(np.arctan2(up[..., 1], up[..., 0])).astype(np.float32)
        el = np.degrees(np.arctan2(-up[..., 2], horiz))
        self.pano_y = ((PANO_MAX_EL_DEG - el) / PANO_RES_DEG).astype(np.float32)
        self.sky_s = np.clip(el / 35.0, 0.0, 1.0).astype(np.float32)[..., None]
        self.cache: dict = {}


class Renderer:
    """Renders frames of one scene; keeps the tile cache, panorama and camera views between frames."""

    def __init__(self, scene: Scene, *, max_range_m: float = 80.0, panorama_seed: int = 7) -> None:
        self.scene = scene
        self.tiles = TileCache(scene)
        self.max_range_m = max_range_m
        self.pano = make_panorama(panorama_seed)
        self._views: dict[CameraModel, _View] = {}

    def view(self, camera: CameraModel) -> _View:
        if camera not in self._views:
            if len(self._views) > 4:
                self._views.clear()
            self._views[camera] = _View(camera, self.max_range_m)
        return self._views[camera]

    def render(
        self, camera: CameraModel, pose: Pose, light: Lighting = SUNNY
    ) -> tuple[np.ndarray, np.ndarray]:
        """One BGR frame and its occlusion mask: at each pixel 1 + the index in ``scene.boxes``
        of the skip or car in front (0 where none)."""
        H, W = camera.image_height, camera.image_width
        vw = self.view(camera)
        img = np.empty((H, W, 3), np.uint8)
        if vw.p1 > 0:
            self._draw_sky(img, vw, pose, light)
        if vw.levels:
            gimg = self._ground_image(vw, pose, light, H, W)
            if vw.p1 > vw.g0:
                k = vw.p1 - vw.g0
                img[vw.g0 : vw.p1] = cv2.blendLinear(
                    gimg[:k], img[vw.g0 : vw.p1], vw.blend[:k], vw.noblend[:k]
                )
                img[vw.p1 :] = gimg[k:]
            else:
                img[vw.g0 :] = gimg
        occl = np.zeros((H, W), np.uint8)
        draw_boxes(img, occl, self.scene.boxes, camera, pose)
        lut = vw.cache.get(("lut", light))
        if lut is None:
            x = np.arange(256, dtype=np.float32)[:, None] * light.gain + np.array(
                light.tint_bgr, np.float32
            )
            lut = np.clip(x, 0, 255).astype(np.uint8).reshape(256, 1, 3)
            vw.cache[("lut", light)] = lut
        return cv2.LUT(img, lut), occl

    def _draw_sky(self, img: np.ndarray, vw: _View, pose: Pose, light: Lighting) -> None:
        """Sky and skyline into the rows above ``vw.p1``."""
        key = ("sky", light)
        sky = vw.cache.get(key)
        if sky is None:
            sky = (
                np.array(light.sky_horizon_bgr, np.float32) * (1 - vw.sky_s)
                + np.array(light.sky_top_bgr, np.float32) * vw.sky_s
            ).astype(np.uint8)
            vw.cache[key] = sky
        mapx = (np.mod(vw.az + pose.heading_deg, 360.0) / PANO_RES_DEG).astype(np.float32)
        pano = cv2.remap(self.pano, mapx, vw.pano_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        img[: vw.p1] = np.where(pano[..., 3:] > 127, pano[..., :3], sky)

    def _ground_image(self, vw: _View, pose: Pose, light: Lighting, H: int, W: int) -> np.ndarray:
        """The ground below row ``vw.g0``: by range band and mip level, far levels first, hazed."""
        h = math.radians(pose.heading_deg)
        sh, ch = np.float32(math.sin(h)), np.float32(math.cos(h))
        gimg = np.zeros((H - vw.g0, W, 3), np.uint8)
        for level, a, b, _wgt, _sel, (of, ol), al, nal in vw.levels:
            xs = pose.x + of * sh + ol * ch
            ys = pose.y + of * ch - ol * sh
            mos, x0, y1 = self.tiles.mosaic(
                float(xs.min()) - 1,
                float(ys.min()) - 1,
                float(xs.max()) + 1,
                float(ys.max()) + 1,
                level,
            )
            inv = np.float32(1.0 / LEVEL_RES_M[level])
            f, la = vw.fwd[a:b], vw.lat[a:b]
            mx = np.float32((pose.x - x0) * inv - 0.5) + f * (sh * inv) + la * (ch * inv)
            my = np.float32((y1 - pose.y) * inv - 0.5) - f * (ch * inv) + la * (sh * inv)
            samp = cv2.remap(mos, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            gimg[a:b] = cv2.blendLinear(samp, gimg[a:b], al, nal)
        key = ("haze", light)
        haze = vw.cache.get(key)
        if haze is None:
            haze = np.empty_like(gimg)
            haze[:] = light.haze_bgr
            vw.cache[key] = haze
        return cv2.blendLinear(gimg, haze, vw.nofog, vw.fog)


def camera_points(camera: CameraModel, pose: Pose, xyz: np.ndarray) -> np.ndarray:
    """World points (n, 3: x east, y north, z up) to camera coordinates (n, 3: x right, y down, z depth)."""
    fwd, lat = vehicle_point_from_en(xyz[:, 0] - pose.x, xyz[:, 1] - pose.y, pose.heading_deg)
    rel = np.stack([fwd, lat, -xyz[:, 2]], axis=1) - camera.position_frd
    return rel @ camera.rotation()


def _clip_near(poly: np.ndarray) -> np.ndarray:
    """Clip a camera-space polygon to z >= near (Sutherland-Hodgman, one plane)."""
    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        ina, inb = a[2] >= _NEAR_Z, b[2] >= _NEAR_Z
        if ina:
            out.append(a)
        if ina != inb:
            t = (_NEAR_Z - a[2]) / (b[2] - a[2])
            out.append(a + t * (b - a))
    return np.array(out) if out else np.zeros((0, 3))


def _project(camera: CameraModel, pts: np.ndarray) -> np.ndarray:
    f = camera.focal_px
    return np.stack(
        [camera.cx + f * pts[:, 0] / pts[:, 2], camera.cy + f * pts[:, 1] / pts[:, 2]], axis=1
    )


_FACES = ((0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7), (4, 5, 6, 7))


def draw_boxes(
    img: np.ndarray, occl: np.ndarray, boxes: list[Box3D], camera: CameraModel, pose: Pose
) -> np.ndarray:
    """Draw 3-D boxes (painter's order) into ``img`` and ``occl`` (uint8 ids: 1 + box index), in place."""
    faces = []
    light_dir = np.array([0.4, -0.5, 0.77])
    for bi, box in enumerate(boxes):
        dx, dy = box.x - pose.x, box.y - pose.y
        if dx * dx + dy * dy > 90.0**2:
            continue
        corners = box.corners()
        cam = camera_points(camera, pose, corners)
        if (cam[:, 2] < _NEAR_Z).all():
            continue
        centre = corners.mean(0)
        for fi, face in enumerate(_FACES):
            wpts = corners[list(face)]
            normal = np.cross(wpts[1] - wpts[0], wpts[3] - wpts[0])
            normal /= np.linalg.norm(normal) + 1e-9
            if np.dot(normal, wpts.mean(0) - centre) < 0:
                normal = -normal
            poly = _clip_near(cam[list(face)])
            if len(poly) < 3:
                continue
            shade = 0.55 + 0.45 * max(0.0, float(np.dot(normal, light_dir)))
            faces.append((float(poly[:, 2].mean()), poly, box, fi, shade, bi))
    faces.sort(key=lambda f: -f[0])
    for _depth, poly, box, fi, shade, bi in faces:
        px = _project(camera, poly)
        if not np.isfinite(px).all() or np.abs(px).max() > 1e5:
            continue
        pts = np.round(px * 16).astype(np.int32)
        col = np.array(box.colour_bgr, np.float32) * shade
        if box.kind == "skip" and fi == 4:
            col = np.array([40.0, 55.0, 70.0])  # rubble inside the open top
        cv2.fillPoly(img, [pts], col.tolist(), cv2.LINE_AA, 4)
        if box.kind == "skip" and fi != 4:
            cv2.polylines(img, [pts], True, (0, 120, 170), 2, cv2.LINE_AA, 4)
        cv2.fillPoly(occl, [pts], min(bi + 1, 255), cv2.LINE_8, 4)
    return img


def object_footprints(
    scene: Scene, wear_threshold: float = 0.4
) -> list[tuple[str, str, np.ndarray]]:
    """``(class, object id, points (n, 3))`` for every labelled object of a scene."""
    out = []
    for ph in scene.potholes:
        pts = ph.outline(16)
        out.append(("pothole", ph.id, np.column_stack([pts, np.zeros(len(pts))])))
    for cr in scene.cracks:
        pts = cr.points()
        out.append(("crack", cr.id, np.column_stack([pts, np.zeros(len(pts))])))
    worn: dict[str, list[np.ndarray]] = {}
    for poly, wear, key in scene.paint:
        if key is not None and wear >= wear_threshold:
            worn.setdefault(key, []).append(poly)
    for key, polys in worn.items():
        out.append(
            (
                "faded_marking",
                key,
                np.column_stack([np.concatenate(polys), np.zeros(sum(map(len, polys)))]),
            )
        )
    for b in scene.boxes:
        if b.kind == "skip":
            out.append(("skip", b.id, b.corners()))
    return out


def label_boxes(
    scene: Scene,
    camera: CameraModel,
    pose: Pose,
    occl: np.ndarray | None = None,
    *,
    max_ground_range_m: float = 35.0,
    max_box_range_m: float = 60.0,
    min_px: float = 8.0,
    footprints: list | None = None,
) -> list[tuple[int, str, tuple[float, float, float, float]]]:
    """Pixel boxes ``(class_id, object id, (x1, y1, x2, y2))`` of the objects visible in a frame.

    Boxes come from projecting each object's ground footprint (or a skip's corners);
    ``footprints`` (from :func:`object_footprints`) saves recomputing them per frame.
    Objects beyond the range limits, mostly off-image, tiny (longer side under
    ``min_px`` or shorter side under 3 px), or mostly hidden behind a car or skip are dropped.
    """
    W, H = camera.image_width, camera.image_height
    out = []
    for cls, oid, pts in object_footprints(scene) if footprints is None else footprints:
        cam = camera_points(camera, pose, pts)
        vis = cam[:, 2] >= _NEAR_Z
        if cls == "faded_marking":
            vis &= cam[:, 2] <= max_ground_range_m
        if vis.sum() < 2:
            continue
        fwd_c, _ = vehicle_point_from_en(
            pts[:, 0].mean() - pose.x, pts[:, 1].mean() - pose.y, pose.heading_deg
        )
        limit = max_box_range_m if cls == "skip" else max_ground_range_m
        if fwd_c > limit or (cls != "faded_marking" and not vis.all()):
            continue
        px = _project(camera, cam[vis])
        if cls == "faded_marking":  # a long line: box the part inside the image only
            inside = (px[:, 0] >= 0) & (px[:, 0] <= W) & (px[:, 1] >= 0) & (px[:, 1] <= H)
            if inside.sum() < 2:
                continue
            px = px[inside]
        x1, y1 = px.min(0)
        x2, y2 = px.max(0)
        cx1, cy1, cx2, cy2 = max(x1, 0.0), max(y1, 0.0), min(x2, W), min(y2, H)
        bw, bh = cx2 - cx1, cy2 - cy1
        if max(bw, bh) < min_px or min(bw, bh) < 3.0:
            continue  # tiny
        if (cx2 - cx1) * (cy2 - cy1) < 0.5 * (x2 - x1) * (y2 - y1):
            continue  # mostly off-image
        if occl is not None:
            patch = occl[int(cy1) : int(math.ceil(cy2)), int(cx1) : int(math.ceil(cx2))]
            if cls == "skip":  # mostly hidden behind a car (or another skip)?
                own = 1 + next(k for k, b in enumerate(scene.boxes) if b.id == oid)
                if patch.size and (patch == own).mean() < 0.3:
                    continue
            elif patch.size and (patch > 0).mean() > 0.5:
                continue
        out.append((CLASS_IDS[cls], oid, (float(cx1), float(cy1), float(cx2), float(cy2))))
    return out
