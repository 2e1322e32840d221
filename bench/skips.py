"""Skip detection benchmarks: the shipped detector (or any weights) on real images, and the
evidence rule chosen on our own renders.

``python bench/skips.py real``        real sets, report only (never tune on them):
    * ``uk_skips_business_photos`` (41 images with a skip): image-level recall at the shipped threshold;
    * ``holdout/amsterdam_containers_pano``: forward dashcam-like views cut from the 360° panoramas,
      box recall at IoU 0.3 on the skip-like boxes (``boxes_by_eye.csv``);
    * false-positive image share: 200 skip-free road photos (Roboflow, Brazil and Mexico test
      splits) and the 151 Amsterdam waste-container photos.
    Writes bench/results/skips.json.
``python bench/skips.py validation``  choose the evidence rule on rendered validation scenes
    (``make_sample.py --training-frames var/skip_val_renders --count 150 --seed 11``; never the
    sample drive): skip precision/recall per box by confidence, and per scene by how many of its
    3 poses (9 m apart) see the skip. Writes bench/results/skips_validation.json.
``python bench/skips.py composites``  held-out skip composites (``sample_footage/skip_composites.py
    --out var/skip_composites_val --count 150 --seed 2 --no-real-negatives``; the training build uses
    seed 1): skip recall by colour, kind and distance. Writes bench/results/skips_composites.json.

Paths are relative to the repository root. Images are read from ../shared, never copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
# ../shared (ROADCAM_SHARED_DATA names its data folder where it lives elsewhere, as in tests/conftest.py)
SHARED = Path(os.environ.get("ROADCAM_SHARED_DATA", ROOT.parent / "shared" / "data")).parent
WEIGHTS = ROOT / "detector" / "weights" / "roadcam.onnx"
SKIP_LIKE = ("open_skip", "enclosed_waste_container", "waste_container_type_unclear")
VIEW_HFOV_DEG, VIEW_PITCH_DEG, VIEW_W, VIEW_H = 90.0, -5.0, 960, 540
log = logging.getLogger("bench.skips")


def _rel(p: Path) -> str:
    """A path under ../shared as ``../shared/...``, one in the repo relative to it."""
    p = p.resolve()
    if p.is_relative_to(SHARED.resolve()):
        return str(Path("..") / "shared" / p.relative_to(SHARED.resolve()))
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name


def _read(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)  # applies the EXIF orientation
    if img is None:
        raise ValueError(f"cannot read {path}")
    return img


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def skip_boxes(det, min_conf: float = 0.0) -> list[tuple[float, float, float, float, float]]:
    """(x1, y1, x2, y2, conf) of the skip detections at or above ``min_conf``."""
    out = []
    for box, score, name in zip(det.xyxy, det.confidence, det.names, strict=True):
        if name == "skip" and score >= min_conf:
            out.append((*map(float, box), float(score)))
    return out


# -- equirectangular panorama -> a forward dashcam-like view ---------------------------------


def _rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Camera-to-world rotation; world x right, y up, z forward (yaw 0 = pano centre)."""
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    return ry @ rx


def _focal() -> float:
    return (VIEW_W / 2) / math.tan(math.radians(VIEW_HFOV_DEG) / 2)


def pano_view(pano: np.ndarray, yaw_deg: float) -> np.ndarray:
    """A pinhole view (``VIEW_W`` x ``VIEW_H``, ``VIEW_HFOV_DEG``) looking at ``yaw_deg``."""
    import cv2

    h, w = pano.shape[:2]
    f = _focal()
    u, v = np.meshgrid(np.arange(VIEW_W) - VIEW_W / 2 + 0.5, np.arange(VIEW_H) - VIEW_H / 2 + 0.5)
    rays = np.stack([u, -v, np.full_like(u, f)], axis=-1) @ _rotation(yaw_deg, VIEW_PITCH_DEG).T
    lon = np.arctan2(rays[..., 0], rays[..., 2])
    lat = np.arctan2(rays[..., 1], np.hypot(rays[..., 0], rays[..., 2]))
    mx = ((lon / (2 * math.pi) + 0.5) * w).astype(np.float32) % w
    my = ((0.5 - lat / math.pi) * h).astype(np.float32)
    return cv2.remap(pano, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def pano_box_to_view(box_xywh, pano_wh, yaw_deg: float) -> tuple[float, ...] | None:
    """A pano box (x, y, w, h) as the bounding box of its outline in the view, or None if behind."""
    x, y, bw, bh = box_xywh
    w, h = pano_wh
    t = np.linspace(0, 1, 25)
    xs = np.concatenate([x + bw * t, x + bw * t, np.full_like(t, x), np.full_like(t, x + bw)])
    ys = np.concatenate([np.full_like(t, y), np.full_like(t, y + bh), y + bh * t, y + bh * t])
    lon, lat = (xs / w - 0.5) * 2 * math.pi, (0.5 - ys / h) * math.pi
    rays = np.stack([np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon)], axis=-1)
    cam = rays @ _rotation(yaw_deg, VIEW_PITCH_DEG)
    if np.any(cam[:, 2] <= 0.1):
        return None
    f = _focal()
    u = f * cam[:, 0] / cam[:, 2] + VIEW_W / 2
    v = -f * cam[:, 1] / cam[:, 2] + VIEW_H / 2
    box = (float(u.min()), float(v.min()), float(u.max()), float(v.max()))
    inside = box[0] >= 0 and box[1] >= 0 and box[2] <= VIEW_W and box[3] <= VIEW_H
    return box if inside else None


