"""Rendered builders' skips composited onto real, licensed road photos: training data that
teaches the detector what a skip is (not "a small yellow box").

    python sample_footage/skip_composites.py --out var/skip_composites --count 600 --seed 1

Each image is a real road photo (the TRAIN split of a licensed set: DNIT Brazil, MIT /
CC BY 4.0; Roboflow "Pothole", ODbL) with a pinhole camera guessed for it (horizon,
field of view, camera height, all random within a dashcam's range). Skips are 3-D
models placed on the ground at the road edge, 5-30 m ahead (a third 2.5-6 m: big in the
frame, maybe cut by its edge; a quarter turned at an angle), and projected with that
camera, so perspective and scale follow the ground plane. Since session 6 each face is a
texture warped by the camera's homography (sample_footage/skip_render.py,
skip_textures.py): painted steel with colour variation, vertical ribs, a rim lip, dents,
scratches, rust streaks and dirt, lugs and chains, the hire firm's name and phone number,
lit by a sun and a sky ambient, with ambient occlusion, a contact and a cast shadow, tinted
to the photo's colour and brightness near the skip and noised like the photo. What varies:

* kind: open builders' skip (ends sloped 30-40 deg; 1.2-1.8 m wide, 2.0-3.7 m long at the
  base, 0.9-1.3 m high, a fifth up to 1.8 m), enclosed/lidded skip, roll-on roll-off (RORO)
  container (5-6.5 m long);
* colour: yellow, blue, green, red, orange, grey, white, black, brown (muted and varied);
  rust streaks and patches, scratches, dirt;
* state: empty, loaded (soil/rubble cut from another licensed photo, bags, boards),
  covered with a tarpaulin or a net;
* what the law asks (HA 1980 s.139, SI 1984/1933): red/yellow diagonal marking panels on
  the ends, amber lamps at the corners.

Since session 6 round 2 only 40 % of skips carry the firm's name in big letters (a quarter a
small plate, the rest plain), and lettered look-alikes are drawn with the same texture and
shading code as hard negatives, never labelled (sample_footage/lettered_negatives.py):
signwritten van and lorry sides, shop signs and banners, and coloured corner badges with small
white text (0-2 per image, a badge in 30 %).

Hard negatives, never labelled: real photos of Amsterdam waste containers (MIT; only the
half that ``detector.dataset.split_of(stem, 50, 0, "roadcam-waste")`` puts in ``train``: the
other half stays out for bench/skips.py's false-positive figure), linked, never copied. The
old flat-shaded parked cars, vans, barriers and bins are drawn only with
``--rendered-negatives`` (cartoons teach artefacts; off by default since session 6).

Output: ``OUT/images/*.jpg``, ``OUT/labels/*.txt`` (YOLO, class 3 = skip), ``OUT/summary.json``
and ``OUT/meta.jsonl`` (per image: background source, each skip's kind, state, colour, distance and
pixel box; the negatives drawn), which ``python bench/skips.py composites`` reads.
The recipe reads it as the optional source ``skip_composites`` (detector/recipes/roadcam.yaml).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))
from roadcam.settings import shared_data_dir  # noqa: E402
from sample_footage.lettered_negatives import LETTERED, draw_corner_badge  # noqa: E402
from sample_footage.skip_models import (  # noqa: E402
    SKIP_CLASS,
    draw_negative,
    random_camera,
    random_skip,
)
from sample_footage.skip_render import draw_real_skip, scene_light  # noqa: E402

SHARED = shared_data_dir()


# -- backgrounds and their own labels ----------------------------------------------------------


def backgrounds() -> list[tuple[Path, str]]:
    """(photo, source) from the TRAIN splits of the licensed road sets, sorted."""
    out = []
    split = ROOT / "detector" / "recipes" / "brazil_dnit_split.csv"
    brazil = SHARED / "cracks_potholes_brazil_dnit_subset" / "Dataset"
    for r in csv.DictReader(split.open()):
        if r["split"] == "train":
            out.append((brazil / r["sample_id"] / f"{r['sample_id']}_RAW.jpg", "brazil"))
    robo = SHARED / "pothole_roboflow_chitholian" / "train" / "images"
    out += [(p, "roboflow") for p in sorted(robo.glob("*.jpg"))]
    return [(p, s) for p, s in out if p.is_file()]


def background_boxes(photo: Path, source: str) -> list[tuple[int, float, float, float, float]]:
    """The photo's own labels (pothole 0, crack 1) in pixels, as the recipe builds them."""
    from detector.dataset import boxes_from_mask

    if source == "roboflow":
        img = cv2.imread(str(photo))
        h, w = img.shape[:2]
        lab = photo.parent.parent / "labels" / f"{photo.stem}.txt"
        out = []
        for line in lab.read_text().split("\n") if lab.is_file() else []:
            p = line.split()
            if len(p) == 5:
                cx, cy, bw, bh = (float(v) for v in p[1:])
                out.append(
                    (0, (cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h)
                )
        return out
    stem = photo.name.replace("_RAW.jpg", "")
    out = []
    for cid, suffix, area, dil in ((0, "_POTHOLE.png", 100, 4), (1, "_CRACK.png", 150, 12)):
        mask = cv2.imread(str(photo.parent / f"{stem}{suffix}"), cv2.IMREAD_GRAYSCALE)
        if mask is not None:
            out += [(cid, b.x1, b.y1, b.x2, b.y2) for b in boxes_from_mask(mask, cid, area, dil)]
    return out


def waste_negatives() -> list[Path]:
    """The training half of the Amsterdam waste-container photos (MIT): real hard negatives."""
    from detector.dataset import split_of

    folder = SHARED / "amsterdam_waste_container_reports_geotagged" / "images"
    return [
        p
        for p in sorted(folder.glob("*.jpg"))
        if split_of(p.stem, 50, 0, "roadcam-waste") == "train"
    ]


# -- one composite -----------------------------------------------------------------------------


#: Share of skips placed close (NEAR_M ahead): a cab camera passing a skip at the kerb sees it
#: big in the frame, often cut by the frame edge, not only as a small box 5-30 m ahead.
NEAR_SHARE = 0.35
NEAR_M = (2.5, 6.0)
FAR_M = (5.0, 30.0)
#: A box cut by the frame edge is labelled while at least this share of it is in the image.
MIN_VISIBLE = 0.35
#: ... or while what is in the image covers this share of it (a near skip cut in half is still
#: plainly a skip: leaving it unlabelled would teach the model to ignore it).
MIN_SEEN_FRAC = 0.03
#: Lettered hard negatives per image (never labelled; sample_footage/lettered_negatives.py) and
#: the share of images with a coloured badge with white text in a corner.
LETTERED_PER_IMAGE = (0, 1, 1, 2)
BADGE_SHARE = 0.3
#: Share of skips not parallel to the kerb (on a drive or verge, at an angle).
TURNED_SHARE = 0.25


def _clip_box(pts: np.ndarray, w: int, h: int) -> tuple[float, ...] | None:
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 - cx0 < 10 or cy1 - cy0 < 8:
        return None
    seen = (cx1 - cx0) * (cy1 - cy0)
    if seen < MIN_VISIBLE * (x1 - x0) * (y1 - y0) and seen < MIN_SEEN_FRAC * w * h:
        return None  # mostly off the image and small in it
    return (cx0, cy0, cx1, cy1)


def _distance_m(rng: np.random.Generator, half_length_m: float) -> float:
    """Metres ahead: a share near (big, maybe cut by the frame edge), the rest 5-30 m; the
    nearest end always stays 1 m in front of the camera."""
    lo, hi = NEAR_M if rng.random() < NEAR_SHARE else FAR_M
    return max(float(rng.uniform(lo, hi)), half_length_m + 1.0)


def _yaw(rng: np.random.Generator) -> float:
    if rng.random() < TURNED_SHARE:
        return float(rng.uniform(-1.3, 1.3))
    return float(rng.normal(0, 0.08))


def _ioa(inner, outer) -> float:
    ix = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return ix * iy / area if area > 0 else 0.0


def _noise_sigma(img: np.ndarray) -> float:
    """The photo's own noise: robust spread of (image - its blur), grey levels."""
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    d = np.abs(g - cv2.GaussianBlur(g, (0, 0), 1.0))
    return float(np.clip(1.4826 * np.median(d), 0.5, 8.0))


def composite(
    photo: Path,
    source: str,
    rng: np.random.Generator,
    rendered_negatives: bool = False,
    contents_from: Path | None = None,
    lettered: bool = True,
) -> tuple[np.ndarray, list, dict]:
    """One image: the photo with 1-2 realistic skips (and, if asked, 0-2 of the old flat-shaded
    look-alikes); labels [(cls, x1, y1, x2, y2)]. The skips' loads are cut from
    ``contents_from`` (another licensed train photo; default the photo itself)."""
    bg = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    h, w = bg.shape[:2]
    cam = random_camera(rng, w, h, source)
    light = float(np.clip(cv2.cvtColor(bg, cv2.COLOR_BGR2GRAY).mean() / 128.0, 0.45, 1.25))
    sun = (rng.uniform(-0.8, 0.8), rng.uniform(-0.6, 0.6))
    scene = scene_light(rng)
    stuff = cv2.imread(str(contents_from)) if contents_from is not None else None
    stuff = bg if stuff is None else stuff
    objs = _plan_objects(rng, rendered_negatives, lettered)
    img, labels, meta = bg.copy(), [], {"skips": [], "negatives": []}
    for m, z in sorted(objs, key=lambda o: -o[1]):  # far first
        x = float(rng.choice([-1, 1]) * rng.uniform(2.0, 6.0))
        yaw = _yaw(rng)
        if isinstance(m, str):  # a lettered look-alike: never labelled; it hides what is behind
            hid = LETTERED[m](img, cam, rng, x, z, float(rng.normal(0, 0.1)), scene)
            labels, meta = _hide_behind(labels, meta, hid)
            meta["negatives"].append(m)
        elif m is not None:
            pts = draw_real_skip(img, cam, m, x, z, yaw, scene, rng, stuff)
            box = _clip_box(pts, w, h)
            if box is not None:
                labels, meta = _add_skip_label(labels, meta, m, z, yaw, box)
        else:
            meta["negatives"].append(draw_negative(img, cam, rng, x, z, yaw, light, sun))
    if lettered and rng.random() < BADGE_SHARE:
        labels, meta = _hide_behind(labels, meta, draw_corner_badge(img, rng))
        meta["negatives"].append("corner_badge")
    img = _soften_changes(img, bg, rng, w)
    own = [
        b for b in background_boxes(photo, source) if all(_ioa(b[1:], s[1:]) < 0.5 for s in labels)
    ]
    return img, own + labels, meta


def _plan_objects(rng: np.random.Generator, rendered_negatives: bool, lettered: bool) -> list:
    """(what, distance m) of each object to draw: a SkipModel, None for an old flat-shaded
    look-alike, or the LETTERED name of a lettered look-alike."""
    n_skips = int(rng.choice([1, 1, 1, 2]))
    n_neg = int(rng.choice([0, 1, 1, 2])) if rendered_negatives else 0
    skips = [random_skip(rng) for _ in range(n_skips)]
    n_let = int(rng.choice(LETTERED_PER_IMAGE)) if lettered else 0
    objs = [(m, _distance_m(rng, (max(m.base_m, m.top_m) + m.width_m) / 2)) for m in skips] + [
        (None, _distance_m(rng, 3.0)) for _ in range(n_neg)
    ]
    objs += [(str(rng.choice(sorted(LETTERED))), _distance_m(rng, 4.5)) for _ in range(n_let)]
    return objs


def _add_skip_label(labels: list, meta: dict, m, z: float, yaw: float, box) -> tuple[list, dict]:
    """Label a drawn skip; a nearer skip hides what is mostly behind it (objects are drawn far
    first)."""
    labels = [b for b in labels if _ioa(b[1:], box) < 0.6]
    meta["skips"] = [k for k in meta["skips"] if _ioa(k["box"], box) < 0.6]
    labels.append((SKIP_CLASS, *box))
    meta["skips"].append(
        {
            "kind": m.kind,
            "state": m.state,
            "colour": m.colour,
            "z_m": round(z, 1),
            "yaw_deg": round(float(np.degrees(yaw)), 1),
            "box": [round(v, 1) for v in box],
        }
    )
    return labels, meta


def _soften_changes(img: np.ndarray, bg: np.ndarray, rng: np.random.Generator, w: int):
    """Blur and noise the drawn pixels (where ``img`` differs from ``bg``) like the photo."""
    changed = np.any(img != bg, axis=2).astype(np.float32)
    soft = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.1) * max(1.0, w / 1000))
    img = np.where(changed[..., None] > 0, soft, img)
    noise = rng.normal(0, _noise_sigma(bg), img.shape) * changed[..., None]
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _hide_behind(labels: list, meta: dict, box) -> tuple[list, dict]:
    """Drop the skips mostly hidden by a nearer, unlabelled object drawn over them."""
    keep = [b for b in labels if _ioa(b[1:], box) < 0.6]
    meta["skips"] = [k for k in meta["skips"] if _ioa(k["box"], box) < 0.6]
    return keep, meta


