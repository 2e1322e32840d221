"""The camera, the skip's random model, and the old flat-shaded roadside look-alikes.

Used by :mod:`sample_footage.skip_composites`. A level camera over a flat road (x right, y up,
z forward, metres). The skip itself is drawn by :mod:`sample_footage.skip_render` (textured,
session 6); the look-alikes here (cars, vans, barriers, bins: plain shaded boxes) are drawn
only with ``skip_composites.py --rendered-negatives``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

SKIP_CLASS = 3
COLOURS = {  # BGR
    "yellow": (20, 200, 240),
    "blue": (170, 90, 30),
    "green": (40, 120, 40),
    "red": (40, 40, 190),
    "orange": (20, 120, 235),
    "grey": (130, 130, 125),
    "white": (225, 225, 220),
    "black": (40, 40, 40),
    "brown": (30, 60, 100),
}
KINDS = ("open", "open", "open", "enclosed", "roro")
STATES = ("empty", "rubble", "rubble", "covered")


@dataclass(frozen=True)
class Camera:
    """A level pinhole camera over a flat road: x right, y up, z forward (metres)."""

    f: float
    cx: float
    horizon_y: float
    height_m: float

    def project(self, pts: np.ndarray) -> np.ndarray:
        z = np.maximum(pts[:, 2], 0.1)
        u = self.cx + self.f * pts[:, 0] / z
        v = self.horizon_y + self.f * (self.height_m - pts[:, 1]) / z
        return np.stack([u, v], axis=1)


#: Where the horizon lies in each source's photos (fraction of the height), by eye on a few
#: train images: the DNIT survey camera looks down the highway with the vanishing point near
#: the top edge; Roboflow's street photos are mostly level, handheld or dashcam.
HORIZON_FRAC = {"brazil": (-0.05, 0.12), "roboflow": (0.30, 0.50)}


def random_camera(rng: np.random.Generator, w: int, h: int, source: str) -> Camera:
    hfov = math.radians(rng.uniform(55, 95))
    lo, hi = HORIZON_FRAC[source]
    return Camera(
        f=(w / 2) / math.tan(hfov / 2),
        cx=w / 2 + rng.uniform(-0.05, 0.05) * w,
        horizon_y=h * rng.uniform(lo, hi),
        height_m=rng.uniform(1.4, 3.0),
    )


def _box(x0, x1, y0, y1, z0b, z1b, z0t=None, z1t=None) -> np.ndarray:
    """8 corners: bottom (y0) z0b..z1b, top (y1) z0t..z1t (sloped ends when they differ)."""
    z0t = z0b if z0t is None else z0t
    z1t = z1b if z1t is None else z1t
    return np.array(
        [
            [x0, y0, z0b], [x1, y0, z0b], [x1, y0, z1b], [x0, y0, z1b],
            [x0, y1, z0t], [x1, y1, z0t], [x1, y1, z1t], [x0, y1, z1t],
        ],
        dtype=float,
    )  # fmt: skip


# faces of a _box: (name, corner indices, outward normal hint)
FACES = {
    "left": (0, 3, 7, 4),
    "right": (1, 2, 6, 5),
    "near": (0, 1, 5, 4),
    "far": (3, 2, 6, 7),
    "top": (4, 5, 6, 7),
}


def place(corners: np.ndarray, x: float, z: float, yaw: float) -> np.ndarray:
    """Local model ``corners`` (N x 3, metres) turned by ``yaw`` and moved to ground (x, z)."""
    c, s = math.cos(yaw), math.sin(yaw)
    out = corners.copy()
    out[:, 0], out[:, 2] = (
        corners[:, 0] * c + corners[:, 2] * s,
        -corners[:, 0] * s + corners[:, 2] * c,
    )
    out[:, 0] += x
    out[:, 2] += z
    return out


def _shade(colour, face: str, light: float, sun_side: float) -> tuple[int, int, int]:
    k = {"top": 1.0, "near": 0.8, "far": 0.6}.get(face, 0.7)
    if face in ("left", "right"):
        k = 0.85 if (face == "right") == (sun_side > 0) else 0.55
    return tuple(int(np.clip(ch * k * light, 0, 255)) for ch in colour)


def _faces_towards_camera(corners: np.ndarray, height_m: float) -> list[str]:
    """Faces whose outward side looks at the camera (at the origin, ``height_m`` up), far first."""
    centre = corners.mean(axis=0)
    cam = np.array([0.0, height_m, 0.0])
    out = []
    for name, idx in FACES.items():
        fc = corners[list(idx)].mean(axis=0)
        if float(np.dot(fc - centre, cam - fc)) > 0:
            out.append((float(np.linalg.norm(fc - cam)), name))
    return [n for _, n in sorted(out, reverse=True)]


def _fill(img, poly, colour) -> None:
    cv2.fillPoly(img, [np.round(poly).astype(np.int32)], colour, lineType=cv2.LINE_AA)


def _texture(img, poly, rng, palette, n: int) -> None:
    """Scatter small blobs of ``palette`` colours inside ``poly`` (rubble, rust)."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 255)
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return
    size = max(1, int(math.sqrt(len(xs)) / 30))
    layer = img.copy()
    for i in rng.integers(0, len(xs), n):
        col = palette[int(rng.integers(len(palette)))]
        cv2.circle(layer, (int(xs[i]), int(ys[i])), int(rng.integers(1, size + 2)), col, -1)
    img[mask > 0] = layer[mask > 0]


@dataclass(frozen=True)
class SkipModel:
    kind: str  # open | enclosed | roro
    state: str  # empty | rubble | covered
    colour: str
    rusty: bool
    markings: bool
    lamps: bool
    cones: int
    width_m: float
    base_m: float
    top_m: float
    height_m: float


