"""Lettered hard negatives for the skip composites (session 6, round 2): never labelled.

Round 1 taught "a coloured box with big white letters" as the skip: Google's red copyright
badge and lettered waste containers became skips. These are the same look on things that are
not skips, drawn with the skip renderer's texture and shading code (sample_footage/skip_render.py,
skip_textures.py) so they look as real as the skips:

* signwritten van or lorry sides: a coloured panel with the firm's name, phone number, a web
  address and a logo, on a dark underbody with wheels, parked at the kerb;
* shop signs, fascia boards and banners on fences: a coloured rectangle with big white or black
  lettering, along the road or facing it;
* badges in an image corner: a red (or blue, green, black) rounded rectangle with small white
  text (a map provider's copyright, a camera's name or time stamp), as on street-view photos.
"""

from __future__ import annotations

import math
import string

import cv2
import numpy as np

from sample_footage.skip_models import Camera, place
from sample_footage.skip_render import intensity, texture_ppm, tint, tone_near, warp
from sample_footage.skip_textures import WORDS, dirt, lowfreq, put_text, scratches

PANEL_COLOURS = (  # BGR 0..1: the strong colours of signwriting
    (0.1, 0.1, 0.75), (0.6, 0.3, 0.05), (0.15, 0.5, 0.1), (0.05, 0.75, 0.95), (0.05, 0.45, 0.9),
    (0.92, 0.92, 0.92), (0.08, 0.08, 0.08), (0.45, 0.1, 0.45), (0.55, 0.55, 0.1), (0.2, 0.2, 0.5),
)  # fmt: skip
TRADES = (
    "PLUMBING", "BUILDERS", "DELIVERIES", "CAFE", "PHARMACY", "TAXIS", "ELECTRICAL", "PARCELS",
    "REMOVALS", "ROOFING", "LOGISTICS", "FOODS", "MOTORS", "SCAFFOLDING", "HIRE", "LETTINGS",
)  # fmt: skip
BADGE_TEXTS = (
    "(c) 2019 Google",
    "(c) Google",
    "Google",
    "Street View",
    "CAM 03",
    "REC",
    "(c) 2021",
)
BADGE_COLOURS = ((0.2, 0.2, 0.85), (0.2, 0.2, 0.85), (0.7, 0.4, 0.1), (0.1, 0.1, 0.1))


def _firm(rng: np.random.Generator) -> tuple[str, str, str]:
    words = rng.choice(WORDS, size=int(rng.integers(1, 3)), replace=False)
    name = f"{' '.join(words)} {rng.choice(TRADES)}"
    digits = "".join(rng.choice(list(string.digits), 6))
    phone = f"{rng.choice(['01634', '0800', '01622', '07700', '0333'])} {digits[:3]} {digits[3:]}"
    web = f"www.{''.join(words).lower().replace('&', '')}.co.uk"
    return name, phone, web


