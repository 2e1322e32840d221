"""``roadcam detect PATH... -o detections.json``: run the detector on images or folders of images."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "detect",
        help="the model's boxes on images: potholes, cracks, skips (and the retired "
        "faded_marking class; marking wear: roadcam markings wear)",
    )
    p.add_argument("paths", nargs="+", type=Path, help="image files or folders of images")
    p.add_argument(
        "-o", "--output", type=Path, default=None, help="write JSON here (default: stdout)"
    )
    p.add_argument("--weights", type=Path, default=None, help="default: settings.weights_path")
    p.add_argument(
        "--backend",
        default=None,
        choices=["openvino", "onnxruntime", "ultralytics"],
        help="default: settings.detector_backend",
    )
    p.add_argument(
        "--conf", type=float, default=None, help="confidence threshold (default: the shipped one)"
    )
    p.add_argument(
        "--imgsz", type=int, default=None, help="network input size (default: the model's)"
    )
    p.add_argument(
        "--horizon",
        type=float,
        default=0.0,
        help="drop boxes whose bottom edge is above this fraction of the image height (0 = off)",
    )
    p.add_argument("--json", action="store_true", help="print the result JSON on stdout")
    p.set_defaults(func=_detect)


def _collect(paths: list[Path]) -> list[Path]:
    from roadcam.errors import InputNotFoundError, UnsupportedFormatError

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
        elif p.is_file():
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                raise UnsupportedFormatError(
                    f"not an image ({', '.join(sorted(IMAGE_SUFFIXES))})", path=str(p)
                )
            files.append(p)
        else:
            raise InputNotFoundError("no such file or folder", path=str(p))
    return files


def _detect(args: argparse.Namespace) -> int:
    import cv2

    from detector.model import Detector, Roi, weights_for_run
    from pipeline.cli import print_json
    from roadcam.errors import EXIT_PARTIAL, CorruptInputError, UsageError, error_record
    from roadcam.settings import get_settings

    if not 0.0 <= args.horizon < 1.0:
        raise UsageError("--horizon must be within [0, 1)")
    settings = get_settings()
    files = _collect(args.paths)
    backend = args.backend or settings.detector_backend
    weights = args.weights or weights_for_run(
        settings.weights_path, backend, settings.detector_int8
    )
    det = Detector(
        weights,
        backend=backend,
        conf_threshold=args.conf,
        imgsz=args.imgsz,
        roi=Roi(horizon_frac=args.horizon) if args.horizon else None,
    )
    images, errors = [], []
    for f in files:
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if img is None:
            errors.append(error_record(CorruptInputError("unreadable image", path=str(f))))
            continue
        d = det.detect(img)
        images.append(
            {
                "path": str(f),
                "width": d.image_width,
                "height": d.image_height,
                "detections": [
                    {k: r[k] for k in ("class", "confidence", "xyxy")} for r in d.to_records()
                ],
            }
        )
    out = {"images": images}
    if errors:
        out["errors"] = errors
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(out, indent=2))
        n = sum(len(i["detections"]) for i in images)
        print(f"{len(images)} images, {n} detections -> {args.output}", file=sys.stderr)
    if args.json or not args.output:
        print_json(out)
    return EXIT_PARTIAL if errors else 0
