"""``roadcam evaluate``: per-source, per-class test metrics of the shipped detector.

Writes JSON (default bench/results/detector_eval.json) and, with ``--doc``, the
table between ``<!-- eval:begin -->`` and ``<!-- eval:end -->`` in docs/model.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "var" / "datasets" / "roadcam-v1"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate the detector on every test split, per source and class"
    )
    p.add_argument(
        "--dataset", type=Path, default=DATASET, help="built dataset folder (roadcam dataset build)"
    )
    p.add_argument("--weights", type=Path, default=None, help="default: settings.weights_path")
    p.add_argument("--backend", default=None, choices=["openvino", "onnxruntime", "ultralytics"])
    p.add_argument(
        "--conf", type=float, default=None, help="confidence for P/R/F1 (default: the shipped one)"
    )
    p.add_argument(
        "--sources", nargs="*", default=None, help="only these sources (default: all test lists)"
    )
    p.add_argument(
        "--tune-conf",
        action="store_true",
        help="pick the pothole-F1-best confidence on the VALID split and write it to the weights card",
    )
    p.add_argument(
        "--imgsz-grid",
        type=int,
        nargs="+",
        default=None,
        metavar="PX",
        help="with --tune-conf: also pick the inference image size from these (multiples of 32) on the "
        "VALID split, jointly with the confidence, and write it to the weights card",
    )
    p.add_argument(
        "-o", "--output", type=Path, default=ROOT / "bench" / "results" / "detector_eval.json"
    )
    p.add_argument(
        "--doc", type=Path, default=None, help="also update the results table in this markdown file"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_evaluate)


def _table(report: dict) -> str:
    lines = [
        "| source | images | class | instances | P | R | F1@0.5 | mAP50 | mAP50-95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for src, r in report["sources"].items():
        for cname, m in r["classes"].items():

            def f(v):
                return "–" if v is None else f"{v:.3f}"

            lines.append(
                f"| {src} | {r['images']} | {cname} | {m['instances']} | {f(m['precision'])} | "
                f"{f(m['recall'])} | {f(m['f1'])} | {f(m['mAP50'])} | {f(m['mAP50_95'])} |"
            )
        if "iou0.3" in r:
            m = r["iou0.3"]["classes"].get("pothole")
            if m:
                lines.append(
                    f"| {src} (IoU 0.3, loose labels) | {r['images']} | pothole | {m['instances']} | "
                    f"{m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | – | – |"
                )
    return "\n".join(lines)


def _tune_on_valid(
    weights: Path, backend: str, dataset: Path, imgsz_grid: list[int] | None
) -> None:
    """Choose the shipped confidence (and, given a grid, the inference image size) that maximise
    pothole F1@0.5 on the real VALID images (rendered frames and skip composites left out), and
    write them to the weights card."""
    from detector.dataset import source_of_image
    from detector.evaluate import best_conf_threshold, predict_images
    from detector.model import Detector, weights_card
    from roadcam.errors import InputNotFoundError, UsageError

    # our own frames are left out: rendered scenes, and skip composites whose backgrounds are
    # TRAIN photos (their potholes were seen in training)
    valid = sorted(
        p
        for p in (dataset / "images" / "valid").glob("*")
        if source_of_image(p) not in ("rendered", "skip_composites")
    )
    if not valid:
        raise InputNotFoundError("no valid split images", path=str(dataset / "images" / "valid"))
    card = weights_card(weights)
    sizes = imgsz_grid or [int(card.get("imgsz", 320))]
    if any(s <= 0 or s % 32 for s in sizes):
        raise UsageError(f"--imgsz-grid values must be positive multiples of 32, got {sizes}")
    trials = {}
    for size in sizes:
        det = Detector(weights, backend=backend, conf_threshold=0.001, imgsz=size)
        trials[size] = best_conf_threshold(predict_images(det.detect, valid), cls=0)
        print(
            f"imgsz {size}: conf {trials[size][0]} valid pothole F1 {trials[size][1]:.4f}",
            file=sys.stderr,
        )
    size = max(sizes, key=lambda s: (trials[s][1], -s))  # ties go to the smaller, faster size
    conf, f1 = trials[size]
    card.update(
        {
            "imgsz": size,
            "conf_threshold": conf,
            "conf_selected_on": f"valid split (roboflow+brazil, {len(valid)} images), pothole F1@0.5",
            "valid_pothole_f1": round(f1, 4),
        }
    )
    if len(sizes) > 1:
        card["imgsz_selected_from"] = {str(s): round(trials[s][1], 4) for s in sizes}
    Path(weights).with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(
        f"imgsz {size}, conf_threshold {conf} (valid pothole F1 {f1:.3f}) -> {Path(weights).with_suffix('.json')}",
        file=sys.stderr,
    )


def _evaluate(args: argparse.Namespace) -> int:
    from detector.evaluate import (
        evaluate_results,
        predict_images,
        test_image_lists,
    )
    from detector.model import Detector, weights_card
    from pipeline.cli import print_json
    from roadcam.errors import UsageError
    from roadcam.settings import get_settings, portable_path

    settings = get_settings()
    weights = args.weights or settings.weights_path
    backend = args.backend or settings.detector_backend
    if args.tune_conf:
        _tune_on_valid(weights, backend, args.dataset, args.imgsz_grid)
    elif args.imgsz_grid:
        raise UsageError("--imgsz-grid needs --tune-conf")
    det = Detector(weights, backend=backend, conf_threshold=0.001)
    conf = (
        args.conf
        if args.conf is not None
        else float(weights_card(weights).get("conf_threshold", 0.25))
    )
    lists = test_image_lists(args.dataset)
    report = {
        "weights": portable_path(weights),
        "backend": det.backend_name,
        "imgsz": det.imgsz,
        "conf_threshold": conf,
        "dataset": portable_path(args.dataset),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "sources": {},
    }
    for src, paths in lists.items():
        if args.sources and src not in args.sources:
            continue
        t0 = time.perf_counter()
        results = predict_images(det.detect, paths)
        r = evaluate_results(results, det.class_names, conf)
        if src == "mexico":  # circle-derived boxes are loose: also report hit/miss at IoU 0.3
            r["iou0.3"] = evaluate_results(results, det.class_names, conf, f1_iou=0.3)
        r["seconds"] = round(time.perf_counter() - t0, 1)
        report["sources"][src] = r
        print(f"{src}: {json.dumps(r['classes'])}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    if args.doc:
        text = args.doc.read_text()
        a, b = "<!-- eval:begin -->", "<!-- eval:end -->"
        if a in text and b in text:
            head, rest = text.split(a, 1)
            tail = rest.split(b, 1)[1]
            text = f"{head}{a}\n{_table(report)}\n{b}{tail}"
            args.doc.write_text(text)
    if args.json:
        print_json(report)
    else:
        print(_table(report))
    return 0
