"""Where things are in the sample drive: defects, skips, parked cars, shadows, lighting.

Objects are placed by route chainage and lateral offset (metres, + = right of the
direction of travel, as in :mod:`geo.placement.camera`); the truck drives at
``-LANE_OFFSET_M`` (keeping left). Ground truth is written from these objects.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import LineString, Point

from sample_footage.render import OVERCAST, SUNNY, Lighting
from sample_footage.route import DRIVE_ROUTE, metric_roads, route_line
from sample_footage.scene import Box3D, Crack, Pothole, Road, Scene, crack_polylines, road_frame

# (id, route chainage m, lateral m, width_m across, length_m along, water)
POTHOLES = [
    ("P01", 35.0, -1.3, 0.55, 0.65, False),
    ("P02", 95.0, -2.0, 0.90, 1.10, True),
    ("P03", 180.0, -0.9, 0.30, 0.35, False),
    ("P04", 215.0, 1.5, 0.70, 0.80, False),
    ("P05", 395.0, -1.8, 1.20, 1.00, False),
    ("P06", 455.0, -0.7, 0.22, 0.25, False),
    ("P07", 560.0, -2.6, 0.60, 0.70, False),
    ("P08", 760.0, -1.4, 0.80, 0.90, True),
    ("P09", 805.0, 1.2, 0.40, 0.50, False),
]
# (id, chainage, lateral, length m, angle to the road in degrees)
CRACKS = [
    ("K01", 120.0, -1.5, 2.0, 5.0),
    ("K02", 270.0, -2.1, 2.5, 25.0),
    ("K03", 500.0, -1.2, 2.6, 80.0),
    ("K04", 830.0, -0.6, 1.8, -10.0),
]
# worn paint: (id, route start m, route end m, wear, line) on the road under that chainage
WORN = [
    ("M01", 190.0, 215.0, 0.75, "centre"),
    ("M02", 380.0, 420.0, 0.85, "centre"),
    ("M03", 520.0, 555.0, 0.65, "left"),
    ("M04", 735.0, 752.0, 0.90, "centre"),
]
SKIPS = [("S01", 110.0, 1.95), ("S02", 850.0, 1.95)]
CARS = [
    (20.0, 1.9, (40, 40, 160)),
    (62.0, 1.9, (150, 150, 150)),
    (150.0, 2.5, (90, 60, 30)),
    (250.0, 2.5, (30, 30, 30)),
    (680.0, 1.9, (200, 200, 205)),
    (712.0, 1.9, (120, 40, 40)),
    (742.0, 1.9, (40, 90, 40)),
]
SHADOW_AT = [(150.0, 6.0), (300.0, 3.0), (330.0, 5.0), (660.0, 4.0), (780.0, 6.0)]
#: Collection stops (route chainage m, dwell s): bins are emptied here.
STOPS = [(55.0, 7.0), (700.0, 8.0)]
#: Video-time interval without GPS fixes (s): 4 s on the B road (chainage ~600-628), where no
#: defect is near; fixes either side are 5 s apart, so a sampler with max_gap_s < 5 drops ~9 frames.
GPS_GAP_S = (92.0, 96.0)

#: drive2, 14 days later over the first part of the route: P01, P02 and P04 patched,
#: P03 still open, skip S01 gone (its 14-day licence ended).
DRIVE2_REPAIRED = frozenset({"P01", "P02", "P04"})
DRIVE2_REMOVED = frozenset({"S01"})
DRIVE2_END_M = 250.0
DRIVE2_STOPS = [(70.0, 9.0)]


def place(route: LineString, s: float, lateral_m: float) -> tuple[float, float, float]:
    """World x, y at route chainage ``s`` and ``lateral_m`` right of travel; and the road heading."""
    x, y, h = road_frame(route, s)
    r = math.radians(h)
    return x + lateral_m * math.cos(r), y - lateral_m * math.sin(r), h


def _feature_at(route_legs: list[tuple[float, float, str]], s: float) -> int:
    for k, (a, b, _ids) in enumerate(route_legs):
        if a <= s <= b:
            return k
    return len(route_legs) - 1


def _car(cid: str, x: float, y: float, h: float, colour) -> list[Box3D]:
    return [
        Box3D(cid, "car", x, y, h, 4.3, 1.8, 0.85, colour),
        Box3D(
            cid + "c",
            "car",
            x - 0.3 * math.sin(math.radians(h)),
            y - 0.3 * math.cos(math.radians(h)),
            h,
            2.3,
            1.65,
            1.45,
            (70, 60, 55),
        ),
    ]


def drive_scene(
    seed: int = 11, repaired: frozenset[str] = frozenset(), removed: frozenset[str] = frozenset()
) -> tuple[Scene, LineString, dict]:
    """The scene of the sample drive, its route centreline and the object metadata for ground truth.

    ``repaired`` lists pothole ids patched before this drive (drawn as a patch instead);
    ``removed`` lists skips taken away before it.
    """
    roads = metric_roads()
    route, legs = route_line(roads, DRIVE_ROUTE)
    leg_ids = [(a, b, DRIVE_ROUTE[k]) for k, (a, b, _hw) in enumerate(legs)]
    rng = np.random.default_rng(seed)
    meta: dict[str, dict] = {}
    scene_roads = _make_roads(roads, _wear_by_road(roads, leg_ids, meta))
    cracks, boxes, shadows = [], [], []
    potholes = _place_potholes(route, rng, repaired, meta, shadows)
    for kid, s, lat, ln, ang in CRACKS:
        x, y, h = place(route, s, lat)
        polys = crack_polylines(rng, x, y, h + ang, ln)
        cracks.append(Crack(kid, polys))
        meta[kid] = {"class": "crack", "x": x, "y": y, "heading": h}
    for sid, s, lat in SKIPS:
        x, y, h = place(route, s, lat)
        meta[sid] = {"class": "skip", "x": x, "y": y, "heading": h, "width_m": 1.8, "length_m": 3.7}
        if sid not in removed:
            boxes.append(Box3D(sid, "skip", x, y, h, 3.7, 1.8, 1.2, (0, 200, 245)))
    for i, (s, lat, col) in enumerate(CARS):
        x, y, h = place(route, s, lat)
        boxes += _car(f"car{i}", x, y, h, col)
    for s, r in SHADOW_AT:
        x, y, _h = place(route, s, float(rng.uniform(-4, 4)))
        th = np.linspace(0, 2 * np.pi, 18, endpoint=False)
        rr = r * (1 + 0.2 * np.sin(3 * th + rng.uniform(0, 6)))
        shadows.append(np.column_stack([x + rr * np.cos(th), y + 0.6 * rr * np.sin(th)]))
    scene = Scene(scene_roads, potholes, cracks, boxes, shadows=[], seed=seed)
    scene.shadows = [s for s in shadows if len(s) > 4]
    scene.patches = [s for s in shadows if len(s) == 4]
    return scene, route, meta


def _wear_by_road(roads: dict, leg_ids: list, meta: dict[str, dict]) -> dict[str, list]:
    """The WORN sections as (start_m, end_m, wear, line) along each road's own direction;
    each one's ground-truth metadata goes into ``meta``."""
    wear_by_road: dict[str, list] = {}
    for wid, a, b, wear, line in WORN:
        k = _feature_at(leg_ids, (a + b) / 2)
        la, lb, (rid, forward) = leg_ids[k]
        length = roads[rid][0].length
        ra, rb = (a - la, b - la) if forward else (length - (b - la), length - (a - la))
        # "left"/"right" lines are named along the digitised direction
        if not forward and line != "centre":
            line = "right" if line == "left" else "left"
        wear_by_road.setdefault(rid, []).append((ra, rb, wear, line))
        meta[wid] = {
            "class": "faded_marking",
            "road": rid,
            "wear": wear,
            "line": line,
            "range": (ra, rb),
        }
    return wear_by_road