def random_skip(rng: np.random.Generator) -> SkipModel:
    """Sizes of UK skips: open builders' skips 1.2-1.8 m wide, 2.0-3.7 m long at the base,
    0.9-1.3 m high (maxi skips to 1.8 m), ends sloped 30-40 deg from the vertical; enclosed
    skips taller; RORO containers 5-6.5 m long with upright ends."""
    kind = str(rng.choice(KINDS))
    colour = str(rng.choice(list(COLOURS)))
    if kind == "roro":
        w, base, h = rng.uniform(2.2, 2.5), rng.uniform(5.0, 6.5), rng.uniform(1.2, 2.4)
        top = base
    else:
        w, base = rng.uniform(1.2, 1.8), rng.uniform(2.0, 3.7)
        h = rng.uniform(0.9, 1.3) if rng.random() < 0.8 else rng.uniform(1.3, 1.8)
        if kind == "enclosed":
            h = rng.uniform(1.3, 1.8)
        top = base + 2 * h * math.tan(math.radians(rng.uniform(30, 40)))
    state = "covered" if kind == "enclosed" else str(rng.choice(STATES))
    return SkipModel(
        kind, state, colour, bool(rng.random() < 0.3), bool(rng.random() < 0.5),
        bool(rng.random() < 0.3), int(rng.choice([0, 0, 1, 2, 3])), w, base, top, h,
    )  # fmt: skip


def _draw_block(img, cam, corners, colour, light, sun_side, rng=None, rusty=False) -> dict:
    """Draw a box's camera-facing faces; return their image polygons by name."""
    polys = {}
    for name in _faces_towards_camera(corners, cam.height_m):
        poly = cam.project(corners[list(FACES[name])])
        shade = _shade(colour, name, light, sun_side)
        _fill(img, poly, shade)
        if rng is not None:  # dirt and dents: darker and lighter specks of the same paint
            specks = [tuple(int(c * k) for c in shade) for k in (0.7, 0.85, 1.1)]
            _texture(img, poly, rng, specks, int(rng.integers(20, 80)))
        rim = max(1, int(round(0.06 * cam.f / max(float(corners[:, 2].mean()), 1.0))))
        dark = tuple(int(c * 0.5) for c in shade)
        cv2.polylines(img, [np.round(poly).astype(np.int32)], True, dark, rim, cv2.LINE_AA)
        if rusty and rng is not None:
            rust = [(20, 50, 110), (25, 70, 140), (30, 40, 80)]
            _texture(img, poly, rng, rust, int(rng.integers(15, 60)))
        polys[name] = poly
    return polys


def _shadow(img, cam, corners, sun) -> None:
    """A soft dark footprint cast away from the sun (sun = ground offset per metre of height)."""
    foot = corners[:4].copy()
    cast = corners[4:].copy()
    cast[:, 0] += sun[0] * cast[:, 1]
    cast[:, 2] += sun[1] * cast[:, 1]
    cast[:, 1] = 0
    pts = cam.project(np.vstack([foot, cast]))
    hull = cv2.convexHull(np.round(pts).astype(np.int32))
    mask = np.zeros(img.shape[:2], np.float32)
    cv2.fillConvexPoly(mask, hull, 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]
    img[:] = (img * (1 - 0.45 * mask)).astype(np.uint8)


def draw_negative(img, cam, rng, x, z, yaw, light, sun) -> str:
    """An unlabelled look-alike: parked car, van, road-works barrier or wheelie bin."""
    kind = str(rng.choice(["car", "car", "van", "barrier", "bin"]))
    colour = tuple(int(c) for c in rng.integers(20, 230, 3))
    if kind in ("car", "van"):
        L, W = (4.3, 1.8) if kind == "car" else (5.2, 2.0)
        body_h = 0.9 if kind == "car" else 1.9
        body = place(_box(-W / 2, W / 2, 0.25, body_h, -L / 2, L / 2), x, z, yaw)
        _shadow(img, cam, body, sun)
        _draw_block(img, cam, body, colour, light, sun[0])
        if kind == "car":
            cabin = place(_box(-W / 2 + 0.1, W / 2 - 0.1, body_h, 1.45, -1.2, 1.0), x, z, yaw)
            _draw_block(img, cam, cabin, (50, 45, 40), light, sun[0])
        for dz in (-L / 2 + 0.8, L / 2 - 0.8):
            for dx in (-W / 2, W / 2):
                c = place(np.array([[dx, 0.33, dz]]), x, z, yaw)
                u, v = cam.project(c)[0]
                cv2.circle(img, (int(u), int(v)), max(1, int(0.33 * cam.f / z)), (20, 20, 20), -1)
    elif kind == "barrier":
        bar = place(_box(-0.05, 0.05, 0.6, 0.85, -1.0, 1.0), x, z, yaw)
        polys = _draw_block(img, cam, bar, (40, 40, 210), light, sun[0])
        for poly in polys.values():
            _texture(img, poly, rng, [(235, 235, 235)], 40)
        for dz in (-0.9, 0.9):
            _draw_block(
                img,
                cam,
                place(_box(-0.3, 0.3, 0, 0.6, dz - 0.05, dz + 0.05), x, z, yaw),
                (60, 60, 60),
                light,
                sun[0],
            )
    else:
        _draw_block(
            img,
            cam,
            place(_box(-0.35, 0.35, 0, 1.05, -0.4, 0.4), x, z, yaw),
            colour,
            light,
            sun[0],
        )
    return kind
