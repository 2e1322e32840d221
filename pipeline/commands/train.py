"""``roadcam train``: train the detector (ultralytics, offline), resume, export the weights."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COCO = ROOT.parent / "shared" / "data" / "pretrained_yolov5n_coco" / "yolov5n.pt"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train the YOLO detector (needs the train extra)")
    p.add_argument(
        "--data",
        type=Path,
        default=ROOT / "var" / "datasets" / "roadcam-v1" / "data.yaml",
        help="data.yaml from `roadcam dataset build` (default: the roadcam-v1 recipe's)",
    )
    p.add_argument(
        "--arch", default="yolov5n.yaml", help="ultralytics model yaml (default yolov5n.yaml)"
    )
    p.add_argument(
        "--pretrained",
        type=Path,
        default=COCO,
        help="COCO yolov5n.pt whose backbone+neck initialise the model; 'none' trains from scratch",
    )
    _add_schedule_options(p)
    _add_run_options(p)
    _add_int8_options(p)
    p.set_defaults(func=_train)


def _add_schedule_options(p: argparse.ArgumentParser) -> None:
    """Image size, epochs or hours, batch, device and the fine-tuning knobs."""
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument(
        "--hours", type=float, default=None, help="wall-clock cap; the schedule is fitted to it"
    )
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu or a CUDA index such as 0")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument(
        "--close-mosaic", type=int, default=None, help="epochs without mosaic at the end"
    )
    p.add_argument(
        "--freeze", type=int, default=None, help="freeze the first N layers (e.g. 5: COCO stem)"
    )
    p.add_argument(
        "--warmup-epochs",
        type=float,
        default=None,
        help="warm-up epochs (ultralytics default 3; 1 suits a short fine-tune)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Where the run goes, resuming it, and exporting its weights."""
    p.add_argument("--name", default="roadcam", help="run name under runs/train/")
    p.add_argument("--project", type=Path, default=ROOT / "runs" / "train")
    p.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        default=None,
        metavar="RUN",
        help="resume an interrupted run (a run folder or last.pt; default runs/train/<name>)",
    )
    p.add_argument(
        "--export",
        type=Path,
        default=None,
        metavar="BEST_PT",
        help="only export BEST_PT to detector/weights/ (roadcam.pt, .onnx, OpenVINO IR)",
    )
    p.add_argument("--weights-dir", type=Path, default=ROOT / "detector" / "weights")


def _add_int8_options(p: argparse.ArgumentParser) -> None:
    """The INT8 OpenVINO model made from the exported weights."""
    p.add_argument(
        "--int8",
        action="store_true",
        help="make the INT8 OpenVINO model from the weights in --weights-dir (after --export, from "
        "the new ones): nncf post-training quantisation calibrated on the dataset's train split, "
        "accepted only if mAP50 drops by at most 1 point on valid and test (docs/performance.md)",
    )
    p.add_argument(
        "--dataset",
        type=Path,
        default=ROOT / "var" / "datasets" / "roadcam-v1",
        help="with --int8: the built dataset (roadcam dataset build) for calibration and mAP50",
    )
    p.add_argument(
        "--int8-method",
        default="auto",
        choices=["auto", "ptq", "accuracy"],
        help="with --int8: plain post-training quantisation, with accuracy control, or "
        "auto (plain first, accuracy control if plain loses more than 1 point on valid)",
    )
    p.add_argument(
        "--calibration-images",
        type=int,
        default=300,
        help="with --int8: train-split images used for calibration",
    )


def _train(args: argparse.Namespace) -> int:
    from detector import train as tr

    if args.export or args.int8:
        if args.export:
            out = tr.export_weights(args.export, args.weights_dir, imgsz=args.imgsz)
            for k, v in out.items():
                print(f"{k}: {v}")
        if args.int8:
            _int8(args)
        return 0
    if args.resume:
        run = args.project / args.name if args.resume == "auto" else Path(args.resume)
        run = tr.resume(run, device=args.device, threads=args.threads)
    else:
        pretrained = None if str(args.pretrained).lower() == "none" else args.pretrained
        extra = {}
        if args.close_mosaic is not None:
            extra["close_mosaic"] = args.close_mosaic
        if args.freeze:
            extra["freeze"] = args.freeze
        if args.warmup_epochs is not None:
            extra["warmup_epochs"] = args.warmup_epochs
        run = tr.train(
            args.data,
            arch=args.arch,
            pretrained=pretrained,
            imgsz=args.imgsz,
            epochs=args.epochs,
            time_h=args.hours,
            batch=args.batch,
            project=args.project,
            name=args.name,
            device=args.device,
            workers=args.workers,
            threads=args.threads,
            extra=extra,
        )
    print(f"run: {run}\nbest: {run / 'weights' / 'best.pt'}")
    print(f"export: roadcam train --export {run / 'weights' / 'best.pt'} --imgsz {args.imgsz}")
    return 0


def _int8(args: argparse.Namespace) -> None:
    from detector.quantize import make_int8

    info = make_int8(
        args.weights_dir, args.dataset, count=args.calibration_images, method=args.int8_method
    )
    for split, loss in info["mAP50_loss"].items():
        print(
            f"mAP50 {split}: fp {info['mAP50_fp'][split]:.4f} int8 {info['mAP50_int8'][split]:.4f} "
            f"(loss {loss:+.4f})"
        )
    verdict = "accepted" if info["accepted"] else "NOT accepted (the pipeline keeps the FP model)"
    print(f"int8: {args.weights_dir / info['file']}: {verdict}; {info['rule']}")
