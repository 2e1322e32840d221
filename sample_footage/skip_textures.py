"""Surface textures for the realistic skip renders (sample_footage/skip_render.py).

Every texture is a float32 BGR image in 0..1, in the face's own plane (x along the face, y down,
``ppm`` pixels per metre), later warped onto the photo with the camera's homography. Painted steel
has low-frequency colour variation, vertical ribs, a rim lip, dents, scratches showing grey metal,
rust streaks running down from the rim and dirt darkening towards the bottom; no outlines.
Contents (rubble, soil, wood) are cut from a real licensed road photo, with bags and boards.
"""

from __future__ import annotations

import math
import string

import cv2
import numpy as np

RUST = np.array([0.10, 0.22, 0.42], np.float32)  # BGR
METAL = np.array([0.55, 0.56, 0.58], np.float32)
DIRT = np.array([0.20, 0.25, 0.30], np.float32)
RED = np.array([0.10, 0.10, 0.75], np.float32)
YELLOW = np.array([0.05, 0.80, 0.95], np.float32)
WORDS = (
    "ACE", "A1", "CITY", "KENT", "MEDWAY", "BROS", "GREEN", "EAST", "NORTH", "JS", "RAPID",
    "VALLEY", "COUNTY", "EXPRESS", "PREMIER", "SMITH", "J&M", "BEST", "ECO", "RIVER",
)  # fmt: skip
TRADES = ("SKIP HIRE", "SKIPS", "WASTE", "RECYCLING", "SKIP HIRE LTD", "HAULAGE")


def lowfreq(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int], amp: float):
    """A smooth random field around 1 (cubic upsampling of a few random cells)."""
    grid = rng.normal(0, 1, (cells[0], cells[1])).astype(np.float32)
    field = cv2.resize(grid, (max(w, 2), max(h, 2)), interpolation=cv2.INTER_CUBIC)
    return 1.0 + amp * np.clip(field, -2.5, 2.5)


def _blend(tex, mask, colour, alpha) -> None:
    """tex <- tex * (1 - a*mask) + colour * a*mask (mask 0..1, colour BGR or an image)."""
    a = (alpha * mask)[..., None]
    tex[:] = tex * (1 - a) + np.asarray(colour, np.float32) * a


def company_text(rng: np.random.Generator) -> tuple[str, str]:
    words = rng.choice(WORDS, size=int(rng.integers(1, 3)), replace=False)
    name = f"{' '.join(words)} {rng.choice(TRADES)}"
    digits = "".join(rng.choice(list(string.digits), 6))
    area = str(rng.choice(["01634", "01622", "0800", "01474", "07700", "01795"]))
    return name, f"{area} {digits[:3]} {digits[3:]}"


def put_text(tex, text: str, x0: float, yc: float, width: float, colour, rng) -> None:
    """Paint ``text`` ``width`` px wide from ``x0`` centred on row ``yc``, slightly faded."""
    font = int(rng.choice([cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX]))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 2)
    scale = width / max(tw, 1)
    if scale * th < 3:
        return
    thick = max(1, int(round(scale * 2.2)))
    mask = np.zeros(tex.shape[:2], np.uint8)
    org = (int(x0), int(yc + scale * th / 2))
    cv2.putText(mask, text, org, font, scale, 255, thick, cv2.LINE_AA)
    fade = lowfreq(rng, tex.shape[0], tex.shape[1], (3, 6), 0.15)
    _blend(tex, mask.astype(np.float32) / 255 * np.clip(fade, 0, 1), colour, 0.92)


def _plate(tex, phone: str, rng) -> None:
    """A small white or yellow plate with the phone number (many skips carry only this)."""
    h, w = tex.shape[:2]
    pw, ph = int(rng.uniform(0.12, 0.22) * w), int(rng.uniform(0.1, 0.18) * h)
    x0, y0 = int(rng.uniform(0.1, 0.9) * w - pw / 2), int(rng.uniform(0.3, 0.6) * h)
    x0 = int(np.clip(x0, 0, max(w - pw, 0)))
    plate = tex[y0 : y0 + ph, x0 : x0 + pw]
    if plate.shape[0] < 2 or plate.shape[1] < 2:
        return
    plate[:] = (0.9, 0.9, 0.9) if rng.random() < 0.6 else tuple(YELLOW)
    put_text(plate, phone, 0.06 * pw, 0.5 * ph, 0.88 * pw, (0.05, 0.05, 0.05), rng)


