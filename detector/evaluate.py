"""Honest evaluation of a :class:`~detector.model.Detector` on labelled YOLO images.

Per class: precision, recall and F1 at IoU 0.5 at the shipped confidence
threshold, plus mAP50 and mAP50-95 (pycocotools-style 101-point interpolation,
greedy matching by confidence). Runs the real inference backend, so the
numbers are those of what ships.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from roadcam.errors import CorruptInputError, InputNotFoundError

log = logging.getLogger(__name__)

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


@dataclass(frozen=True)
class ImageResult:
    """Ground truth and predictions (all confidences) of one image, in pixels."""

    gt_xyxy: np.ndarray
    gt_cls: np.ndarray
    pred_xyxy: np.ndarray
    pred_conf: np.ndarray
    pred_cls: np.ndarray

    def __post_init__(self) -> None:
        if self.gt_xyxy.shape != (len(self.gt_cls), 4) or self.pred_xyxy.shape != (
            len(self.pred_cls),
            4,
        ):
            raise ValueError("box arrays must be (N, 4) and match their class arrays")


def read_yolo_label(label_path: Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A YOLO label file as pixel ``xyxy`` boxes and class ids (missing file = no boxes)."""
    if not label_path.is_file():
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    rows = [ln.split() for ln in label_path.read_text().splitlines() if ln.strip()]
    if any(len(r) != 5 for r in rows):
        raise CorruptInputError("expected 5 fields per line", path=str(label_path))
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    xc, yc, w, h = a[:, 1] * width, a[:, 2] * height, a[:, 3] * width, a[:, 4] * height
    xyxy = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1).astype(np.float32)
    return xyxy, a[:, 0].astype(np.int64)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of xyxy boxes."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)), np.float32)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod((br - tl).clip(0), axis=2)
    area_a = np.prod((a[:, 2:] - a[:, :2]).clip(0), axis=1)
    area_b = np.prod((b[:, 2:] - b[:, :2]).clip(0), axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def _match(
    res: ImageResult, cls: int, iou_t: float, conf_min: float = 0.0
) -> tuple[np.ndarray, np.ndarray, int]:
    """Greedy matching in confidence order; returns (conf, tp flags) of predictions and the GT count."""
    g = res.gt_xyxy[res.gt_cls == cls]
    pm = (res.pred_cls == cls) & (res.pred_conf >= conf_min)
    p, c = res.pred_xyxy[pm], res.pred_conf[pm]
    order = np.argsort(-c, kind="stable")
    p, c = p[order], c[order]
    tp = np.zeros(len(p), bool)
    if len(g) and len(p):
        ious = box_iou(p, g)
        used = np.zeros(len(g), bool)
        for i in range(len(p)):
            cand = np.where(~used, ious[i], -1.0)
            j = int(cand.argmax())
            if cand[j] >= iou_t:
                used[j] = True
                tp[i] = True
    return c, tp, len(g)


def average_precision(conf: np.ndarray, tp: np.ndarray, n_gt: int) -> float:
    """AP the pycocotools way: mean over 101 recall points of the best precision at that recall or more
    (0 beyond the highest recall reached)."""
    if n_gt == 0:
        return float("nan")
    if not len(conf):
        return 0.0
    order = np.argsort(-conf, kind="stable")
    tpc = np.cumsum(tp[order])
    fpc = np.cumsum(~tp[order])
    recall = tpc / n_gt
    precision = np.flip(np.maximum.accumulate(np.flip(tpc / (tpc + fpc))))
    idx = np.searchsorted(recall, np.linspace(0, 1, 101), side="left")
    return float(
        np.mean(np.where(idx < len(recall), precision[np.minimum(idx, len(recall) - 1)], 0.0))
    )


def class_metrics(
    results: Sequence[ImageResult],
    cls: int,
    conf_threshold: float,
    f1_iou: float = 0.5,
    with_ap: bool = True,
) -> dict[str, Any]:
    """Metrics of one class over a set of images (``with_ap=False`` skips mAP, for threshold sweeps)."""
    aps = []
    for t in IOU_THRESHOLDS if with_ap else ():
        confs, tps, n = [], [], 0
        for r in results:
            c, tp, g = _match(r, cls, float(t))
            confs.append(c)
            tps.append(tp)
            n += g
        aps.append(average_precision(np.concatenate(confs), np.concatenate(tps), n))
    tp_n = fp_n = n_gt = 0
    for r in results:
        _, tp, g = _match(r, cls, f1_iou, conf_threshold)
        tp_n += int(tp.sum())
        fp_n += int((~tp).sum())
        n_gt += g
    p = tp_n / (tp_n + fp_n) if tp_n + fp_n else 0.0
    rcl = tp_n / n_gt if n_gt else float("nan")
    f1 = 2 * p * rcl / (p + rcl) if n_gt and p + rcl > 0 else (0.0 if n_gt else float("nan"))
    return {
        "instances": n_gt,
        "tp": tp_n,
        "fp": fp_n,
        "precision": round(p, 4),
        "recall": round(rcl, 4) if n_gt else None,
        "f1": round(f1, 4) if n_gt else None,
        "mAP50": None if not aps or np.isnan(aps[0]) else round(aps[0], 4),
        "mAP50_95": None if not aps or np.isnan(aps[0]) else round(float(np.mean(aps)), 4),
    }


def predict_images(
    detect: Callable[[np.ndarray], Any], image_paths: Sequence[Path]
) -> list[ImageResult]:
    """Run ``detect`` (returns Detections) on each image and pair it with its YOLO label."""
    import cv2
    from tqdm import tqdm

    out = []
    for path in tqdm(image_paths, desc="evaluate", unit="img", leave=False, disable=None):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise CorruptInputError("unreadable image", path=str(path))
        h, w = img.shape[:2]
        det = detect(img)
        label = Path(str(path).replace(f"{Path('/images/')}", f"{Path('/labels/')}")).with_suffix(
            ".txt"
        )
        gx, gc = read_yolo_label(label, w, h)
        out.append(
            ImageResult(
                gx, gc, np.asarray(det.xyxy), np.asarray(det.confidence), np.asarray(det.class_id)
            )
        )
    return out


def evaluate_results(
    results: Sequence[ImageResult],
    class_names: Sequence[str],
    conf_threshold: float,
    f1_iou: float = 0.5,
) -> dict[str, Any]:
    """Per-class metrics, skipping classes without labels or predictions."""
    per = {}
    for i, name in enumerate(class_names):
        has_gt = any((r.gt_cls == i).any() for r in results)
        has_pred = any(((r.pred_cls == i) & (r.pred_conf >= conf_threshold)).any() for r in results)
        if has_gt or has_pred:
            per[name] = class_metrics(results, i, conf_threshold, f1_iou)
    return {
        "images": len(results),
        "conf_threshold": conf_threshold,
        "f1_iou": f1_iou,
        "classes": per,
    }


def test_image_lists(dataset_dir: Path) -> dict[str, list[Path]]:
    """``{source: [image paths]}`` from the ``test_<source>.txt`` files of a built dataset."""
    lists = sorted(Path(dataset_dir).glob("test_*.txt"))
    if not lists:
        raise InputNotFoundError(
            "no test_<source>.txt lists; run `roadcam dataset build` first", path=str(dataset_dir)
        )
    return {p.stem[5:]: [Path(s) for s in p.read_text().split()] for p in lists}


def best_conf_threshold(
    results: Sequence[ImageResult], cls: int = 0, grid: Sequence[float] | None = None
) -> tuple[float, float]:
    """The confidence that maximises F1@0.5 of ``cls`` (use on the *valid* split only)."""
    best = (0.25, -1.0)
    for t in grid or np.round(np.arange(0.05, 0.81, 0.025), 3):
        f1 = class_metrics(results, cls, float(t), with_ap=False)["f1"] or 0.0
        if f1 > best[1]:
            best = (float(t), f1)
    return best
