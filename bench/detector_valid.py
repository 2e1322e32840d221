"""Per-source, per-class metrics of a weights file on the VALID split of a built dataset: the
figures a retrained model is accepted or rejected on (never the test splits or the holdout).

    python bench/detector_valid.py --weights detector/weights/roadcam.onnx --tag roadcam-v3
    python bench/detector_valid.py --weights runs/train/roadcam-v4/weights/best.pt --tag v4 \
        --backend ultralytics --imgsz 576 --conf 0.275

Writes ``bench/results/detector_valid_<tag>.json`` and prints a table: pothole and crack mAP50 on
the real valid images (Roboflow, Brazil) and, where the dataset has them, skip metrics on the
composites' valid images.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [
    p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"
]  # bench/detector.py
sys.path.insert(0, str(ROOT))

from detector.dataset import source_of_image  # noqa: E402
from detector.evaluate import evaluate_results, predict_images  # noqa: E402
from detector.model import Detector, weights_card  # noqa: E402
from roadcam.settings import scrub_path_text  # noqa: E402

CLASSES = ("pothole", "crack", "faded_marking", "skip")


def valid_by_source(dataset: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in sorted((dataset / "images" / "valid").glob("*")):
        out.setdefault(source_of_image(p), []).append(p)
    return out


def run(weights: Path, dataset: Path, backend: str | None, imgsz: int | None, conf: float | None):
    card = weights_card(weights)
    imgsz = imgsz or int(card.get("imgsz", 576))
    conf = conf if conf is not None else float(card.get("conf_threshold", 0.25))
    backend = backend or ("ultralytics" if weights.suffix == ".pt" else "openvino")
    det = Detector(weights, backend=backend, conf_threshold=0.001, imgsz=imgsz)
    report = {"weights": scrub_path_text(str(weights)), "imgsz": imgsz, "conf": conf, "sources": {}}
    for src, paths in valid_by_source(dataset).items():
        report["sources"][src] = evaluate_results(predict_images(det.detect, paths), CLASSES, conf)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, default=ROOT / "detector" / "weights" / "roadcam.onnx")
    ap.add_argument("--dataset", type=Path, default=ROOT / "var" / "datasets" / "roadcam-v1")
    ap.add_argument("--backend", default=None, choices=["openvino", "onnxruntime", "ultralytics"])
    ap.add_argument("--imgsz", type=int, default=None)
    ap.add_argument("--conf", type=float, default=None)
    ap.add_argument("--tag", required=True)
    args = ap.parse_args(argv)
    report = run(args.weights, args.dataset, args.backend, args.imgsz, args.conf)
    out = ROOT / "bench" / "results" / f"detector_valid_{args.tag}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{args.tag}: imgsz {report['imgsz']}, conf {report['conf']}")
    for src, r in report["sources"].items():
        for name, m in r["classes"].items():
            print(
                f"  {src:16s} {r['images']:4d} img  {name:13s} n={m['instances']:4d} "
                f"P {m['precision']:.3f} R {m['recall']} mAP50 {m['mAP50']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