def write_composites(
    out: Path, count: int, seed: int, negatives: bool = True, rendered_negatives: bool = False
) -> dict:
    rng = np.random.default_rng(seed)
    bgs = backgrounds()
    if not bgs:
        raise SystemExit(f"no licensed backgrounds under {SHARED}")
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    (out / "meta.jsonl").unlink(missing_ok=True)
    summary = {
        "seed": seed,
        "images": 0,
        "skip_boxes": 0,
        "by_kind": {},
        "by_colour": {},
        "negatives": {},
    }
    for i in range(count):
        pool = [b for b in bgs if b[1] == ("brazil" if rng.random() < 0.7 else "roboflow")] or bgs
        photo, source = pool[int(rng.integers(len(pool)))]
        other = bgs[int(rng.integers(len(bgs)))][0]
        img, labels, meta = composite(photo, source, rng, rendered_negatives, other)
        h, w = img.shape[:2]
        stem = f"skipcomp_s{seed}_{i:05d}"
        cv2.imwrite(
            str(out / "images" / f"{stem}.jpg"),
            img,
            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 93))],
        )
        lines = [
            f"{c} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}"
            for c, x1, y1, x2, y2 in labels
        ]
        (out / "labels" / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        summary["images"] += 1
        with (out / "meta.jsonl").open("a") as fh:
            fh.write(json.dumps({"image": f"{stem}.jpg", "source": source, **meta}) + "\n")
        for s in meta["skips"]:
            summary["skip_boxes"] += 1
            summary["by_kind"][f"{s['kind']}/{s['state']}"] = (
                summary["by_kind"].get(f"{s['kind']}/{s['state']}", 0) + 1
            )
            summary["by_colour"][s["colour"]] = summary["by_colour"].get(s["colour"], 0) + 1
        for n in meta["negatives"]:
            summary["negatives"][n] = summary["negatives"].get(n, 0) + 1
    if negatives:
        for p in waste_negatives():
            link = out / "images" / f"amsterdam_waste__{p.stem}.jpg"
            if not link.exists():
                link.symlink_to(p.resolve())
            (out / "labels" / f"amsterdam_waste__{p.stem}.txt").write_text("")
            summary["negatives"]["real_waste_container_photo"] = (
                summary["negatives"].get("real_waste_container_photo", 0) + 1
            )
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "skip_composites")
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-real-negatives", action="store_true")
    ap.add_argument(
        "--rendered-negatives",
        action="store_true",
        help="also draw the old flat-shaded cars/vans/barriers/bins (cartoons; off by default)",
    )
    args = ap.parse_args(argv)
    summary = write_composites(
        args.out, args.count, args.seed, not args.no_real_negatives, args.rendered_negatives
    )
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