# -- the real sets ---------------------------------------------------------------------------


def uk_skip_photos(det, conf: float) -> dict:
    root = SHARED / "data" / "uk_skips_business_photos"
    rows = list(csv.DictReader((root / "manifest.csv").open()))
    hits, n, neg_hits, per = 0, 0, 0, []
    for r in rows:
        boxes = skip_boxes(det.detect(_read(root / r["file"])), conf)
        best = max((b[4] for b in boxes), default=0.0)
        per.append(
            {"file": r["file"], "skip_visible": r["skip_visible"], "best_skip_conf": round(best, 3)}
        )
        if r["skip_visible"] in ("yes", "partial"):
            n += 1
            hits += bool(boxes)
        else:
            neg_hits += bool(boxes)
    return {
        "images_with_skip": n,
        "images_found": hits,
        "image_recall": round(hits / n, 3),
        "hard_negative_images_with_a_skip": neg_hits,
        "per_image": per,
    }


def amsterdam_pano_views(det, conf: float) -> dict:
    root = SHARED / "holdout" / "amsterdam_containers_pano"
    boxes = list(csv.DictReader((root / "boxes_by_eye.csv").open()))
    skip_like = [b for b in boxes if b["object_type_by_eye"] in SKIP_LIKE]
    found, judged, behind, per = 0, 0, 0, []
    cache: dict[tuple[str, float], list] = {}
    for b in skip_like:
        pano = _read(root / b["file"])
        h, w = pano.shape[:2]
        xywh = tuple(float(b[k]) for k in ("x", "y", "w", "h"))
        centre_deg = ((xywh[0] + xywh[2] / 2) / w - 0.5) * 360
        yaw = (
            round(centre_deg / 45) * 45.0
        )  # the forward view (one of 8, 45° apart) nearest the box
        vbox = pano_box_to_view(xywh, (w, h), yaw)
        if vbox is None:
            behind += 1
            continue
        key = (b["file"], yaw)
        if key not in cache:
            cache[key] = skip_boxes(det.detect(pano_view(pano, yaw)), conf)
        best = max((iou(vbox, d) for d in cache[key]), default=0.0)
        judged += 1
        found += best >= 0.3
        per.append(
            {
                "box_index": int(b["box_index"]),
                "type": b["object_type_by_eye"],
                "view_yaw_deg": yaw,
                "box_px": [round(v) for v in vbox],
                "best_iou": round(best, 3),
            }
        )
    return {
        "skip_like_boxes": len(skip_like),
        "boxes_in_a_view": judged,
        "boxes_not_fully_in_a_view": behind,
        "found_iou_0_3": found,
        "box_recall": round(found / judged, 3) if judged else None,
        "views": len(cache),
        "skip_detections_in_views": sum(len(v) for v in cache.values()),
        "view": f"{VIEW_W}x{VIEW_H}, hfov {VIEW_HFOV_DEG:g} deg, pitch {VIEW_PITCH_DEG:g} deg, yaws every 45 deg",
        "per_box": per,
    }


def skip_free_road_photos() -> list[Path]:
    """200 skip-free road photos from the test splits: all 67 Roboflow, all 98 Brazil, the first 35 Mexico."""
    data = SHARED / "data"
    robo = sorted((data / "pothole_roboflow_chitholian" / "test" / "images").glob("*.jpg"))
    split = csv.DictReader((ROOT / "detector" / "recipes" / "brazil_dnit_split.csv").open())
    brazil_dir = data / "cracks_potholes_brazil_dnit_subset" / "Dataset"
    brazil = [
        brazil_dir / r["sample_id"] / f"{r['sample_id']}_RAW.jpg"
        for r in split
        if r["split"] == "test"
    ]
    mexico = sorted((data / "potholes_mexico_streetview_circles" / "Baches_Img").glob("*.jpg"))
    return (robo + sorted(brazil) + mexico)[:200]


