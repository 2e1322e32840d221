"""Realistic builders' skips drawn onto a real photo (session 6; replaces the flat-shaded boxes).

Each face of the 3-D skip (sample_footage.skip_models' camera and placement) gets a texture in its
own plane (sample_footage.skip_textures: painted steel with ribs, rim lip, lugs and chains, the hire
company's name and phone number, SI 1984/1933 end markings, dents, scratches, rust streaks, dirt)
and is warped onto the photo by the camera's homography. Shading: a sun direction and a sky
ambient, ambient occlusion at the base, a soft contact shadow and a cast shadow. The paint is
tinted and scaled to the photo's colour and brightness near the skip. No outlines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from sample_footage.skip_models import COLOURS, Camera, SkipModel, place
from sample_footage.skip_textures import (
    company_text,
    contents_texture,
    net_over,
    paint_texture,
    tarp_texture,
)

INKS = {"light": (0.92, 0.92, 0.92), "dark": (0.08, 0.08, 0.08)}
#: Share of skips with the hire firm's name in big letters on the sides (round 2: was 0.75, and
#: "coloured box with big white letters" became the skip); a further share carries only a small
#: plate with the phone number; the rest are plain painted steel, as many real skips are.
LETTERED_SHARE = 0.4
PLATE_SHARE = 0.25


@dataclass(frozen=True)
class Look:
    paint: tuple[float, float, float]  # BGR 0..1
    ink: tuple[float, float, float]
    text: tuple[str, str] | None
    lettering: str  # "big" (name and phone along the side), "plate" (a small plate) or "none"
    ribs: int
    lit_left: bool
    dents: float
    wear: float
    rust: float
    lugs: bool
    markings: bool


def random_look(rng: np.random.Generator, m: SkipModel) -> Look:
    base = np.asarray(COLOURS[m.colour], np.float32) / 255
    grey = base.mean()
    paint = np.clip((grey + (base - grey) * rng.uniform(0.6, 0.95)) * rng.uniform(0.75, 1.0), 0, 1)
    dark_paint = float(paint @ np.array([0.11, 0.59, 0.3])) > 0.45
    return Look(
        paint=tuple(float(v) for v in paint),
        ink=INKS["dark" if dark_paint else "light"],
        text=company_text(rng),
        lettering=_lettering(rng),
        ribs=int(rng.integers(3, 8)) if m.kind != "roro" else int(rng.integers(6, 12)),
        lit_left=bool(rng.random() < 0.5),
        dents=float(rng.uniform(0.02, 0.08)),
        wear=float(rng.uniform(0.1, 1.0)),
        rust=float(rng.uniform(0.4, 1.0)) if m.rusty else float(rng.uniform(0.0, 0.3)),
        lugs=m.kind == "open",
        markings=m.markings,
    )


def _lettering(rng: np.random.Generator) -> str:
    r = rng.random()
    return "big" if r < LETTERED_SHARE else "plate" if r < LETTERED_SHARE + PLATE_SHARE else "none"


def _frames(m: SkipModel) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, tuple]]:
    """Local faces: name -> (texture rectangle [bl, br, tr, tl], face polygon, outward normal,
    size in metres (along, up))."""
    hw, b, t, h = m.width_m / 2, m.base_m / 2, m.top_m / 2, m.height_m
    out = {}
    for s, name in ((-1, "left"), (1, "right")):
        x = s * hw
        rect = np.array([[x, 0, -t], [x, 0, t], [x, h, t], [x, h, -t]], float)
        poly = np.array([[x, 0, -b], [x, 0, b], [x, h, t], [x, h, -t]], float)
        out[name] = (rect, poly, np.array([s, 0.0, 0.0]), (2 * t, h))
    slant = math.hypot(h, t - b)
    for s, name in ((-1, "near"), (1, "far")):
        rect = np.array([[-hw, 0, s * b], [hw, 0, s * b], [hw, h, s * t], [-hw, h, s * t]], float)
        n = np.array([0.0, -(t - b), s * h]) / slant
        out[name] = (rect, rect, n, (2 * hw, slant))
    top = np.array([[-hw, h, -t], [hw, h, -t], [hw, h, t], [-hw, h, t]], float)
    out["top"] = (top, top, np.array([0.0, 1.0, 0.0]), (2 * hw, 2 * t))
    return out


def _signed_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2


def warp(img: np.ndarray, cam: Camera, rect: np.ndarray, poly: np.ndarray, tex: np.ndarray):
    """Warp ``tex`` (float BGR 0..1, covering ``rect``) onto ``img`` inside ``poly`` (3-D)."""
    dst = cam.project(rect).astype(np.float32)
    th, tw = tex.shape[:2]
    src = np.float32([[0, th], [tw, th], [tw, 0], [0, 0]])
    if _signed_area(dst) * _signed_area(src) < 0:  # seen from the other side: un-mirror the text
        tex = np.ascontiguousarray(tex[:, ::-1])
    pp = cam.project(poly)
    h, w = img.shape[:2]
    x0, y0 = np.floor(np.minimum(dst.min(0), pp.min(0))).astype(int)
    x1, y1 = np.ceil(np.maximum(dst.max(0), pp.max(0))).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    off = np.float32([x0, y0])
    mat = cv2.getPerspectiveTransform(src, dst - off)
    warped = cv2.warpPerspective(
        tex, mat, (x1 - x0, y1 - y0), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillPoly(mask, [np.round((pp - off) * 4).astype(np.int32)], 1.0, cv2.LINE_AA, shift=2)
    region = img[y0:y1, x0:x1].astype(np.float32)
    a = mask[..., None]
    img[y0:y1, x0:x1] = np.clip(region * (1 - a) + warped * 255 * a, 0, 255).astype(np.uint8)


def texture_ppm(cam: Camera, rect_world: np.ndarray, size_m: tuple[float, float]) -> float:
    """Texture pixels per metre for a world ``rect`` of ``size_m``: its on-screen size, clipped."""
    uv = cam.project(rect_world)
    px = max(np.linalg.norm(uv[1] - uv[0]), np.linalg.norm(uv[2] - uv[1]), 8.0)
    return float(np.clip(1.3 * px / max(size_m), 25, 260))


def intensity(normal: np.ndarray, light: dict) -> float:
    """Lambert shading of a face with unit ``normal``: ambient plus direct sun."""
    lam = max(0.0, float(np.dot(normal, light["sun"])))
    return light["ambient"] + light["direct"] * lam


def _ao(tex: np.ndarray, strength: float) -> None:
    """Ambient occlusion: darker towards the base of a wall."""
    h = tex.shape[0]
    y = np.linspace(0, 1, h, dtype=np.float32)
    tex *= (1 - strength * np.exp(-(1 - y) / 0.12))[:, None, None]


def _texture_for(rng, face, m, look, ppm, size_m, contents_photo):
    w = max(4, int(size_m[0] * ppm))
    h = max(4, int(size_m[1] * ppm))
    if face == "top":
        if m.kind == "open" and m.state == "covered":
            return tarp_texture(rng, w, h)
        return paint_texture(rng, look, w, h, ppm, "lid")
    if face == "inner":
        return paint_texture(rng, look, w, h, ppm, "inner")
    if face == "contents":
        tex = contents_texture(rng, contents_photo, w, h, str(rng.choice(["soil", "mixed"])))
        if m.state == "covered":
            net_over(tex, rng)
        return tex
    return paint_texture(rng, look, w, h, ppm, "side" if face in ("left", "right") else "end")


def _faces(m: SkipModel, x: float, z: float, yaw: float, cam: Camera):
    """(name, rect, poly, normal, size, visible) in world coordinates."""
    cam_pos = np.array([0.0, cam.height_m, 0.0])
    out = []
    for name, (rect, poly, n, size) in _frames(m).items():
        rw, pw = place(rect, x, z, yaw), place(poly, x, z, yaw)
        nw = place(n[None, :], 0, 0, yaw)[0]
        visible = float(np.dot(nw, cam_pos - pw.mean(axis=0))) > 0
        out.append((name, rw, pw, nw, size, visible))
    return out


def _contents_plane(m: SkipModel, x, z, yaw, fill: float):
    """The load's surface at ``fill`` of the height, as a rectangle inside the walls."""
    hw, h = m.width_m / 2 * 0.97, m.height_m * fill
    half = (m.base_m + (m.top_m - m.base_m) * fill) / 2 * 0.97
    rect = np.array([[-hw, h, -half], [hw, h, -half], [hw, h, half], [-hw, h, half]], float)
    return place(rect, x, z, yaw), (2 * hw, 2 * half)


