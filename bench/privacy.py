"""How well the evidence blur covers people and number plates, counted by eye; and what it costs.

    python bench/privacy.py                      # figures from bench/privacy_by_eye.csv + timing
    python bench/privacy.py --sheets var/privacy_sheets   # also write original|blurred PNGs to look at

The 30 images are fixed by rule, not picked: the first 10 forward BlackVue thumbnails (``*F.thm``,
name order), the first 12 Mexico street photos (``bache_0001``..``0012``), and the forward view
(yaw 0, 960x540, as bench/skips.py renders it) of the first 8 Amsterdam panoramas (name order;
holdout: reported, nothing was chosen by it). For each image a person looked at the original and
the blurred copy side by side (zooming in where needed) and counted into ``bench/privacy_by_eye.csv``:
people visible and people blurred beyond recognition; number plates visible (the plate of a
vehicle end facing the camera, large enough to see as a plate) and those the blur covers. Both
public street sets were already anonymised by their publishers (Google Street View, the City of
Amsterdam), so no plate in them is legible and some people are blurred at the source; a plate's
place, not its text, is what was counted. The BlackVue thumbnails (704x480) show no readable plate.
This script joins those counts with what the detector found, times the blur per image
(detect + blur, the work added to each stored frame) and writes ``bench/results/privacy.json``.
Nothing was tuned on these images: the zone rule and the 0.2 threshold were set before counting.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from roadcam.settings import shared_data_dir  # noqa: E402

SHARED = shared_data_dir().parent
BY_EYE = ROOT / "bench" / "privacy_by_eye.csv"
OUT = ROOT / "bench" / "results" / "privacy.json"
WEIGHTS = ROOT / "detector" / "weights" / "privacy.onnx"
COUNTS = ("people_seen", "people_covered", "plates_seen", "plates_covered")


def image_list() -> list[tuple[str, str, Path, float | None]]:
    """(set, name, path, pano yaw or None) of the 30 images, by the rule in the module doc."""
    data, hold = SHARED / "data", SHARED / "holdout"
    bv = sorted((data / "blackvue_dashcam_minsk_nmea" / "examples").glob("*F.thm"))[:10]
    mx = sorted((data / "potholes_mexico_streetview_circles" / "Baches_Img").glob("bache_*.jpg"))
    pano_dir = hold / "amsterdam_containers_pano" / "data_sample"
    pano = sorted(pano_dir.glob("*/*.jpg"), key=lambda p: p.name)[:8]
    return (
        [("blackvue", p.name, p, None) for p in bv]
        + [("mexico", p.name, p, None) for p in mx[:12]]
        + [("amsterdam_holdout", p.name, p, 0.0) for p in pano]
    )


def load(path: Path, yaw: float | None) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"unreadable image: {path.name}")
    if yaw is None:
        return image
    from bench.skips import pano_view

    return pano_view(image, yaw)


def timed(blurrer, image: np.ndarray, repeats: int) -> tuple[float, object, np.ndarray, float]:
    """Median wall ms of detect + blur (what a stored frame pays), the boxes, the blurred image,
    and the median CPU ms of this process (all threads) for the same work."""
    from detector.privacy import blur_zones, zones_from_boxes

    times, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        found = blurrer.detect(image)
        out = blur_zones(image, zones_from_boxes(found, image.shape))
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(times), found, out, statistics.median(cpu)


def sheet(path: Path, image: np.ndarray, blurred: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.hstack([image, blurred]))


def by_eye() -> dict[str, dict[str, int]]:
    if not BY_EYE.is_file():
        return {}
    return {r["image"]: {k: int(r[k]) for k in COUNTS} for r in csv.DictReader(BY_EYE.open())}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for name in sorted({r["set"] for r in rows}) + ["all"]:
        sel = [r for r in rows if name in ("all", r["set"]) and "people_seen" in r]
        if not sel:
            continue
        s = {k: sum(r[k] for r in sel) for k in COUNTS}
        s["images"] = len(sel)
        s["people_covered_share"] = round(s["people_covered"] / s["people_seen"], 3) if s["people_seen"] else None  # fmt: skip
        s["plates_covered_share"] = round(s["plates_covered"] / s["plates_seen"], 3) if s["plates_seen"] else None  # fmt: skip
        out[name] = s
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheets", type=Path, default=None, help="write original|blurred PNGs here")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per image (median)")
    ap.add_argument("--backend", default="onnxruntime", choices=["onnxruntime", "openvino"])
    args = ap.parse_args(argv)
    if not (SHARED / "data").is_dir():
        print(f"needs the shared data at {SHARED / 'data'}", file=sys.stderr)
        return 2
    os.environ.setdefault("OPENVINO_TELEMETRY_OPT_OUT", "1")
    from detector.privacy import PrivacyBlurrer

    blurrer = PrivacyBlurrer(WEIGHTS, backend=args.backend)
    eye = by_eye()
    rows = []
    for set_name, name, path, yaw in image_list():
        image = load(path, yaw)
        blurrer.detect(image)  # warm-up (first shape compiles)
        ms, found, blurred, _ = timed(blurrer, image, args.repeats)
        cls = found.class_id.tolist()
        row = {"set": set_name, "image": name, "width": image.shape[1], "height": image.shape[0],
               "people_found": cls.count(0), "vehicles_found": len(cls) - cls.count(0),
               "ms": round(ms, 1), **eye.get(name, {})}  # fmt: skip
        rows.append(row)
        if args.sheets:
            sheet(args.sheets / f"{set_name}__{Path(name).stem}.png", image, blurred)
    ms_all = [r["ms"] for r in rows]
    import cv2

    # a stored frame of the pipeline is 1280x720: a Mexico street photo scaled to it
    frame_720 = cv2.resize(load(image_list()[10][2], None), (1280, 720))
    blurrer.detect(frame_720)
    ms_720, _, _, cpu_720 = timed(blurrer, frame_720, max(args.repeats, 10))
    result = {
        "command": "python bench/privacy.py",
        "weights": "detector/weights/privacy.onnx",
        "backend": args.backend,
        "threads": os.environ.get("ROADCAM_THREADS", "default (min(cpus, 8))"),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "conf_threshold": blurrer.conf_threshold,
        "imgsz": blurrer.imgsz,
        "ms_per_image_median": round(statistics.median(ms_all), 1),
        "ms_per_1280x720_frame_median": round(ms_720, 1),
        "cpu_ms_per_1280x720_frame_median": round(cpu_720, 1),
        "by_eye": summarise(rows),
        "per_image": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "per_image"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
