"""The synthetic world: roads, paint, defects and 3-D boxes in metric coordinates.

Everything is in one metric CRS (EPSG:27700 for the Gillingham sample; any local
metric frame for training scenes): ``x`` east, ``y`` north, metres.
``tiles.py`` paints the top-down ground texture from these objects in cached tiles;
the renderer (``render.py``) samples those tiles through the camera model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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
