"""Marking-wear benchmark: synthetic fades of real paint, and real graded markings.

``python bench/markings.py``            calibration on the Brazilian valid split + the LaneQ holdout
``python bench/markings.py --split train --choose --limit 240``   the figures the white point
and FRESH_CONTRAST were chosen from (session 6; sessions 4-5 chose on the first 80)

1. **Calibration** (``../shared/data/cracks_potholes_brazil_dnit_subset``, train/valid of
   ``detector/recipes/brazil_dnit_split.csv``, never test): each image's paint is found by an
   *independent* mask (a row-median background and an Otsu threshold, not the measure's local
   surface and fixed rise), then faded at known levels, uniformly (paint blended towards the
   inpainted road) and in patches (that share of paint pixels replaced by the inpainted road).
   Spearman of measured wear vs level, per line and pooled, on the given mask and end to end:
   paint found in the whole frame (``end_to_end``, as in sessions 4-5) and only in the rows the
   independent mask looks in (``end_to_end_fade_rows``, session 6: a line's part above that cut
   is never faded, and found together with the faded part it makes the line read less worn).
1b. **Markings that touch** (session 9): a yellow (and a white) line with white chevrons
   touching it, and double white lines (a continuous and a broken line touching towards the
   horizon), drawn on 40 images of the same split, each marking faded to its own level;
   end-to-end Spearman.
2. **Our own real grades** (``bench/marking_grades_by_eye.csv``): 92 lines on 25 Brazilian
   *train* images graded by eye by two graders independently (0 as new, 1 gone), each drawn as
   a line from its bottom end to its top end; Spearman on the drawn bands and end to end against
   the mean grade and each grader's. Settings are chosen here, or on 1.
3. **Holdout** (``../shared/holdout/laneq_markings``, evaluation only): Spearman of wear vs the
   41 grades on the given masks and end to end (paint found in the whole frame, and in the
   default road region ``roadcam markings wear`` looks in: the lower 60 %), and the naive
   baseline (1 - mean grey).
Writes bench/results/markings.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
from roadcam.settings import shared_data_dir  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SHARED_DATA = shared_data_dir()
BRAZIL = SHARED_DATA / "cracks_potholes_brazil_dnit_subset"
LANEQ = SHARED_DATA.parent / "holdout" / "laneq_markings"
SPLIT_CSV = ROOT / "detector" / "recipes" / "brazil_dnit_split.csv"
LEVELS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def independent_paint_mask(image: np.ndarray) -> list[np.ndarray]:
    """Paint lines of a Brazilian frame by a method the measure does not use (see module doc)."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    h, w = grey.shape
    resid = grey - np.median(grey, axis=1, keepdims=True)
    region = fade_rows((h, w))
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hue, sat = hsv[..., 0].astype(int), hsv[..., 1].astype(int)
    region &= (sat < 60) | ((hue >= 15) & (hue <= 35))  # white or yellow paint; not logo, soil
    vals = np.clip(resid[region] + 128, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(vals, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = ((resid + 128) > max(t, 128 + 25)) & region
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] < 80:
            continue
        ys, xs = np.nonzero(lab == i)
        ev = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
        (_c, (rw, rh), _a) = cv2.minAreaRect(np.stack([xs, ys], 1).astype(np.float32))
        thin = min(rw, rh) <= 0.04 * w and stats[i, cv2.CC_STAT_AREA] >= 0.5 * rw * rh
        if np.sqrt(ev[-1] / max(ev[0], 1e-6)) >= 4.0 and thin:
            out.append(lab == i)
    return out


def fade(image: np.ndarray, masks: list[np.ndarray], level: float, mode: str, seed: int):
    """The image with its paint faded by ``level`` (uniform blend, or patches removed)."""
    import cv2

    union = np.zeros(image.shape[:2], bool)
    for m in masks:
        union |= m
    grown = cv2.dilate(union.astype(np.uint8), np.ones((5, 5), np.uint8))
    road = cv2.inpaint(image, grown, 5, cv2.INPAINT_TELEA).astype(np.float32)
    soft = cv2.GaussianBlur(
        cv2.dilate(union.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32), (0, 0), 1
    )
    if mode == "uniform":
        w = level * soft
    else:
        rng = np.random.default_rng(seed)
        h, wd = image.shape[:2]
        noise = cv2.resize(
            rng.normal(size=(h // 16 + 2, wd // 16 + 2)).astype(np.float32),
            (wd, h),
            interpolation=cv2.INTER_CUBIC,
        )
        inside = noise[union]
        rank = np.empty(inside.size)
        rank[np.argsort(inside)] = (np.arange(inside.size) + 0.5) / max(inside.size, 1)
        u = np.ones((h, wd), np.float32)
        u[union] = rank
        gone = cv2.dilate((u < level).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(float)
        w = gone * soft
    out = image.astype(np.float32) * (1 - w[..., None]) + road * w[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def best_match(found: list[np.ndarray], truth: np.ndarray) -> int | None:
    """Index of the found marking overlapping ``truth`` most (None when none overlaps it)."""
    best, best_i = 0, None
    for i, f in enumerate(found):
        ov = int((f & truth).sum())
        if ov > best:
            best, best_i = ov, i
    return best_i if best >= 0.2 * truth.sum() else None


#: The rows the independent mask looks in (and so the fade): below this share of the height.
MASK_TOP = 0.35


def fade_rows(shape: tuple[int, ...]) -> np.ndarray:
    """The rows of the frame where :func:`independent_paint_mask` looks for paint."""
    region = np.zeros(shape[:2], bool)
    region[int(MASK_TOP * shape[0]) :, :] = True
    return region


def end_to_end(
    image: np.ndarray, truths: list[np.ndarray], region: np.ndarray | None = None
) -> tuple[list[float], list[bool]]:
    """Wear of each truth marking measured on the paint found by the measure itself (1 if none),
    and whether it was found; paint is found in ``region`` (default: the whole frame)."""
    from detector.marking_finder import find_markings
    from detector.markings import measure_masks

    region = np.ones(image.shape[:2], bool) if region is None else region
    found = find_markings(image, region=region)
    wears = measure_masks(image, found) if found else []
    out, hits = [], []
    for t in truths:
        i = best_match(found, t)
        out.append(1.0 if i is None else wears[i].wear)
        hits.append(i is not None)
    return out, hits


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def calibration(split: str, limit: int) -> dict:
    import cv2

    from detector.markings import measure_masks

    ids = [r["sample_id"] for r in csv.DictReader(SPLIT_CSV.open()) if r["split"] == split]
    rows, intact, used = [], [], 0
    for sid in ids:
        if used >= limit:
            break
        image = cv2.imread(str(BRAZIL / "Dataset" / sid / f"{sid}_RAW.jpg"))
        if image is None:
            continue
        image = cv2.resize(image, (512, 315), interpolation=cv2.INTER_AREA)  # half size: time
        lines = independent_paint_mask(image)
        if not lines:
            continue
        used += 1
        for mode in ("uniform", "patchy"):
            for level in LEVELS:
                faded = fade(image, lines, level, mode, seed=zlib.crc32(sid.encode()))
                given = measure_masks(faded, lines)
                e2e, _hit = end_to_end(faded, lines)
                e2e_rows, _hit = end_to_end(faded, lines, fade_rows(faded.shape))
                for k, (g, e, er) in enumerate(zip(given, e2e, e2e_rows, strict=True)):
                    rows.append((sid, k, mode, level, g.wear, e, er))
                    if level == 0 and mode == "uniform":
                        intact.append(g.contrast)
    return _calibration_figures(rows, used, split, intact)


def _calibration_figures(rows, used, split, intact) -> dict:
    out: dict = {"split": split, "images": used, "lines": len({(r[0], r[1]) for r in rows})}
    for mode in ("uniform", "patchy", "both"):
        sel = [r for r in rows if mode == "both" or r[2] == mode]
        for which, col in (("given_mask", 4), ("end_to_end", 5), ("end_to_end_fade_rows", 6)):
            per_line = {}
            for r in sel:
                per_line.setdefault((r[0], r[1], r[2]), []).append((r[3], r[col]))
            rhos = [_spearman(*zip(*v, strict=True)) for v in per_line.values()]
            rhos = [x for x in rhos if x == x]
            out[f"{mode}_{which}"] = {
                "pooled_spearman": round(_spearman([r[3] for r in sel], [r[col] for r in sel]), 4),
                "per_line_spearman_median": round(float(np.median(rhos)), 4) if rhos else None,
                "per_line_spearman_min": round(float(np.min(rhos)), 4) if rhos else None,
                "n": len(sel),
            }
    out["intact_contrast_median"] = round(float(np.median(intact)), 4) if intact else None
    return out


YELLOW_BGR, WHITE_BGR = (40.0, 185.0, 225.0), (235.0, 235.0, 235.0)


def draw_line_with_chevrons(image: np.ndarray, seed: int, line_bgr=YELLOW_BGR):
    """A line towards the horizon (yellow unless told) with three white chevrons touching its
    right side, drawn on a real road image: ``(image, masks, levels)`` (:func:`_blend`).
    Markings that touch are the finder's case (session 9); the levels are the truth."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    vx, vy, bx = w * rng.uniform(0.4, 0.6), h * 0.3, w * rng.uniform(0.15, 0.4)
    t = np.linspace(0.0, 0.8, 40)
    pts = np.stack([bx + (vx - bx) * t, h - 1 + (vy - h + 1) * t], 1)
    line = np.zeros((h, w), np.uint8)
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
        width = max(2, int(round(8 * (y0 - vy) / (h - vy))))
        cv2.line(line, (int(x0), int(y0)), (int(x1), int(y1)), 1, width)
    masks, colours = [line > 0], [line_bgr]
    for share in (0.1, 0.3, 0.5):
        x0, y0 = pts[int(share * 39)]
        near = (y0 - vy) / (h - vy)  # 1 at the bottom of the frame, 0 at the horizon
        half = max(2, int(round(8 * near))) * 0.5
        mark = np.zeros((h, w), np.uint8)
        p0, p1 = (int(x0 + half), int(y0)), (int(x0 + half + 60 * near), int(y0 - 25 * near))
        cv2.line(mark, p0, p1, 1, max(2, int(round(7 * near))))
        masks.append((mark > 0) & ~masks[0])
        colours.append(WHITE_BGR)
    return _blend(image, masks, colours, rng)


def draw_double_white_lines(image: np.ndarray, seed: int):
    """Double white lines (UK): a continuous line and a broken one beside it, 6-12 px apart at
    the bottom of the frame and touching towards the horizon, drawn on a real road image:
    ``(image, masks, levels)`` (:func:`_blend`); the continuous line, then four dashes."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    vx, vy, bx = w * rng.uniform(0.4, 0.6), h * 0.3, w * rng.uniform(0.2, 0.45)
    apart = rng.uniform(6.0, 12.0) + 7.0  # centre to centre at the bottom, px

    def stroke(s0: float, s1: float, off: float) -> np.ndarray:
        mask = np.zeros((h, w), np.uint8)
        t = np.linspace(s0, s1, max(2, int(60 * (s1 - s0) / 0.8)))
        for a, b in zip(t[:-1], t[1:], strict=True):
            (x0, y0), (x1, y1) = ((bx + off + (vx - bx - off) * u, h - 1 + (vy - h + 1) * u)
                                  for u in (a, b))  # fmt: skip
            width = max(1, int(round(7 * (1 - a / 0.8 * 0.85))))
            cv2.line(mask, (int(x0), int(y0)), (int(x1), int(y1)), 1, width)
        return mask > 0

    masks = [stroke(0.0, 0.8, 0.0)]
    masks += [stroke(s, s + 0.1, apart) & ~masks[0] for s in (0.02, 0.22, 0.42, 0.62)]
    return _blend(image, masks, [WHITE_BGR] * len(masks), rng)


def _blend(image, masks, colours, rng):
    """Each marking painted in its colour and blended to the road at its own level (0-1, the
    truth), softened like a lens: ``(image, masks, levels)``."""
    import cv2

    levels = [float(v) for v in rng.choice(LEVELS, len(masks))]
    out = image.astype(np.float32)
    for m, colour, level in zip(masks, colours, levels, strict=True):
        paint = np.array(colour, np.float32) * rng.uniform(0.85, 1.0)
        alpha = cv2.GaussianBlur(m.astype(np.float32), (0, 0), 0.7) * (1.0 - level)
        out = out * (1 - alpha[..., None]) + paint * alpha[..., None]
    return np.clip(out, 0, 255).astype(np.uint8), masks, levels


def drawn_markings(split: str, limit: int, draw=draw_line_with_chevrons) -> dict:
    """End-to-end Spearman of wear vs level on markings drawn by ``draw(image, seed)`` on
    ``limit`` images of the calibration ``split`` (half size, seeded by the image id)."""
    import cv2

    ids = [r["sample_id"] for r in csv.DictReader(SPLIT_CSV.open()) if r["split"] == split]
    levels, wears, found = [], [], 0
    for sid in ids[:limit]:
        image = cv2.imread(str(BRAZIL / "Dataset" / sid / f"{sid}_RAW.jpg"))
        if image is None:
            continue
        image = cv2.resize(image, (512, 315), interpolation=cv2.INTER_AREA)
        drawn, masks, lv = draw(image, zlib.crc32(sid.encode()))
        got, hits = end_to_end(drawn, masks)
        levels, wears, found = levels + lv, wears + got, found + sum(hits)
    return {
        "split": split,
        "markings": len(levels),
        "found": found,
        "end_to_end_spearman": round(_spearman(levels, wears), 4),
    }


def drawn_sets(split: str, limit: int = 40) -> dict:
    """The drawn sets of markings that touch (see the module docstring, 1b)."""
    from functools import partial

    white = partial(draw_line_with_chevrons, line_bgr=WHITE_BGR)
    draws = {
        "yellow_line_and_white_marks": draw_line_with_chevrons,
        "white_line_and_white_marks": white,
        "double_white_lines": draw_double_white_lines,
    }
    return {name: drawn_markings(split, limit, d) for name, d in draws.items()}


class _Wears:
    """Each marking's wear on its given mask, the naive baseline, end to end (whole frame and the
    CLI's default road region) and whether the finder found it, image after image."""

    def __init__(self) -> None:
        self.given, self.naive, self.e2e, self.hits, self.e2e_road = [], [], [], [], []

    def add(self, image: np.ndarray, masks: list[np.ndarray]) -> None:
        import cv2

        from detector.marking_finder import road_region
        from detector.markings import measure_masks

        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(float)
        self.given += [m.wear for m in measure_masks(image, masks)]
        self.naive += [1 - grey[m].mean() / 255 for m in masks]
        ends, hits = end_to_end(image, masks)
        self.e2e, self.hits = self.e2e + ends, self.hits + hits
        self.e2e_road += end_to_end(image, masks, road_region(image.shape))[0]


def holdout() -> dict:
    """Spearman of wear vs the LaneQ grades (evaluation only; nothing here is tuned)."""
    import cv2

    base = LANEQ / "damage_ratio_calc_data"
    rows = [
        r for r in csv.DictReader((LANEQ / "marking_index.csv").open()) if r["degradation_value"]
    ]
    by_image: dict[str, list[dict]] = {}
    for r in rows:
        by_image.setdefault(r["image"], []).append(r)
    grades, w = [], _Wears()
    for name, rs in sorted(by_image.items()):
        image = cv2.imread(str(base / "damage_ratio_images" / name))
        stem = Path(name).stem
        seg = cv2.imread(str(base / "damage_ratio_masks" / "SegmentationObject" / f"{stem}.png"))
        seg = cv2.cvtColor(seg, cv2.COLOR_BGR2RGB)
        w.add(image, [np.all(seg == [int(c) for c in r["segobj_rgb"].split()], axis=2) for r in rs])
        grades += [float(r["degradation_value"]) for r in rs]
    given, e2e, naive, hits, e2e_road = w.given, w.e2e, w.naive, w.hits, w.e2e_road
    found = sum(hits)
    return {
        "markings": len(grades),
        "images": len(by_image),
        "given_mask_spearman": round(_spearman(grades, given), 4),
        "end_to_end_spearman": round(_spearman(grades, e2e), 4),
        "end_to_end_found": found,
        "end_to_end_road_region_spearman": round(_spearman(grades, e2e_road), 4),
        "end_to_end_spearman_found_only": round(
            _spearman(
                [g for g, h in zip(grades, hits, strict=True) if h],
                [w for w, h in zip(e2e, hits, strict=True) if h],
            ),
            4,
        ),
        "grades_not_found": sorted(g for g, h in zip(grades, hits, strict=True) if not h),
        "naive_baseline_spearman": round(_spearman(grades, naive), 4),
    }


GRADES_BY_EYE = ROOT / "bench" / "marking_grades_by_eye.csv"


def band_of_graded_line(image: np.ndarray, xb: int, yb: int, xt: int, yt: int) -> np.ndarray:
    """The paint band of a line graded by eye, drawn from (xb, yb) at the bottom to (xt, yt).

    Row by row near the drawn axis (12 px either side) the paint's ridge is the pixel that rises
    most above the local median. The axis is shifted sideways onto the ridges (weighted by the
    rise, one robust pass), and the band's width per row is ``8 px + 5 %`` of the row (a roof
    camera's lines widen towards the bottom of a 1024x640 frame) scaled by the median ratio of
    each clear ridge's width at half its rise to that (0.4-1.5; 1 when fewer than 10 rows have a
    ridge rising 12 grey levels)."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    rise = cv2.GaussianBlur(grey - cv2.medianBlur(grey.astype(np.uint8), 81), (0, 0), 2)
    h, w = grey.shape
    ys = np.arange(max(yt, 0), min(yb, h - 1) + 1)
    axis = xb + (xt - xb) * (yb - ys) / max(yb - yt, 1)
    default = 8 + 0.05 * ys
    offsets, weights, ratios = [], [], []
    for y, x0, wd in zip(ys, axis, default, strict=True):
        lo, hi = int(max(0, x0 - 12)), int(min(w - 1, x0 + 12))
        if hi <= lo:
            continue
        k = lo + int(np.argmax(rise[y, lo : hi + 1]))
        offsets.append(k - x0)
        weights.append(max(float(rise[y, k]), 0.0) + 1e-3)
        if rise[y, k] >= 12:
            half = rise[y] >= 0.5 * rise[y, k]
            left, right = k, k
            while left > 0 and half[left - 1]:
                left -= 1
            while right < w - 1 and half[right + 1]:
                right += 1
            ratios.append((right - left + 1) / wd)
    shift = _ridge_shift(np.array(offsets), np.array(weights))
    scale = float(np.clip(np.median(ratios), 0.4, 1.5)) if len(ratios) >= 10 else 1.0
    mask = np.zeros((h, w), bool)
    xx = np.arange(w)
    for y, x0, wd in zip(ys, axis, default, strict=True):
        mask[y] = np.abs(xx - (x0 + shift)) <= scale * wd / 2
    return mask


def _ridge_shift(offsets: np.ndarray, weights: np.ndarray) -> float:
    """The sideways shift of a drawn axis onto the ridges (weighted mean, one robust pass)."""
    if len(offsets) <= 10:
        return 0.0
    shift = float(np.clip(np.average(offsets, weights=weights), -12, 12))
    near = np.abs(offsets - shift) < 5
    if near.sum() > 10:
        shift = float(np.average(offsets[near], weights=weights[near]))
    return shift


def real_grades() -> dict:
    """Spearman of wear vs our own by-eye grades of real Brazilian paint (train split images,
    ``bench/marking_grades_by_eye.csv``): our validation data for the real grades, measured at
    the calibration's half size, on the drawn bands and end to end."""
    import cv2

    rows = list(csv.DictReader(GRADES_BY_EYE.open()))
    grades, w = [], _Wears()
    for sid in dict.fromkeys(r["sample_id"] for r in rows):
        image = cv2.imread(str(BRAZIL / "Dataset" / sid / f"{sid}_RAW.jpg"))
        rs = [r for r in rows if r["sample_id"] == sid]
        ends = [[int(r[k]) for k in ("x_bottom", "y_bottom", "x_top", "y_top")] for r in rs]
        bands = [band_of_graded_line(image, *e) for e in ends]
        image = cv2.resize(image, (512, 315), interpolation=cv2.INTER_AREA)
        w.add(image, [
            cv2.resize(b.astype(np.uint8), (512, 315), interpolation=cv2.INTER_NEAREST) > 0
            for b in bands
        ])  # fmt: skip
        grades += [(float(r["grade_a"]), float(r["grade_b"])) for r in rs]
    ga, gb = [g[0] for g in grades], [g[1] for g in grades]
    wears = {"given_mask": w.given, "naive_baseline": w.naive, "end_to_end": w.e2e}
    wears["end_to_end_road_region"] = w.e2e_road
    return {
        "markings": len(grades),
        "images": len({r["sample_id"] for r in rows}),
        "end_to_end_found": sum(w.hits),
        "inter_grader_spearman": round(_spearman(ga, gb), 4),
        "mean_of_graders": _spearman_of_wears([(a + b) / 2 for a, b in grades], wears),
        "grader_a": _spearman_of_wears(ga, wears),
        "grader_b": _spearman_of_wears(gb, wears),
    }


def _spearman_of_wears(grades: list[float], wears: dict[str, list[float]]) -> dict:
    return {f"{k}_spearman": round(_spearman(grades, v), 4) for k, v in wears.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="valid", choices=["train", "valid"])
    ap.add_argument("--limit", type=int, default=40, help="images with paint to use")
    ap.add_argument("--choose", action="store_true", help="print only (train split figures)")
    ap.add_argument("--no-holdout", action="store_true")
    args = ap.parse_args(argv)
    if not BRAZIL.is_dir():
        print("no calibration data at ../shared/data/cracks_potholes_brazil_dnit_subset")
        return 1
    t0 = time.perf_counter()
    result = {
        "calibration": calibration(args.split, args.limit),
        "real_grades_by_eye": real_grades(),
        "drawn_markings_that_touch": drawn_sets(args.split),
    }
    if not args.no_holdout and not args.choose and LANEQ.is_dir():
        result["holdout_laneq"] = holdout()
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2))
    if not args.choose:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "markings.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