def draw_real_skip(img, cam, m: SkipModel, x, z, yaw, light: dict, rng, contents_photo):
    """Draw the skip with its shadows and lamps; return its 8 corners in the image."""
    look = random_look(rng, m)
    faces = _faces(m, x, z, yaw, cam)
    _shadows(img, cam, faces, light)
    box = cam.project(np.vstack([faces[0][2], faces[1][2]]))
    light = {**light, **tone_near(img, (*box.min(axis=0), *box.max(axis=0)))}
    open_top = m.kind == "open" and (m.state != "covered" or rng.random() < 0.4)
    if open_top:
        for name, rect, poly, n, size, visible in faces:  # inner walls seen over the rim
            if not visible and name != "top":
                tex = _texture_for(rng, "inner", m, look, texture_ppm(cam, rect, size), size, None)
                tex *= intensity(-n, light) * 0.75
                warp(img, cam, rect, poly, tint(tex, light))
        if m.state != "empty":
            rect, size = _contents_plane(m, x, z, yaw, float(rng.uniform(0.55, 0.95)))
            tex = _texture_for(
                rng, "contents", m, look, texture_ppm(cam, rect, size), size, contents_photo
            )
            tex *= intensity(np.array([0.0, 1.0, 0.0]), light) * 0.8
            warp(img, cam, rect, rect, tint(tex, light))
    for name, rect, poly, n, size, visible in faces:
        if not visible or (name == "top" and open_top):
            continue
        tex = _texture_for(rng, name, m, look, texture_ppm(cam, rect, size), size, contents_photo)
        tex *= intensity(n, light)
        if name != "top":
            _ao(tex, light["ao"])
        warp(img, cam, rect, poly, tint(tex, light))
    if m.lamps:
        _lamps(img, cam, faces)
    corners = np.vstack([faces[0][2], faces[1][2]])  # left and right walls: all 8 corners
    return cam.project(corners)