def _ribs(tex, rng, ppm: float, n: int, lit_left: bool) -> None:
    """Vertical stiffeners: raised strips, one edge catching light, the other in shade."""
    h, w = tex.shape[:2]
    rw = max(2, int(rng.uniform(0.06, 0.11) * ppm))
    xs = np.linspace(0.12 * w, 0.88 * w, n) + rng.normal(0, 0.01 * w, n)
    prof = np.cos(np.linspace(0, math.pi, rw)).astype(np.float32)
    prof = prof if lit_left else -prof
    top = int(0.08 * h)
    for x in xs.astype(int):
        x = int(np.clip(x, 0, w - rw - 1))
        tex[top:, x : x + rw] *= (1 + 0.35 * prof)[None, :, None]
        tex[top:, x + rw : x + rw + max(1, rw // 2)] *= 0.75  # its shadow on the panel


def _rim(tex, ppm: float, rng) -> None:
    """The top rim lip: a bright band, a dark line of shadow under it."""
    h = tex.shape[0]
    lip = max(2, int(rng.uniform(0.08, 0.16) * ppm))
    tex[:lip] *= 1.12
    sh = max(1, lip // 3)
    tex[lip : lip + sh] *= 0.62
    tex[lip + sh : lip + 3 * sh] *= 0.85
    base = max(2, int(0.08 * ppm))  # the base rail
    tex[h - base :] *= 0.8


def scratches(tex, rng, n: int) -> None:
    """Scratch ``n`` thin lines through the paint, showing grey metal."""
    h, w = tex.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        ang, ln = rng.uniform(0, math.pi), rng.uniform(0.02, 0.15) * w
        p2 = (int(x + ln * math.cos(ang)), int(y + ln * math.sin(ang)))
        cv2.line(mask, (int(x), int(y)), p2, int(rng.integers(120, 255)), 1, cv2.LINE_AA)
    _blend(tex, mask.astype(np.float32) / 255, METAL, 0.45)


def _rust(tex, rng, ppm: float, amount: float) -> None:
    """Streaks running down from the rim, and patches where the paint has gone."""
    h, w = tex.shape[:2]
    mask = np.zeros((h, w), np.float32)
    for _ in range(int(amount * rng.integers(6, 30))):
        x = int(rng.uniform(0, w))
        ln = int(rng.uniform(0.15, 0.9) * h)
        wd = max(1, int(rng.uniform(0.005, 0.03) * ppm))
        fall = np.linspace(1, 0, ln, dtype=np.float32) ** 0.7 * rng.uniform(0.3, 0.9)
        mask[:ln, x : x + wd] = np.maximum(mask[:ln, x : x + wd], fall[:, None])
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.6, 0.004 * ppm))
    speckle = lowfreq(rng, h, w, (max(2, h // 3), max(2, w // 3)), 0.6)
    patches = np.clip((lowfreq(rng, h, w, (8, 20), 1.0) * speckle - 3.0 + amount) * 1.2, 0, 0.8)
    rust = RUST * lowfreq(rng, h, w, (20, 40), 0.25)[..., None]
    _blend(tex, np.maximum(mask, patches), rust, 0.85)


def dirt(tex, rng) -> None:
    """Darken ``tex`` with dirt, heavier towards the bottom."""
    h = tex.shape[0]
    g = (np.linspace(0, 1, h, dtype=np.float32) ** rng.uniform(1.5, 3.5))[:, None]
    _blend(tex, g * lowfreq(rng, h, tex.shape[1], (2, 8), 0.4), DIRT, rng.uniform(0.2, 0.6))


def _lugs_and_chains(tex, rng, ppm: float) -> None:
    """Lifting lugs near both ends of a side, a chain hanging from each."""
    h, w = tex.shape[:2]
    lw, lh = max(2, int(0.12 * ppm)), max(2, int(0.1 * ppm))
    y = int(rng.uniform(0.25, 0.45) * h)
    for x in (int(0.1 * w), int(0.9 * w) - lw):
        tex[y : y + lh, x : x + lw] *= 0.6
        tex[y : y + max(1, lh // 4), x : x + lw] *= 1.5
        if rng.random() < 0.7:
            step = max(2, int(0.045 * ppm))
            cx = x + lw // 2
            mask = np.zeros((h, w), np.uint8)
            for yy in range(y + lh, int(rng.uniform(0.6, 0.95) * h), step):
                axes = (max(1, step // 2), max(1, step // 3)) if yy % 2 else (1, step // 2)
                cv2.ellipse(mask, (cx, yy), axes, 0, 0, 360, 255, 1, cv2.LINE_AA)
            _blend(tex, mask.astype(np.float32) / 255, (0.22, 0.22, 0.24), 0.9)


def _chevrons(tex, x0: int, x1: int, y0: int, y1: int, rng) -> None:
    """SI 1984/1933 end marking: a panel of red and yellow diagonal stripes."""
    panel = tex[y0:y1, x0:x1]
    ph, pw = panel.shape[:2]
    if ph < 2 or pw < 2:
        return
    yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    period = max(4.0, pw / rng.uniform(1.5, 3.0))
    red = ((xx + yy) % period) < period / 2
    colours = np.where(red[..., None], RED, YELLOW) * lowfreq(rng, ph, pw, (2, 3), 0.08)[..., None]
    panel[:] = colours


def paint_texture(rng, look, w: int, h: int, ppm: float, face: str) -> np.ndarray:
    """A painted steel face: 'side' (ribs, text, lugs), 'end' (markings), 'lid' or 'inner'."""
    tex = np.ones((h, w, 3), np.float32) * np.asarray(look.paint, np.float32)
    tex *= lowfreq(rng, h, w, (3, 6), 0.06)[..., None]
    if face == "side":
        _ribs(tex, rng, ppm, look.ribs, look.lit_left)
    if face in ("side", "end"):
        _rim(tex, ppm, rng)
    tex *= lowfreq(rng, h, w, (5, 12), look.dents)[..., None]
    if face == "side" and look.lettering == "big":
        name, phone = look.text
        ink = np.asarray(look.ink, np.float32)
        put_text(tex, name, 0.08 * w, 0.42 * h, 0.84 * w, ink, rng)
        put_text(tex, phone, 0.2 * w, 0.68 * h, 0.6 * w, ink, rng)
    elif face == "side" and look.lettering == "plate":
        _plate(tex, look.text[1], rng)
    if face == "side" and look.lugs:
        _lugs_and_chains(tex, rng, ppm)
    if face == "end" and look.markings:
        pw, top = max(2, int(0.22 * w)), int(0.1 * h)
        for x0 in (int(0.03 * w), w - int(0.03 * w) - pw):
            _chevrons(tex, x0, x0 + pw, top, int(0.6 * h), rng)
    scratches(tex, rng, int(look.wear * 60))
    if look.rust > 0:
        _rust(tex, rng, ppm, look.rust)
    dirt(tex, rng)
    return tex


def contents_texture(rng, photo: np.ndarray, w: int, h: int, kind: str) -> np.ndarray:
    """What is in an open skip: rubble/soil cut from a real photo, with bags and boards."""
    ph, pw = photo.shape[:2]
    cw, ch = int(pw * rng.uniform(0.15, 0.4)), int(ph * rng.uniform(0.1, 0.25))
    x0 = int(rng.uniform(0, pw - cw))
    y0 = int(rng.uniform(0.5 * ph, ph - ch))
    tex = cv2.resize(photo[y0 : y0 + ch, x0 : x0 + cw], (w, h)).astype(np.float32) / 255
    grey = tex.mean(axis=2, keepdims=True)
    tint = np.array([rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.05), rng.uniform(0.95, 1.3)])
    tex = np.clip((grey + (tex - grey) * 0.6) * tint * rng.uniform(0.6, 1.0), 0, 1)
    tex = tex.astype(np.float32)
    if kind == "mixed":
        for _ in range(int(rng.integers(2, 8))):
            _board_or_bag(tex, rng)
    return tex


def _board_or_bag(tex, rng) -> None:
    h, w = tex.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
    if rng.random() < 0.5:  # a board or plank
        size = (int(rng.uniform(0.2, 0.6) * w), int(rng.uniform(0.03, 0.08) * h + 2))
        box = cv2.boxPoints((c, size, float(rng.uniform(0, 180))))
        cv2.fillPoly(mask, [box.astype(np.int32)], 255, cv2.LINE_AA)
        col = np.array([0.35, 0.55, 0.7]) * rng.uniform(0.6, 1.1)
    else:  # a bag
        axes = (int(rng.uniform(0.05, 0.15) * w) + 1, int(rng.uniform(0.08, 0.2) * h) + 1)
        cv2.ellipse(mask, c, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)
        col = [np.array([0.85, 0.85, 0.85]), np.array([0.1, 0.1, 0.1]), np.array([0.6, 0.4, 0.2])][
            int(rng.integers(3))
        ]
    m = mask.astype(np.float32) / 255
    shade = cv2.GaussianBlur(m, (0, 0), 1 + 0.02 * w)
    _blend(tex, m, np.asarray(col, np.float32) * (0.6 + 0.5 * shade[..., None]), 1.0)


def tarp_texture(rng, w: int, h: int) -> np.ndarray:
    """A tarpaulin or net over the load: folds as anisotropic low-frequency shading."""
    col = [(0.15, 0.35, 0.15), (0.55, 0.3, 0.1), (0.12, 0.12, 0.12), (0.4, 0.4, 0.38)]
    tex = np.ones((h, w, 3), np.float32) * np.asarray(col[int(rng.integers(len(col)))], np.float32)
    folds = lowfreq(rng, h, w, (int(rng.integers(3, 7)), int(rng.integers(10, 25))), 0.18)
    return np.clip(tex * folds[..., None], 0, 1)


def net_over(tex, rng) -> None:
    h, w = tex.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    step = max(3, int(w / rng.uniform(15, 35)))
    for k in range(-h, w + h, step):
        cv2.line(mask, (k, 0), (k + h, h), 255, 1, cv2.LINE_AA)
        cv2.line(mask, (k, 0), (k - h, h), 255, 1, cv2.LINE_AA)
    _blend(tex, mask.astype(np.float32) / 255, (0.12, 0.2, 0.12), 0.7)
