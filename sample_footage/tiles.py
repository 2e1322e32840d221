"""The top-down ground texture of a scene, painted in cached square tiles at three mip levels.

Roads, pavement and verge, then paint, potholes, repairs, manhole covers, cracks and shadows,
all from the metric objects of :mod:`sample_footage.scene`. The renderer (``render.py``)
samples these tiles through the camera model.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from sample_footage.scene import (
    ASPHALT_BGR,
    LEVEL_RES_M,
    PAINT_BGR,
    PAVEMENT_BGR,
    PAVEMENT_M,
    TILE_M,
    VERGE_BGR,
    Crack,
    Pothole,
    Road,
    Scene,
)


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
        g = _TileGrid.at(i, j, level)
        seed = self.scene.seed
        gx, gy = g.meshgrid()
        roads = [
            r for r, b in zip(self.scene.roads, self._road_bounds, strict=True) if not g.outside(b)
        ]
        kind = _kinds_from_roads(g, roads)
        mottle = (value_noise(gx, gy, 2.5, seed) * 0.6 + value_noise(gx, gy, 0.7, seed + 1) * 0.4)[
            ..., None
        ]
        rng = np.random.default_rng([seed, i & 0xFFFFFFFF, j & 0xFFFFFFFF, level])
        grain = rng.normal(0.0, 1.0 if level == 0 else 0.3, (g.n // 2, g.n // 2)).astype(np.float32)
        grain = cv2.resize(grain, (g.n, g.n), interpolation=cv2.INTER_LINEAR)[..., None]
        img = VERGE_BGR * (0.7 + 0.6 * value_noise(gx, gy, 1.3, seed + 2)[..., None]) + 10 * grain
        if roads:
            img = _surface_from_kinds(img, kind, gx, gy, mottle, grain)
        speck = value_noise(gx, gy, 0.06, seed + 3)
        paint = self._paint_alpha(g, speck)
        img = img * (1 - paint) + PAINT_BGR * paint * (0.9 + 0.1 * mottle)
        for ph in self.scene.potholes:
            _draw_pothole(img, g, ph, speck, mottle, grain)
        img = _draw_patches(img, g, self.scene, grain)
        img = _draw_covers(img, g, self.scene.covers, gx, gy, grain)
        _draw_cracks(img, g, self.scene.cracks)
        img = _shade_shadows(img, g, self.scene.shadows)
        return np.clip(img, 0, 255).astype(np.uint8)

    def _paint_alpha(self, g: _TileGrid, speck: np.ndarray) -> np.ndarray:
        """Paint cover (n, n, 1): intact pieces in one pass, worn ones per wear value."""
        n, tb = g.n, g.tb
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
            groups.setdefault(round(wear, 2), []).append(g.to_px(poly))
        paint = np.zeros((n, n), np.float32)
        for wear, polys in groups.items():
            m = np.zeros((n, n), np.uint8)
            cv2.fillPoly(m, polys, 255, cv2.LINE_AA, 4)
            a = m.astype(np.float32) / 255.0
            if wear > 0:
                a *= np.clip((speck - wear) * 4.0 + 0.5 * (1 - wear), 0.0, 1.0)
            np.maximum(paint, a, out=paint)
        return paint[..., None]


@dataclass(frozen=True)
class _TileGrid:
    """The texel grid of one tile: ``n`` x ``n`` texels of ``res`` metres from (x0, y1) top-left."""

    x0: float
    y1: float
    res: float
    n: int

    @classmethod
    def at(cls, i: int, j: int, level: int) -> _TileGrid:
        res = LEVEL_RES_M[level]
        return cls(i * TILE_M, (j + 1) * TILE_M, res, int(round(TILE_M / res)))

    @property
    def tb(self) -> tuple[float, float, float, float]:
        x0, y1 = self.x0, self.y1
        return (x0 - 1, y1 - TILE_M - 1, x0 + TILE_M + 1, y1 + 1)

    def meshgrid(self) -> tuple[np.ndarray, np.ndarray]:
        """World x and y (metres) of every texel centre."""
        n, res = self.n, self.res
        xs = (self.x0 + (np.arange(n) + 0.5) * res).astype(np.float64)
        ys = (self.y1 - (np.arange(n) + 0.5) * res).astype(np.float64)
        return np.meshgrid(xs, ys)

    def to_px(self, pts: np.ndarray) -> np.ndarray:
        p = np.empty((len(pts), 2))
        p[:, 0] = (pts[:, 0] - self.x0) / self.res
        p[:, 1] = (self.y1 - pts[:, 1]) / self.res
        return np.round(p * 16).astype(np.int32)  # 4 fractional bits

    def window(self, pts: np.ndarray, pad_m: float):
        x0, y1, res, n = self.x0, self.y1, self.res, self.n
        c0 = max(int((pts[:, 0].min() - pad_m - x0) / res), 0)
        c1 = min(int((pts[:, 0].max() + pad_m - x0) / res) + 1, n)
        r0 = max(int((y1 - pts[:, 1].max() - pad_m) / res), 0)
        r1 = min(int((y1 - pts[:, 1].min() + pad_m) / res) + 1, n)
        return r0, r1, c0, c1

    def outside(self, b) -> bool:
        tb = self.tb
        return b[2] < tb[0] or b[0] > tb[2] or b[3] < tb[1] or b[1] > tb[3]

    def outside_points(self, pts: np.ndarray) -> bool:
        return self.outside((pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()))


def _kinds_from_roads(g: _TileGrid, roads: list[Road]) -> np.ndarray:
    """Per texel: 0 verge, 1 pavement, 2 carriageway."""
    kind = np.zeros((g.n, g.n), np.uint8)
    for r in roads:
        poly = r.line.buffer(r.width_m / 2 + PAVEMENT_M, cap_style="round")
        cv2.fillPoly(kind, [g.to_px(np.asarray(poly.exterior.coords))], 1, cv2.LINE_8, 4)
    for r in roads:
        poly = r.line.buffer(r.width_m / 2, cap_style="round")
        cv2.fillPoly(kind, [g.to_px(np.asarray(poly.exterior.coords))], 2, cv2.LINE_8, 4)
    return kind


def _surface_from_kinds(img, kind, gx, gy, mottle, grain) -> np.ndarray:
    """Paving slabs on the pavement and asphalt on the carriageway over the verge ``img``."""
    pave = PAVEMENT_BGR * (0.9 + 0.15 * mottle) + 6.0 * grain
    joints = (np.mod(gx, 0.9) < 0.03) | (np.mod(gy, 0.9) < 0.03)
    pave = np.where(joints[..., None], pave * 0.8, pave)
    asph = ASPHALT_BGR * (0.85 + 0.3 * mottle) + 9.0 * grain
    img = np.where((kind == 1)[..., None], pave, img)
    return np.where((kind == 2)[..., None], asph, img)


def _draw_pothole(img, g: _TileGrid, ph: Pothole, speck, mottle, grain) -> None:
    """A dark irregular hole with a lighter broken rim, drawn into ``img`` in place."""
    out = ph.outline()
    if g.outside_points(out):
        return
    c0 = np.array([ph.x, ph.y])
    r0, r1, q0, q1 = g.window(c0 + (out - c0) * 1.3, 0.1)
    if r1 <= r0 or q1 <= q0:
        return
    sub_off = np.array([q0, r0]) * 16

    def fill(pts, blur=0.0, shape=(r1 - r0, q1 - q0), sub_off=sub_off):
        m = np.zeros(shape, np.uint8)
        cv2.fillPoly(m, [g.to_px(pts) - sub_off], 255, cv2.LINE_AA, 4)
        if blur:
            m = cv2.GaussianBlur(m, (0, 0), blur)
        return m.astype(np.float32)[..., None] / 255.0

    ra = fill(c0 + (out - c0) * 1.18)
    ha = fill(out)
    ia = fill(c0 + (out - c0) * 0.7, max(1.0, 0.08 * ph.width_m / g.res))
    win = img[r0:r1, q0:q1]
    sp = speck[r0:r1, q0:q1, None]
    win = win * (1 - ra * 0.7) + np.array([128.0, 130.0, 132.0]) * (0.8 + 0.4 * sp) * ra * 0.7
    if ph.water:
        hole = np.array([70.0, 60.0, 52.0]) + 25.0 * mottle[r0:r1, q0:q1]
    else:
        hole = np.array([42.0, 44.0, 46.0]) + 14.0 * grain[r0:r1, q0:q1]
    win = win * (1 - ha) + hole * ha
    img[r0:r1, q0:q1] = win * (1 - ia * 0.45)


def _draw_patches(img, g: _TileGrid, scene: Scene, grain) -> np.ndarray:
    """Repairs: darker, smoother rectangles with a sealed seam."""
    n, res = g.n, g.res
    for k, pt in enumerate(scene.patches):
        if g.outside_points(pt):
            continue
        tone, seam, seam_m = scene.patch_styles[k] if scene.patch_styles else (0.62, 35.0, 0.05)
        m = np.zeros((n, n), np.uint8)
        cv2.fillPoly(m, [g.to_px(pt)], 255, cv2.LINE_AA, 4)
        a = m.astype(np.float32)[..., None] / 255.0
        img = img * (1 - a) + (ASPHALT_BGR * tone + 3.0 * grain) * a
        cv2.polylines(
            img,
            [g.to_px(pt)],
            True,
            (seam, seam + 1.0, seam + 3.0),
            max(1, int(round(seam_m / res))),
            cv2.LINE_AA,
            4,
        )
    return img


def _draw_covers(img, g: _TileGrid, covers, gx, gy, grain) -> np.ndarray:
    """Manhole covers (distractors): grey iron disc, dark ring, cross-hatch."""
    n, res = g.n, g.res
    for mx_, my_, mr in covers:
        c = np.array([[mx_, my_]])
        if g.outside((mx_ - mr, my_ - mr, mx_ + mr, my_ + mr)):
            continue
        cen = tuple(int(v) for v in g.to_px(c)[0])
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
    return img


def _draw_cracks(img, g: _TileGrid, cracks: list[Crack]) -> None:
    """Thin dark random-walk lines, drawn into ``img`` in place."""
    n, res = g.n, g.res
    for cr in cracks:
        pts = cr.points()
        if g.outside_points(pts):
            continue
        m = np.zeros((n, n), np.uint8)
        cv2.polylines(
            m,
            [g.to_px(pl) for pl in cr.polylines],
            False,
            255,
            max(1, int(round(0.06 / res))),
            cv2.LINE_AA,
            4,
        )
        r0, r1, q0, q1 = g.window(pts, 0.2)
        a = m[r0:r1, q0:q1].astype(np.float32)[..., None] / 255.0 * 0.85
        img[r0:r1, q0:q1] = img[r0:r1, q0:q1] * (1 - a) + np.array([28.0, 29.0, 30.0]) * a


def _shade_shadows(img, g: _TileGrid, shadows: list[np.ndarray]) -> np.ndarray:
    """Soft shadow bands."""
    shade = np.zeros((g.n, g.n), np.uint8)
    for sh in shadows:
        if not g.outside_points(sh):
            cv2.fillPoly(shade, [g.to_px(sh)], 255, cv2.LINE_AA, 4)
    if shade.any():
        s = cv2.GaussianBlur(shade, (0, 0), 0.25 / g.res).astype(np.float32)[..., None] / 255.0
        img = img * (1 - 0.45 * s) + np.array([12.0, 0.0, -6.0]) * s
    return img
