"""``roadcam privacy export``: make ``detector/weights/privacy.onnx`` from the COCO YOLOv5n.

``roadcam privacy blur IMAGE OUT``: blur one image as evidence images are blurred (to look).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_SOURCE = Path("../shared/data/pretrained_yolov5n_coco/yolov5n.pt")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("privacy", help="the people and number-plate blur of evidence images")
    ps = p.add_subparsers(dest="privacy_command", metavar="ACTION")
    ps.required = True
    e = ps.add_parser(
        "export",
        help="export the COCO YOLOv5n (old anchor head rebuilt) to ONNX with fp16 weights "
        "(needs the train extra: torch, ultralytics)",
    )
    e.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"COCO yolov5n.pt (default {DEFAULT_SOURCE})",
    )
    e.add_argument("--out", type=Path, default=None, help="default: settings.privacy_weights_path")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=run_export)
    b = ps.add_parser("blur", help="blur people and plate zones of one image (as stored evidence)")
    b.add_argument("image", type=Path)
    b.add_argument("out", type=Path, help="output JPEG")
    b.add_argument("--json", action="store_true", help="print what was found")
    b.set_defaults(func=run_blur)


def run_export(args: argparse.Namespace) -> int:
    from detector.privacy_export import export_privacy_onnx
    from pipeline.cli import print_json
    from roadcam.settings import get_settings

    out = args.out or get_settings().privacy_weights_path
    card = export_privacy_onnx(args.source, out)
    if args.json:
        print_json(card)
    else:
        print(f"wrote {out} ({card['bytes']:,} bytes, sha256 {card['sha256']}) "
              f"from {args.source.name} (sha256 {card['source_sha256']})")  # fmt: skip
    return 0


def run_blur(args: argparse.Namespace) -> int:
    import cv2

    from detector.privacy import PrivacyBlurrer
    from pipeline.cli import print_json
    from roadcam.errors import InputNotFoundError
    from roadcam.settings import get_settings

    image = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
    if image is None:
        raise InputNotFoundError("not a readable image", path=str(args.image))
    blurrer = PrivacyBlurrer(get_settings().privacy_weights_path)
    found = blurrer.detect(image)
    cv2.imwrite(str(args.out), blurrer.blur(image))
    if args.json:
        print_json([{"class_id": int(c), "confidence": round(float(s), 3),
                     "xyxy": [round(float(v), 1) for v in b]}
                    for b, c, s in zip(found.xyxy, found.class_id, found.confidence, strict=True)])  # fmt: skip
    else:
        print(f"{len(found)} people/vehicles; wrote {args.out}")
    return 0