def tint(tex: np.ndarray, light: dict) -> np.ndarray:
    """``tex`` (float BGR 0..1) in the scene's colour gain and light level."""
    return np.clip(tex * np.asarray(light["gain"], np.float32) * light["level"], 0, 1)


def _shadows(img, cam, faces, light) -> None:
    """A soft contact shadow under the base and a cast shadow away from the sun."""
    walls = {f[0]: f[2] for f in faces}
    foot = np.vstack([walls["left"][:2], walls["right"][:2]])
    top = np.vstack([walls["left"][2:], walls["right"][2:]])
    sun = light["sun"]
    cast = top.copy()
    k = cast[:, 1] / max(sun[1], 0.25)
    cast[:, 0] -= sun[0] * k
    cast[:, 2] -= sun[2] * k
    cast[:, 1] = 0
    size_px = float(np.ptp(cam.project(foot)[:, 0])) + 1
    mask = np.zeros(img.shape[:2], np.float32)
    hull = cv2.convexHull(np.round(cam.project(np.vstack([foot, cast]))).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, light["shadow"])
    mask = cv2.GaussianBlur(mask, (0, 0), 1.0 + 0.03 * size_px)
    contact = np.zeros_like(mask)
    c = foot.mean(axis=0)
    grown = c + 1.08 * (foot - c)
    hull = cv2.convexHull(np.round(cam.project(grown)).astype(np.int32))
    cv2.fillConvexPoly(contact, hull, 0.55)
    contact = cv2.GaussianBlur(contact, (0, 0), 1.0 + 0.012 * size_px)
    dark = np.maximum(mask, contact)[..., None]
    img[:] = (img * (1 - dark)).astype(np.uint8)


def _lamps(img, cam, faces) -> None:
    """Amber lamps at the top corners of the ends, with a small glow."""
    walls = {f[0]: f[2] for f in faces}
    for p in np.vstack([walls["left"][2:], walls["right"][2:]]):
        u, v = cam.project(p[None, :])[0]
        r = max(1.0, 0.06 * cam.f / max(p[2], 1.0))
        glow = np.zeros(img.shape[:2], np.float32)
        cv2.circle(glow, (int(u), int(v - r)), int(r), 1.0, -1, cv2.LINE_AA)
        glow = cv2.GaussianBlur(glow, (0, 0), 0.5 + r / 2)[..., None]
        amber = np.array([20, 150, 250], np.float32)
        img[:] = np.clip(img * (1 - glow) + amber * glow, 0, 255).astype(np.uint8)


def scene_light(rng: np.random.Generator) -> dict:
    """One sun for the photo: direction (towards the sun), sky ambient, direct share, shadow."""
    sunny = rng.random() < 0.6
    az, el = rng.uniform(0, 2 * math.pi), rng.uniform(0.3, 1.1)
    sun = np.array([math.cos(az) * math.cos(el), math.sin(el), math.sin(az) * math.cos(el)])
    return {
        "sun": sun,
        "ambient": float(rng.uniform(0.45, 0.6) if sunny else rng.uniform(0.75, 0.9)),
        "direct": float(rng.uniform(0.4, 0.6) if sunny else rng.uniform(0.1, 0.2)),
        "shadow": float(rng.uniform(0.3, 0.5) if sunny else rng.uniform(0.1, 0.2)),
        "ao": float(rng.uniform(0.2, 0.45)),
    }


def tone_near(img: np.ndarray, box: tuple[float, float, float, float]) -> dict:
    """The photo's colour cast and brightness around ``box`` (pixels), to match the paint to."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    x0, x1 = int(np.clip(x0 - bw, 0, w - 2)), int(np.clip(x1 + bw, 1, w))
    y0, y1 = int(np.clip(y0 - bh, 0, h - 2)), int(np.clip(y1 + bh, 1, h))
    region = img[y0 : max(y1, y0 + 2), x0 : max(x1, x0 + 2)].reshape(-1, 3).astype(np.float32)
    mean = region.mean(axis=0) + 1.0
    gain = np.clip((mean / mean.mean()) ** 0.7, 0.8, 1.25)
    return {
        "gain": tuple(float(g) for g in gain),
        "level": float(np.clip(mean.mean() / 125.0, 0.45, 1.3) ** 0.8),
    }