def waste_eval_half(paths: list[Path]) -> list[Path]:
    """The Amsterdam waste photos kept out of training (split_of(stem, 50, 0, "roadcam-waste") != train)."""
    from detector.dataset import split_of

    return [p for p in paths if split_of(p.stem, 50, 0, "roadcam-waste") != "train"]


def fp_share(det, conf: float, paths: list[Path]) -> dict:
    flagged = [p for p in paths if skip_boxes(det.detect(_read(p)), conf)]
    return {
        "images": len(paths),
        "images_with_a_skip": len(flagged),
        "share": round(len(flagged) / len(paths), 3) if paths else None,
        "flagged": [_rel(p) for p in flagged],
    }


def run_real(weights: Path, conf: float | None) -> dict:
    from detector.model import Detector

    det = Detector(weights, conf_threshold=conf)
    conf = det.conf_threshold
    waste = sorted(
        (SHARED / "data" / "amsterdam_waste_container_reports_geotagged" / "images").glob("*.jpg")
    )
    out = {
        "weights": str(weights.resolve().relative_to(ROOT))
        if weights.resolve().is_relative_to(ROOT)
        else weights.name,
        "conf_threshold": conf,
        "uk_skip_photos": uk_skip_photos(det, conf),
        "amsterdam_pano_views": amsterdam_pano_views(det, conf),
        "fp_skip_free_road_photos": fp_share(det, conf, skip_free_road_photos()),
        "fp_amsterdam_waste_containers": fp_share(det, conf, waste),
        # the half sample_footage/skip_composites.py never uses as a training negative
        "fp_amsterdam_waste_containers_eval_half": fp_share(det, conf, waste_eval_half(waste)),
    }
    return out


# -- choosing the evidence rule on our own renders ----------------------------------------