def _make_roads(roads: dict, wear_by_road: dict[str, list]) -> list[Road]:
    """A scene Road per network road: centre lines except on service roads, edge lines on
    secondary and tertiary roads."""
    scene_roads = []
    for rid, (line, props) in roads.items():
        hw = props["highway"]
        scene_roads.append(
            Road(
                rid,
                line,
                hw,
                centre_line=hw != "service",
                edge_lines=hw in ("secondary", "tertiary"),
                wear_sections=wear_by_road.get(rid, []),
            )
        )
    return scene_roads


def _place_potholes(route, rng, repaired: frozenset[str], meta: dict, shadows: list) -> list:
    """The POTHOLES; a repaired one becomes a patch rectangle appended to ``shadows``."""
    potholes = []
    for pid, s, lat, w, ln, water in POTHOLES:
        x, y, h = place(route, s, lat)
        meta[pid] = {"class": "pothole", "x": x, "y": y, "heading": h}
        if pid in repaired:
            shadows.append(_patch(x, y, h, w * 1.6, ln * 1.6))
            meta[pid]["repaired"] = True
            continue
        # Pothole.outline: length along angle_deg measured anticlockwise from east
        potholes.append(
            Pothole(pid, x, y, w, ln, 90.0 - h, seed=int(rng.integers(1 << 30)), water=water)
        )
    return potholes


def _patch(x: float, y: float, h: float, w: float, ln: float) -> np.ndarray:
    r = math.radians(h)
    f = np.array([math.sin(r), math.cos(r)])
    rt = np.array([math.cos(r), -math.sin(r)])
    c = np.array([x, y])
    return np.array(
        [c + a * ln / 2 * f + b * w / 2 * rt for a, b in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
    )


def lighting_at(s: float) -> tuple[Lighting, float]:
    """Lighting by route chainage: sunny, clouding over on the B road, sunny again. Returns (light, k)."""
    k = float(np.interp(s, [0, 330, 380, 600, 650, 1e9], [0, 0, 1, 1, 0, 0]))
    k = round(k * 10) / 10
    return mix_lighting(SUNNY, OVERCAST, k), k


def mix_lighting(a: Lighting, b: Lighting, k: float) -> Lighting:
    def mix(p, q):
        if isinstance(p, tuple):
            return tuple(type(x)(x + (y - x) * k) for x, y in zip(p, q, strict=True))
        return p + (q - p) * k

    return Lighting(*(mix(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__))


def segment_of(roads: dict, x: float, y: float) -> tuple[str, float]:
    """Nearest road feature id and the distance (m) to it."""
    p = Point(x, y)
    best = min(roads, key=lambda rid: roads[rid][0].distance(p))
    return best, roads[best][0].distance(p)