def sign_texture(rng: np.random.Generator, w: int, h: int, ppm: float, dirty: bool) -> np.ndarray:
    """A signwritten panel: colour, a logo, big lettering, phone number and web address."""
    paint = np.asarray(PANEL_COLOURS[int(rng.integers(len(PANEL_COLOURS)))], np.float32)
    tex = np.ones((h, w, 3), np.float32) * paint * lowfreq(rng, h, w, (3, 6), 0.05)[..., None]
    dark = float(paint @ np.array([0.11, 0.59, 0.3], np.float32)) > 0.45
    ink = np.full(3, 0.06 if dark else 0.93, np.float32)
    if rng.random() < 0.35:  # a coloured stripe or second ink
        ink = np.asarray(PANEL_COLOURS[int(rng.integers(len(PANEL_COLOURS)))], np.float32)
        ink = ink if abs(float(ink.mean()) - float(paint.mean())) > 0.3 else 1 - paint
    name, phone, web = _firm(rng)
    x0 = 0.06 * w
    if rng.random() < 0.6:  # a round or square logo on the left
        r = int(0.3 * h)
        c = (int(0.05 * w + r), int(0.4 * h))
        mask = np.zeros((h, w), np.uint8)
        if rng.random() < 0.5:
            cv2.circle(mask, c, r, 255, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(mask, (c[0] - r, c[1] - r), (c[0] + r, c[1] + r), 255, -1)
        m = mask.astype(np.float32)[..., None] / 255
        tex[:] = tex * (1 - m) + ink * m
        x0 = c[0] + 1.3 * r
    width = w - x0 - 0.05 * w
    put_text(tex, name, x0, 0.33 * h, width, ink, rng)
    put_text(tex, phone, x0, 0.62 * h, width * rng.uniform(0.5, 0.8), ink, rng)
    if rng.random() < 0.5:
        put_text(tex, web, x0, 0.83 * h, width * rng.uniform(0.4, 0.6), ink, rng)
    if dirty:
        scratches(tex, rng, int(rng.integers(5, 40)))
        dirt(tex, rng)
    return np.clip(tex, 0, 1)


def _underbody(rng, w: int, h: int, ppm: float) -> np.ndarray:
    """The dark gap under a van's side with two wheels (texture of the plane below the panel)."""
    tex = np.full((h, w, 3), 0.07, np.float32) * lowfreq(rng, h, w, (2, 4), 0.2)[..., None]
    r = int(0.95 * h)
    for cx in (int(0.16 * w), int(0.84 * w)):
        cv2.circle(tex, (cx, h - r), r, (0.03, 0.03, 0.03), -1, cv2.LINE_AA)
        cv2.circle(tex, (cx, h - r), max(1, int(0.5 * r)), (0.45, 0.45, 0.47), -1, cv2.LINE_AA)
    return tex


def _draw_plane(img, cam: Camera, rect, normal, size_m, tex_fn, light) -> tuple[float, ...]:
    """Texture ``rect`` (world, [bl, br, tr, tl]) with ``tex_fn(w, h, ppm)``, lit and tinted."""
    ppm = texture_ppm(cam, rect, size_m)
    tex = tex_fn(max(4, int(size_m[0] * ppm)), max(4, int(size_m[1] * ppm)), ppm)
    uv = cam.project(rect)
    box = (*uv.min(axis=0), *uv.max(axis=0))
    lit = {**light, **tone_near(img, box)}
    tex = tex * intensity(normal, lit)
    warp(img, cam, rect, rect, tint(tex, lit))
    return box


def _facing(normal_local: np.ndarray, x: float, z: float, yaw: float, cam: Camera, rect):
    n = place(normal_local[None, :], 0, 0, yaw)[0]
    to_cam = np.array([0.0, cam.height_m, 0.0]) - rect.mean(axis=0)
    return n if float(np.dot(n, to_cam)) > 0 else -n


def draw_van_side(img, cam: Camera, rng, x: float, z: float, yaw: float, light: dict):
    """A parked van or lorry seen from the road: its signwritten side and its wheels."""
    length, height = rng.uniform(4.5, 9.0), rng.uniform(1.5, 2.6)
    floor = rng.uniform(0.45, 0.8)
    half = length / 2

    def side(y0, y1):
        local = np.array([[0, y0, -half], [0, y0, half], [0, y1, half], [0, y1, -half]], float)
        return place(local, x, z, yaw)

    body, under = side(floor, floor + height), side(0.0, floor)
    n = _facing(np.array([1.0, 0.0, 0.0]), x, z, yaw, cam, body)
    _draw_plane(
        img, cam, under, n, (length, floor), lambda w, h, p: _underbody(rng, w, h, p), light
    )
    return _draw_plane(
        img,
        cam,
        body,
        n,
        (length, height),
        lambda w, h, p: sign_texture(rng, w, h, p, True),
        light,
    )


def draw_sign_panel(img, cam: Camera, rng, x: float, z: float, yaw: float, light: dict):
    """A shop sign, fascia board or banner: along the road (on a wall or fence) or facing it."""
    width, height = rng.uniform(1.5, 7.0), rng.uniform(0.5, 1.6)
    bottom = rng.uniform(0.2, 1.0) if rng.random() < 0.5 else rng.uniform(2.2, 4.5)
    if rng.random() < 0.7:  # along the road
        hw = width / 2
        local = np.array(
            [[0, bottom, -hw], [0, bottom, hw], [0, bottom + height, hw], [0, bottom + height, -hw]]
        )
        normal = np.array([1.0, 0.0, 0.0])
    else:  # facing the road: a hoarding or a standing sign
        hw = width / 2
        local = np.array(
            [[-hw, bottom, 0], [hw, bottom, 0], [hw, bottom + height, 0], [-hw, bottom + height, 0]]
        )
        normal = np.array([0.0, 0.0, 1.0])
    rect = place(local.astype(float), x, z, yaw)
    n = _facing(normal, x, z, yaw, cam, rect)
    dirty = rng.random() < 0.5
    return _draw_plane(
        img, cam, rect, n, (width, height), lambda w, h, p: sign_texture(rng, w, h, p, dirty), light
    )


def draw_corner_badge(img: np.ndarray, rng: np.random.Generator) -> tuple[float, ...]:
    """A small coloured badge with white text in one corner of the image (a watermark)."""
    h, w = img.shape[:2]
    bw, bh = int(rng.uniform(0.06, 0.18) * w), int(rng.uniform(0.025, 0.06) * h)
    bw, bh = max(bw, 12), max(bh, 6)
    m = int(rng.uniform(0.0, 0.02) * w)
    x0 = m if rng.random() < 0.5 else w - m - bw
    y0 = m if rng.random() < 0.4 else h - m - bh
    colour = np.asarray(BADGE_COLOURS[int(rng.integers(len(BADGE_COLOURS)))], np.float32) * 255
    mask = np.zeros((h, w), np.uint8)
    r = max(1, bh // 3)
    cv2.rectangle(mask, (x0 + r, y0), (x0 + bw - r, y0 + bh), 255, -1)
    cv2.rectangle(mask, (x0, y0 + r), (x0 + bw, y0 + bh - r), 255, -1)
    for cx, cy in ((x0 + r, y0 + r), (x0 + bw - r, y0 + r), (x0 + r, y0 + bh - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    cv2.circle(mask, (x0 + bw - r, y0 + bh - r), r, 255, -1, cv2.LINE_AA)
    alpha = (mask.astype(np.float32) / 255 * rng.uniform(0.75, 1.0))[..., None]
    out = img.astype(np.float32) * (1 - alpha) + colour * alpha
    text = str(rng.choice(BADGE_TEXTS))
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = min(0.85 * bw / max(tw, 1), 0.6 * bh / max(th, 1))
    org = (int(x0 + (bw - scale * tw) / 2), int(y0 + (bh + scale * th) / 2))
    thick = max(1, int(math.ceil(scale)))
    ink = np.zeros((h, w), np.uint8)
    cv2.putText(ink, text, org, font, scale, 255, thick, cv2.LINE_AA)
    a = (ink.astype(np.float32) / 255)[..., None]
    out = out * (1 - a) + 245.0 * a
    img[:] = np.clip(out, 0, 255).astype(np.uint8)
    return (float(x0), float(y0), float(x0 + bw), float(y0 + bh))


LETTERED = {"van_side": draw_van_side, "sign_panel": draw_sign_panel}
