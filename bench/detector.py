"""Detector benchmarks.

``python bench/detector.py ab``     from scratch (yolo11n) vs COCO backbone (yolov5n): equal epochs, CPU time measured.
``python bench/detector.py speed``  ultralytics PyTorch predict vs the default backend, same frames.
Results go to bench/results/detector_*.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# run as a script, bench/ would come first on sys.path and this file would shadow the detector package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
log = logging.getLogger("bench.detector")

from roadcam.settings import portable_path  # noqa: E402 - after the sys.path fix above


def _last_metrics(run: Path) -> dict:
    rows = list(csv.DictReader((run / "results.csv").open()))
    best = max(rows, key=lambda r: float(r["metrics/mAP50(B)"]))
    return {
        "epochs_done": len(rows),
        "mAP50": round(float(best["metrics/mAP50(B)"]), 4),
        "mAP50_95": round(float(best["metrics/mAP50-95(B)"]), 4),
        "precision": round(float(best["metrics/precision(B)"]), 4),
        "recall": round(float(best["metrics/recall(B)"]), 4),
        "mAP50_by_epoch": [round(float(r["metrics/mAP50(B)"]), 4) for r in rows],
        "wall_s_by_epoch": [round(float(r["time"]), 1) for r in rows],
    }


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (dataloader workers): fair under a shared load."""
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_ab(data_yaml: Path, epochs: int, fraction: float, imgsz: int, coco_pt: Path) -> dict:
    """Both arms get the same images, image size, augmentation and number of epochs (1 warm-up epoch);
    the CPU seconds each used are measured, so accuracy can be compared per CPU-second."""
    from detector.train import train

    arms = {
        "yolo11n_scratch": dict(arch="yolo11n.yaml", pretrained=None),
        "yolov5n_coco_backbone": dict(arch="yolov5n.yaml", pretrained=coco_pt),
    }
    out = {
        "data": portable_path(data_yaml),
        "epochs_each": epochs,
        "fraction": fraction,
        "imgsz": imgsz,
        "arms": {},
    }
    for name, kw in arms.items():
        t0, c0 = time.time(), _cpu_seconds()
        run = train(
            data_yaml,
            imgsz=imgsz,
            epochs=epochs,
            fraction=fraction,
            project=ROOT / "runs" / "ab",
            name=name,
            plots=False,
            extra={"warmup_epochs": 1, "close_mosaic": 1},
            **kw,
        )
        out["arms"][name] = {
            **_last_metrics(run),
            "wall_s": round(time.time() - t0, 1),
            "cpu_s": round(_cpu_seconds() - c0, 1),
        }
        log.info("%s: %s", name, out["arms"][name])
        (RESULTS / "detector_ab.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


def _frames(dataset: Path, n: int) -> list[Path]:
    """The same n test frames for every backend: round-robin over the per-source test lists."""
    from detector.evaluate import test_image_lists

    lists = test_image_lists(dataset)
    out: list[Path] = []
    i = 0
    while len(out) < n and any(i < len(v) for v in lists.values()):
        out += [v[i] for v in lists.values() if i < len(v)]
        i += 1
    return out[:n]


def _time_backend(det, images, repeats: int, batch: int = 1) -> dict:
    if batch > 1:
        det.detect_batch(images[:batch])  # warm-up (compiles the throughput model)
    for im in images[:5]:  # warm-up
        det.detect(im)
    t0 = time.perf_counter()
    for _ in range(repeats):
        if batch > 1:
            for k in range(0, len(images), batch):
                det.detect_batch(images[k : k + batch])
        else:
            for im in images:
                det.detect(im)
    dt = (time.perf_counter() - t0) / (repeats * len(images))
    return {"ms_per_image": round(dt * 1000, 2), "images_per_s": round(1 / dt, 1)}


def run_speed(
    weights_pt: Path,
    weights_fast: Path,
    backend: str,
    dataset: Path,
    n: int,
    repeats: int,
    threads: int,
    accuracy_sources: list[str],
) -> dict:
    """Plain ultralytics PyTorch predict vs our default backend on the same frames (end to end:
    decode-free BGR in, Detections out, including letterbox and NMS)."""
    import os

    import cv2
    import torch

    from detector.model import weights_card

    torch.set_num_threads(threads)
    images = [cv2.imread(str(p)) for p in _frames(dataset, n)]
    conf = float(weights_card(weights_fast).get("conf_threshold", 0.25))
    arms = _speed_arms(weights_pt, weights_fast, backend, conf, threads)
    out = {
        "load_avg_before": [round(x, 2) for x in os.getloadavg()],
        "frames": len(images),
        "repeats": repeats,
        "threads": threads,
        "imgsz": arms[f"roadcam_{backend}"].imgsz,
        "frame_sizes": sorted({f"{im.shape[1]}x{im.shape[0]}" for im in images}),
        "arms": _timed_arms(arms, images, repeats),
    }
    for name, acc in _accuracy_of_arms(arms, dataset, accuracy_sources, conf).items():
        out["arms"][name]["accuracy"] = acc
    out.update(_speedups(out["arms"], f"roadcam_{backend}", "ultralytics_pytorch"))
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def _speed_arms(weights_pt: Path, weights_fast: Path, backend: str, conf: float, threads: int):
    """The two arms: plain ultralytics PyTorch at our image size, and our backend."""
    from detector.model import Detector

    return {
        "ultralytics_pytorch": Detector(
            weights_pt,
            backend="ultralytics",
            conf_threshold=conf,
            imgsz=Detector(weights_fast, backend=backend).imgsz,
        ),
        f"roadcam_{backend}": Detector(
            weights_fast, backend=backend, conf_threshold=conf, threads=threads
        ),
    }


def _timed_arms(arms: dict, images: list, repeats: int) -> dict:
    """Median ms per image of each arm, single and batch 8."""
    # interleave the arms over the repeats so that load changes on the shared machine hit all of them
    timings: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, det in arms.items():
            for b in (1, 8):
                key = name if b == 1 else f"{name}_batch8"
                timings.setdefault(key, []).append(
                    _time_backend(det, images, 1, batch=b)["ms_per_image"]
                )
    out = {}
    for key, ms in timings.items():
        det = arms[key.removesuffix("_batch8")]
        m = float(np.median(ms))
        out[key] = {
            "weights": portable_path(det.weights_path),
            "ms_per_image": round(m, 2),
            "images_per_s": round(1000 / m, 1),
            "ms_runs": ms,
        }
        log.info("%s: %s", key, out[key])
    return out


def _accuracy_of_arms(arms: dict, dataset: Path, sources: list[str], conf: float) -> dict:
    """mAP50 and F1 per class of each arm on each source's test images."""
    from detector.evaluate import evaluate_results, predict_images, test_image_lists
    from detector.model import Detector

    lists = test_image_lists(dataset)
    out = {}
    for name, det in list(arms.items()):
        acc = {}
        for src in sources:
            d = Detector(
                det.weights_path, backend=det.backend_name, conf_threshold=0.001, imgsz=det.imgsz
            )
            r = evaluate_results(predict_images(d.detect, lists[src]), d.class_names, conf)
            acc[src] = {c: {"mAP50": m["mAP50"], "f1": m["f1"]} for c, m in r["classes"].items()}
        out[name] = acc
    return out


def _speedups(a: dict, ours: str, base: str) -> dict:
    return {
        "speedup": round(a[ours]["images_per_s"] / a[base]["images_per_s"], 2),
        "speedup_batch8_vs_batch8": round(
            a[f"{ours}_batch8"]["images_per_s"] / a[f"{base}_batch8"]["images_per_s"], 2
        ),
        "speedup_batch8_vs_plain_predict": round(
            a[f"{ours}_batch8"]["images_per_s"] / a[base]["images_per_s"], 2
        ),
    }


def speed_table(res: dict) -> str:
    """Markdown table of a speed result."""
    srcs = sorted({s for a in res["arms"].values() for s in a.get("accuracy", {})})
    head = (
        "| backend | ms/image | images/s | " + " | ".join(f"{s} pothole mAP50" for s in srcs) + " |"
    )
    lines = [head, "|" + "---|" * (3 + len(srcs))]
    for name, a in res["arms"].items():
        acc = res["arms"][name.removesuffix("_batch8")].get("accuracy", {})
        accs = " | ".join(str(acc.get(s, {}).get("pothole", {}).get("mAP50")) for s in srcs)
        lines.append(f"| {name} | {a['ms_per_image']} | {a['images_per_s']} | {accs} |")
    lines.append("")
    lines.append(
        f"Speed-up, one image per call: {res['speedup']}x; batches of 8 vs batches of 8: "
        f"{res['speedup_batch8_vs_batch8']}x; our batches of 8 vs plain per-image predict: "
        f"{res['speedup_batch8_vs_plain_predict']}x. {res['frames']} test frames ({', '.join(res['frame_sizes'])}) x "
        f"{res['repeats']} repeats, imgsz {res['imgsz']}, {res['threads']} threads, end to end "
        f"(letterbox, inference, NMS). Load average before/after: {res['load_avg_before']} / "
        f"{res['load_avg_after']} on 2 shared vCPUs."
    )
    return "\n".join(lines)


def _args_from_argv(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``bench/detector.py``: ``ab`` or ``speed``."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("ab")
    a.add_argument(
        "--data", type=Path, default=ROOT / "var" / "datasets" / "roadcam-v1" / "data.yaml"
    )
    a.add_argument(
        "--epochs", type=int, default=8, help="epochs for each arm (equal work, CPU time measured)"
    )
    a.add_argument("--fraction", type=float, default=0.3)
    a.add_argument("--imgsz", type=int, default=320)
    a.add_argument(
        "--coco",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "pretrained_yolov5n_coco" / "yolov5n.pt",
    )
    sp = sub.add_parser("speed")
    sp.add_argument("--pt", type=Path, default=ROOT / "detector" / "weights" / "roadcam.pt")
    sp.add_argument("--weights", type=Path, default=ROOT / "detector" / "weights" / "roadcam.onnx")
    sp.add_argument("--backend", default="openvino")
    sp.add_argument("--dataset", type=Path, default=ROOT / "var" / "datasets" / "roadcam-v1")
    sp.add_argument("--frames", type=int, default=60)
    sp.add_argument("--repeats", type=int, default=2)
    sp.add_argument("--threads", type=int, default=2)
    sp.add_argument("--accuracy-sources", nargs="*", default=["roboflow", "brazil"])
    sp.add_argument(
        "--doc", type=Path, default=None, help="write the table between speed markers in this file"
    )
    return ap.parse_args(argv)


def _write_speed_report(res: dict, doc: Path | None) -> None:
    """``detector_speed.json``, the table printed, and put between the speed markers of ``doc``."""
    (RESULTS / "detector_speed.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    print(speed_table(res))
    if doc:
        text, a, b = doc.read_text(), "<!-- speed:begin -->", "<!-- speed:end -->"
        if a in text and b in text:
            doc.write_text(
                text.split(a)[0] + a + "\n" + speed_table(res) + "\n" + b + text.split(b, 1)[1]
            )


def main() -> int:
    args = _args_from_argv()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.cmd == "ab":
        print(
            json.dumps(
                run_ab(args.data, args.epochs, args.fraction, args.imgsz, args.coco), indent=2
            )
        )
    else:
        res = run_speed(
            args.pt,
            args.weights,
            args.backend,
            args.dataset,
            args.frames,
            args.repeats,
            args.threads,
            args.accuracy_sources,
        )
        _write_speed_report(res, args.doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
