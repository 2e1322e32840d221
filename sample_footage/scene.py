"""The synthetic world: roads, paint, defects and 3-D boxes in metric coordinates,
and the top-down ground texture painted from them in cached tiles.

Everything is in one metric CRS (EPSG:27700 for the Gillingham sample; any local
metric frame for training scenes): ``x`` east, ``y`` north, metres.
The renderer (``render.py``) samples these tiles through the camera model.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np
from shapely.geometry import LineString
from shapely.ops import substring

#: Carriageway widths (m) by highway tag.
ROAD_WIDTH_M = {
    "secondary": 7.3,
    "tertiary": 6.8,
    "unclassified": 6.0,
    "residential": 5.6,
    "service": 4.5,
}
PAVEMENT_M = 2.0
TILE_M = 25.6
LEVEL_RES_M = (0.04, 0.16, 0.64)  # metres per texel of the three mip levels
PAINT_WIDTH_M = 0.10
DASH_M, GAP_M = 3.0, 6.0

ASPHALT_BGR = np.array([88.0, 90.0, 92.0])
PAINT_BGR = np.array([225.0, 228.0, 230.0])
PAVEMENT_BGR = np.array([150.0, 156.0, 160.0])
VERGE_BGR = np.array([60.0, 110.0, 80.0])


@dataclass
class Road:
    """One carriageway centreline with its paint."""

    source_id: str
    line: LineString
    highway: str
    centre_line: bool = True
    edge_lines: bool = False
    wear_sections: list[tuple[float, float, float, str]] = field(default_factory=list)
    # (start_m, end_m, wear 0..1, which line: "centre" | "left" | "right")

    @property
    def width_m(self) -> float:
        return ROAD_WIDTH_M.get(self.highway, 5.6)


@dataclass
class Pothole:
    id: str
    x: float
    y: float
    width_m: float
    length_m: float
    angle_deg: float
    seed: int
    water: bool = False

    def outline(self, n: int = 24) -> np.ndarray:
        """Irregular outline (n, 2) in metres; deterministic per seed."""
        rng = np.random.default_rng(self.seed)
        th = np.linspace(0, 2 * np.pi, n, endpoint=False)
        k = np.arange(2, 5)
        amp = rng.uniform(0.04, 0.10, 3)
        ph = rng.uniform(0, 2 * np.pi, 3)
        r = 1.0 + (amp[:, None] * np.cos(k[:, None] * th[None, :] + ph[:, None])).sum(0)
        r = r / r.max()
        px = 0.5 * self.length_m * r * np.cos(th)
        py = 0.5 * self.width_m * r * np.sin(th)
        a = math.radians(self.angle_deg)
        return np.stack(
            [
                self.x + px * math.cos(a) - py * math.sin(a),
                self.y + px * math.sin(a) + py * math.cos(a),
            ],
            axis=1,
        )


@dataclass
class Crack:
    id: str
    polylines: list[np.ndarray]  # each (k, 2) metres

    def points(self) -> np.ndarray:
        return np.concatenate(self.polylines, axis=0)


@dataclass
class Box3D:
    """A box standing on the road: a skip (tapered) or a parked car."""

    id: str
    kind: str  # "skip" | "car"
    x: float
    y: float
    heading_deg: float  # of its long axis, clockwise from north
    length_m: float
    width_m: float
    height_m: float
    colour_bgr: tuple[int, int, int] = (0, 200, 240)

    def corners(self) -> np.ndarray:
        """(8, 3) corners x, y, z: bottom 4 then top 4 (a skip is wider at the top)."""
        top_scale = 1.18 if self.kind == "skip" else 0.92
        h = math.radians(self.heading_deg)
        fx, fy = math.sin(h), math.cos(h)  # long axis
        rx, ry = math.cos(h), -math.sin(h)  # across
        out = []
        for z, s in (
            (0.0, 0.82 if self.kind == "skip" else 1.0),
            (self.height_m, top_scale if self.kind == "skip" else 0.98),
        ):
            for a, b in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
                fl = a * self.length_m / 2 * s
                wl = b * self.width_m / 2 * (s if self.kind == "skip" else 1.0)
                out.append((self.x + fl * fx + wl * rx, self.y + fl * fy + wl * ry, z))
        return np.array(out)


@dataclass
class Scene:
    roads: list[Road]
    potholes: list[Pothole] = field(default_factory=list)
    cracks: list[Crack] = field(default_factory=list)
    boxes: list[Box3D] = field(default_factory=list)
    shadows: list[np.ndarray] = field(default_factory=list)  # ground polygons (k, 2)
    seed: int = 0
    patches: list[np.ndarray] = field(default_factory=list)  # repaired (patched) areas (k, 2)
    covers: list[tuple[float, float, float]] = field(
        default_factory=list
    )  # manholes: x, y, radius m
    # per patch (tone as a fraction of asphalt, seam grey level, seam width m); none: the default
    patch_styles: list[tuple[float, float, float]] | None = None

    def __post_init__(self) -> None:
        self.paint = paint_pieces(self.roads)  # list of (polygon (k,2), wear, section key)


def _wear_at(road: Road, s: float, which: str) -> tuple[float, str | None]:
    for i, (a, b, w, line) in enumerate(road.wear_sections):
        if line == which and a <= s <= b:
            return w, f"{road.source_id}:{i}"
    return 0.0, None


def paint_pieces(roads: list[Road]) -> list[tuple[np.ndarray, float, str | None]]:
    """Rectangles of paint (polygons in metres) with their wear and worn-section key."""
    out = []
    for road in roads:
        length = road.line.length
        lines = []
        if road.centre_line:
            lines.append(("centre", 0.0, True))
        if road.edge_lines:
            off = road.width_m / 2 - 0.35
            lines += [("left", off, False), ("right", -off, False)]
        for which, off, dashed in lines:
            base = road.line if off == 0 else road.line.offset_curve(off)
            if base.is_empty or base.length < 1:
                continue
            scale = base.length / length
            step = DASH_M + GAP_M if dashed else 1.0
            piece = DASH_M if dashed else 1.0
            s = 2.0 if dashed else 0.0
            while s + piece <= base.length:
                seg = substring(base, s, s + piece)
                if seg.length > 0.05:
                    poly = seg.buffer(PAINT_WIDTH_M / 2, cap_style="flat")
                    w, key = _wear_at(road, (s + piece / 2) / scale, which)
                    if not poly.is_empty and poly.geom_type == "Polygon":
                        out.append((np.asarray(poly.exterior.coords), w, key))
                s += step
    return out


# -- procedural texture -------------------------------------------------------------------
def _hash01(ix: np.ndarray, iy: np.ndarray, seed: int) -> np.ndarray:
    h = (ix.astype(np.int64) * 73856093) ^ (iy.astype(np.int64) * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    h = h ^ (h >> 16)
    return (h & 0xFFFF).astype(np.float32) / 65535.0


def value_noise(x: np.ndarray, y: np.ndarray, cell_m: float, seed: int) -> np.ndarray:
    """Smooth noise in [0, 1] on a world lattice (continuous across tiles)."""
    gx, gy = x / cell_m, y / cell_m
    ix, iy = np.floor(gx), np.floor(gy)
    fx, fy = gx - ix, gy - iy
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    a = _hash01(ix, iy, seed)
    b = _hash01(ix + 1, iy, seed)
    c = _hash01(ix, iy + 1, seed)
    d = _hash01(ix + 1, iy + 1, seed)
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


class TileCache:
    """Top-down ground texture of a scene in square tiles, at three mip levels.

    A tile needed only far away is painted at the coarse level directly (16x fewer
    texels); one needed near the camera is painted at full resolution.
    """

    def __init__(self, scene: Scene, max_tiles: int = 400) -> None:
        self.scene = scene
        self.max_tiles = max_tiles
        self._cache: OrderedDict[tuple[int, int], dict[int, np.ndarray]] = OrderedDict()
        self._road_bounds = [
            r.line.buffer(r.width_m / 2 + PAVEMENT_M + 0.5).bounds for r in scene.roads
        ]
        paint = scene.paint
        self._paint_bounds = (
            np.array(
                [
                    [p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()]
                    for p, _w, _k in paint
                ]
            )
            if paint
            else np.zeros((0, 4))
        )

    def tile(self, i: int, j: int, level: int) -> np.ndarray:
        key = (i, j)
        levels = self._cache.get(key)
        if levels is None or level not in levels:
            base = 0 if level == 0 else 1
            img = self._render(i, j, base)
            levels = {base: img}
            for lv in range(base + 1, 3):
                img = cv2.resize(
                    img, (img.shape[1] // 4, img.shape[0] // 4), interpolation=cv2.INTER_AREA
                )
                levels[lv] = img
            self._cache[key] = levels
            if len(self._cache) > self.max_tiles:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        # a full-resolution tile keeps only its small levels once far away (memory)
        return levels[level]

    def mosaic(self, x_min: float, y_min: float, x_max: float, y_max: float, level: int):
        """A mosaic covering the box; returns (image, x0, y1) of its top-left corner in metres."""
        i0, i1 = int(math.floor(x_min / TILE_M)), int(math.floor(x_max / TILE_M))
        j0, j1 = int(math.floor(y_min / TILE_M)), int(math.floor(y_max / TILE_M))
        n = int(round(TILE_M / LEVEL_RES_M[level]))
        img = np.empty(((j1 - j0 + 1) * n, (i1 - i0 + 1) * n, 3), np.uint8)
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                r = (j1 - j) * n
                c = (i - i0) * n
                img[r : r + n, c : c + n] = self.tile(i, j, level)
        return img, i0 * TILE_M, (j1 + 1) * TILE_M

    # ------------------------------------------------------------------------------------
    def _render(self, i: int, j: int, level: int) -> np.ndarray:
        res = LEVEL_RES_M[level]
        n = int(round(TILE_M / res))
        x0, y1 = i * TILE_M, (j + 1) * TILE_M
        seed = self.scene.seed
        xs = (x0 + (np.arange(n) + 0.5) * res).astype(np.float64)
        ys = (y1 - (np.arange(n) + 0.5) * res).astype(np.float64)
        gx, gy = np.meshgrid(xs, ys)

        def to_px(pts: np.ndarray) -> np.ndarray:
            p = np.empty((len(pts), 2))
            p[:, 0] = (pts[:, 0] - x0) / res
            p[:, 1] = (y1 - pts[:, 1]) / res
            return np.round(p * 16).astype(np.int32)  # 4 fractional bits

        def window(pts: np.ndarray, pad_m: float):
            c0 = max(int((pts[:, 0].min() - pad_m - x0) / res), 0)
            c1 = min(int((pts[:, 0].max() + pad_m - x0) / res) + 1, n)
            r0 = max(int((y1 - pts[:, 1].max() - pad_m) / res), 0)
            r1 = min(int((y1 - pts[:, 1].min() + pad_m) / res) + 1, n)
            return r0, r1, c0, c1

        tb = (x0 - 1, y1 - TILE_M - 1, x0 + TILE_M + 1, y1 + 1)

        def outside(b) -> bool:
            return b[2] < tb[0] or b[0] > tb[2] or b[3] < tb[1] or b[1] > tb[3]

        roads = [
            r for r, b in zip(self.scene.roads, self._road_bounds, strict=True) if not outside(b)
        ]
        kind = np.zeros((n, n), np.uint8)  # 0 verge, 1 pavement, 2 carriageway
        for r in roads:
            poly = r.line.buffer(r.width_m / 2 + PAVEMENT_M, cap_style="round")
            cv2.fillPoly(kind, [to_px(np.asarray(poly.exterior.coords))], 1, cv2.LINE_8, 4)
        for r in roads:
            poly = r.line.buffer(r.width_m / 2, cap_style="round")
            cv2.fillPoly(kind, [to_px(np.asarray(poly.exterior.coords))], 2, cv2.LINE_8, 4)
        mottle = (value_noise(gx, gy, 2.5, seed) * 0.6 + value_noise(gx, gy, 0.7, seed + 1) * 0.4)[
            ..., None
        ]
        rng = np.random.default_rng([seed, i & 0xFFFFFFFF, j & 0xFFFFFFFF, level])
        grain = rng.normal(0.0, 1.0 if level == 0 else 0.3, (n // 2, n // 2)).astype(np.float32)
        grain = cv2.resize(grain, (n, n), interpolation=cv2.INTER_LINEAR)[..., None]
        img = VERGE_BGR * (0.7 + 0.6 * value_noise(gx, gy, 1.3, seed + 2)[..., None]) + 10 * grain
        if roads:
            pave = PAVEMENT_BGR * (0.9 + 0.15 * mottle) + 6.0 * grain
            joints = (np.mod(gx, 0.9) < 0.03) | (np.mod(gy, 0.9) < 0.03)
            pave = np.where(joints[..., None], pave * 0.8, pave)
            asph = ASPHALT_BGR * (0.85 + 0.3 * mottle) + 9.0 * grain
            img = np.where((kind == 1)[..., None], pave, img)
            img = np.where((kind == 2)[..., None], asph, img)
        speck = value_noise(gx, gy, 0.06, seed + 3)
        # paint: intact pieces in one pass, worn ones per wear value
        pb = self._paint_bounds
        near = (
            np.nonzero(
                ~((pb[:, 2] < tb[0]) | (pb[:, 0] > tb[2]) | (pb[:, 3] < tb[1]) | (pb[:, 1] > tb[3]))
            )[0]
            if len(pb)
            else []
        )
        groups: dict[float, list[np.ndarray]] = {}
        for k in near:
            poly, wear, _key = self.scene.paint[k]
            groups.setdefault(round(wear, 2), []).append(to_px(poly))
        paint = np.zeros((n, n), np.float32)
        for wear, polys in groups.items():
            m = np.zeros((n, n), np.uint8)
            cv2.fillPoly(m, polys, 255, cv2.LINE_AA, 4)
            a = m.astype(np.float32) / 255.0
            if wear > 0:
                a *= np.clip((speck - wear) * 4.0 + 0.5 * (1 - wear), 0.0, 1.0)
            np.maximum(paint, a, out=paint)
        paint = paint[..., None]
        img = img * (1 - paint) + PAINT_BGR * paint * (0.9 + 0.1 * mottle)
        # potholes: dark irregular hole with a lighter broken rim
        for ph in self.scene.potholes:
            out = ph.outline()
            if outside((out[:, 0].min(), out[:, 1].min(), out[:, 0].max(), out[:, 1].max())):
                continue
            c0 = np.array([ph.x, ph.y])
            r0, r1, q0, q1 = window(c0 + (out - c0) * 1.3, 0.1)
            if r1 <= r0 or q1 <= q0:
                continue
            sub_off = np.array([q0, r0]) * 16

            def fill(pts, blur=0.0, shape=(r1 - r0, q1 - q0), sub_off=sub_off):
                m = np.zeros(shape, np.uint8)
                cv2.fillPoly(m, [to_px(pts) - sub_off], 255, cv2.LINE_AA, 4)
                if blur:
                    m = cv2.GaussianBlur(m, (0, 0), blur)
                return m.astype(np.float32)[..., None] / 255.0

            ra = fill(c0 + (out - c0) * 1.18)
            ha = fill(out)
            ia = fill(c0 + (out - c0) * 0.7, max(1.0, 0.08 * ph.width_m / res))
            win = img[r0:r1, q0:q1]
            sp = speck[r0:r1, q0:q1, None]
            win = (
                win * (1 - ra * 0.7) + np.array([128.0, 130.0, 132.0]) * (0.8 + 0.4 * sp) * ra * 0.7
            )
            if ph.water:
                hole = np.array([70.0, 60.0, 52.0]) + 25.0 * mottle[r0:r1, q0:q1]
            else:
                hole = np.array([42.0, 44.0, 46.0]) + 14.0 * grain[r0:r1, q0:q1]
            win = win * (1 - ha) + hole * ha
            img[r0:r1, q0:q1] = win * (1 - ia * 0.45)
        # repairs: darker, smoother rectangles with a sealed seam
        for k, pt in enumerate(self.scene.patches):
            if outside((pt[:, 0].min(), pt[:, 1].min(), pt[:, 0].max(), pt[:, 1].max())):
                continue
            tone, seam, seam_m = (
                self.scene.patch_styles[k] if self.scene.patch_styles else (0.62, 35.0, 0.05)
            )
            m = np.zeros((n, n), np.uint8)
            cv2.fillPoly(m, [to_px(pt)], 255, cv2.LINE_AA, 4)
            a = m.astype(np.float32)[..., None] / 255.0
            img = img * (1 - a) + (ASPHALT_BGR * tone + 3.0 * grain) * a
            cv2.polylines(
                img,
                [to_px(pt)],
                True,
                (seam, seam + 1.0, seam + 3.0),
                max(1, int(round(seam_m / res))),
                cv2.LINE_AA,
                4,
            )
        # manhole covers (distractors): grey iron disc, dark ring, cross-hatch
        for mx_, my_, mr in self.scene.covers:
            c = np.array([[mx_, my_]])
            if outside((mx_ - mr, my_ - mr, mx_ + mr, my_ + mr)):
                continue
            cen = tuple(int(v) for v in to_px(c)[0])
            rad = int(round(mr / res * 16))
            m = np.zeros((n, n), np.uint8)
            cv2.circle(m, cen, rad, 255, -1, cv2.LINE_AA, 4)
            a = m.astype(np.float32)[..., None] / 255.0
            hatch = (np.mod(gx - mx_ + gy - my_, 0.08) < 0.03) | (
                np.mod(gx - mx_ - gy + my_, 0.08) < 0.03
            )
            iron = np.where(hatch[..., None], 70.0, 105.0) + np.array([0.0, 2.0, 6.0]) + 6.0 * grain
            img = img * (1 - a) + iron * a
            cv2.circle(
                img, cen, rad, (45.0, 45.0, 47.0), max(1, int(round(0.04 / res))), cv2.LINE_AA, 4
            )
        # cracks: thin dark random-walk lines
        for cr in self.scene.cracks:
            pts = cr.points()
            if outside((pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())):
                continue
            m = np.zeros((n, n), np.uint8)
            cv2.polylines(
                m,
                [to_px(pl) for pl in cr.polylines],
                False,
                255,
                max(1, int(round(0.06 / res))),
                cv2.LINE_AA,
                4,
            )
            r0, r1, q0, q1 = window(pts, 0.2)
            a = m[r0:r1, q0:q1].astype(np.float32)[..., None] / 255.0 * 0.85
            img[r0:r1, q0:q1] = img[r0:r1, q0:q1] * (1 - a) + np.array([28.0, 29.0, 30.0]) * a
        # soft shadow bands
        shade = np.zeros((n, n), np.uint8)
        for sh in self.scene.shadows:
            if not outside((sh[:, 0].min(), sh[:, 1].min(), sh[:, 0].max(), sh[:, 1].max())):
                cv2.fillPoly(shade, [to_px(sh)], 255, cv2.LINE_AA, 4)
        if shade.any():
            s = cv2.GaussianBlur(shade, (0, 0), 0.25 / res).astype(np.float32)[..., None] / 255.0
            img = img * (1 - 0.45 * s) + np.array([12.0, 0.0, -6.0]) * s
        return np.clip(img, 0, 255).astype(np.uint8)


def crack_polylines(
    rng: np.random.Generator, x: float, y: float, heading_deg: float, length_m: float
) -> list[np.ndarray]:
    """A main random-walk crack along ``heading_deg`` with one or two branches."""

    def walk(x0, y0, ang, length):
        k = max(4, int(length / 0.12))
        steps = rng.normal(0, 0.35, k).cumsum() * 0.3 + math.radians(ang)
        d = length / k
        xs = x0 + np.concatenate([[0], np.cumsum(d * np.sin(steps))])
        ys = y0 + np.concatenate([[0], np.cumsum(d * np.cos(steps))])
        return np.stack([xs, ys], axis=1)

    h = heading_deg
    main = walk(
        x - 0.5 * length_m * math.sin(math.radians(h)),
        y - 0.5 * length_m * math.cos(math.radians(h)),
        h,
        length_m,
    )
    out = [main]
    for _ in range(int(rng.integers(1, 3))):
        p = main[int(rng.integers(len(main) // 4, 3 * len(main) // 4))]
        out.append(
            walk(
                p[0],
                p[1],
                h + rng.choice([-1, 1]) * rng.uniform(30, 70),
                length_m * rng.uniform(0.2, 0.4),
            )
        )
    return out


def road_frame(line: LineString, s: float) -> tuple[float, float, float]:
    """Point (x, y) at chainage ``s`` and the heading (degrees clockwise from north) there."""
    s = min(max(s, 0.0), line.length)
    p = line.interpolate(s)
    q = line.interpolate(min(s + 0.5, line.length))
    o = line.interpolate(max(s - 0.5, 0.0))
    return p.x, p.y, math.degrees(math.atan2(q.x - o.x, q.y - o.y)) % 360.0