def _truth(label: Path, w: int, h: int) -> list[tuple[float, float, float, float]]:
    out = []
    for line in label.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 5 and parts[0] == "3":
            cx, cy, bw, bh = (float(v) for v in parts[1:])
            out.append(((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
    return out


def _match(truth, dets, conf: float) -> tuple[int, int, int]:
    """Greedy IoU >= 0.3 matching, highest confidence first: (tp, fp, fn)."""
    left, tp, fp = list(truth), 0, 0
    for d in sorted((d for d in dets if d[4] >= conf), key=lambda d: -d[4]):
        best = max(range(len(left)), key=lambda i: iou(left[i], d), default=None)
        if best is not None and iou(left[best], d) >= 0.3:
            left.pop(best)
            tp += 1
        else:
            fp += 1
    return tp, fp, len(left)


def run_validation(weights: Path, renders: Path, poses: int = 3) -> dict:
    from detector.model import Detector

    det = Detector(weights, conf_threshold=0.05)
    shipped = float(Detector(weights).conf_threshold)
    frames = []
    for img_path in sorted((renders / "images").glob("*.jpg")):
        img = _read(img_path)
        truth = _truth(renders / "labels" / f"{img_path.stem}.txt", img.shape[1], img.shape[0])
        frames.append((truth, skip_boxes(det.detect(img))))
    by_conf = {}
    for conf in (0.1, 0.2, shipped, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        tp, fp, fn = (sum(x) for x in zip(*(_match(t, d, conf) for t, d in frames), strict=True))
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        by_conf[f"{conf:g}"] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(2 * p * r / max(1e-9, p + r), 3),
        }
    scenes = [frames[i : i + poses] for i in range(0, len(frames) - poses + 1, poses)]
    by_k = {}
    for k in range(1, poses + 1):
        true_ok = labelled = false_scenes = 0
        for sc in scenes:
            m = [_match(t, d, shipped) for t, d in sc]
            if sum(bool(t) for t, _ in sc) >= min(k, 2):
                labelled += 1
                true_ok += sum(tp > 0 for tp, _, _ in m) >= k
            false_scenes += sum(fp > 0 for _, fp, _ in m) >= k
        by_k[str(k)] = {
            "scenes_with_skip_labelled": labelled,  # in >= min(k, 2) poses
            "skip_seen_in_k_poses": true_ok,
            "scene_recall": round(true_ok / max(1, labelled), 3),
            "scenes_with_a_false_skip_in_k_poses": false_scenes,
        }
    return {
        "renders": _rel(renders),
        "frames": len(frames),
        "scenes": len(scenes),
        "pose_step_m": 9.0,
        "shipped_conf": shipped,
        "per_box_by_conf": by_conf,
        "per_scene_by_min_sightings_at_shipped_conf": by_k,
    }


def run_composites(weights: Path, folder: Path, conf: float | None) -> dict:
    """The detector on held-out composites (another seed than the training build): skip recall at
    IoU 0.3 by colour, kind/state and distance, and images with a false skip."""
    from detector.model import Detector

    det = Detector(weights, conf_threshold=conf)
    groups: dict[str, dict[str, list[int]]] = {"colour": {}, "kind": {}, "distance_m": {}}
    false_images = images = 0
    for line in (folder / "meta.jsonl").read_text().splitlines():
        meta = json.loads(line)
        dets = skip_boxes(det.detect(_read(folder / "images" / meta["image"])), det.conf_threshold)
        images += 1
        false_images += any(
            max((iou(d, k["box"]) for k in meta["skips"]), default=0) < 0.3 for d in dets
        )
        for k in meta["skips"]:
            hit = int(any(iou(k["box"], d) >= 0.3 for d in dets))
            band = "2.5-5" if k["z_m"] < 5 else "5-15" if k["z_m"] < 15 else "15-30"
            for g, key in (
                ("colour", k["colour"]),
                ("kind", f"{k['kind']}/{k['state']}"),
                ("distance_m", band),
            ):
                groups[g].setdefault(key, []).append(hit)
    table = {
        g: {
            k: {"skips": len(v), "found": sum(v), "recall": round(sum(v) / len(v), 3)}
            for k, v in sorted(d.items())
        }
        for g, d in groups.items()
    }
    hits = [h for v in groups["colour"].values() for h in v]
    return {
        "folder": _rel(folder),
        "conf_threshold": det.conf_threshold,
        "images": images,
        "skips": len(hits),
        "recall": round(sum(hits) / max(1, len(hits)), 3),
        "images_with_a_false_skip": false_images,
        "by": table,
    }


def _print_real(r: dict) -> None:
    uk, am = r["uk_skip_photos"], r["amsterdam_pano_views"]
    fp1, fp2 = r["fp_skip_free_road_photos"], r["fp_amsterdam_waste_containers"]
    print(f"weights {r['weights']} at conf {r['conf_threshold']}")
    print(
        f"  UK skip photos: image recall {uk['image_recall']} ({uk['images_found']}/{uk['images_with_skip']})"
    )
    print(
        f"  Amsterdam pano views: box recall @IoU0.3 {am['box_recall']} "
        f"({am['found_iou_0_3']}/{am['boxes_in_a_view']} skip-like boxes)"
    )
    print(
        f"  skip-free road photos with a skip: {fp1['share']} ({fp1['images_with_a_skip']}/{fp1['images']})"
    )
    print(
        f"  waste-container photos with a skip: {fp2['share']} ({fp2['images_with_a_skip']}/{fp2['images']})"
    )
    fp3 = r["fp_amsterdam_waste_containers_eval_half"]
    print(
        f"    the half never trained on: {fp3['share']} ({fp3['images_with_a_skip']}/{fp3['images']})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("what", choices=("real", "validation", "composites"))
    ap.add_argument("--weights", type=Path, default=WEIGHTS)
    ap.add_argument(
        "--conf", type=float, default=None, help="default: the weights card's threshold"
    )
    ap.add_argument("--renders", type=Path, default=ROOT / "var" / "skip_val_renders")
    ap.add_argument("--composites", type=Path, default=ROOT / "var" / "skip_composites_val")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.what == "real":
        if not (SHARED / "data" / "uk_skips_business_photos").is_dir():
            print("../shared/data is absent: nothing to measure", file=sys.stderr)
            return 2
        result = run_real(args.weights, args.conf)
        _print_real(result)
        out = args.out or RESULTS / "skips.json"
    elif args.what == "composites":
        result = run_composites(args.weights, args.composites, args.conf)
        print(json.dumps({k: v for k, v in result.items() if k != "by"}))
        for g, rows in result["by"].items():
            print(
                f"  by {g}: " + ", ".join(f"{k} {v['found']}/{v['skips']}" for k, v in rows.items())
            )
        out = args.out or RESULTS / "skips_composites.json"
    else:
        result = run_validation(args.weights, args.renders)
        print(json.dumps({k: v for k, v in result.items() if k.startswith("per_")}, indent=1))
        out = args.out or RESULTS / "skips_validation.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
