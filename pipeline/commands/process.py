"""``roadcam process PATH...``: the daily batch, footage to defects in the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "process",
        help="process footage into defects (the main job)",
        description="Sample frames by distance, detect, place on the network, merge sightings into defects, store.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        help="videos (with GPS side-cars or GoPro GPMF) or folders of them / of geotagged JPEGs",
    )
    p.add_argument(
        "--database",
        default=None,
        help="database URL (default: ROADCAM_DATABASE_URL or var/roadcam.sqlite)",
    )
    _add_detector_options(p)
    _add_footage_options(p)
    _add_frame_work_options(p)
    _add_run_options(p)
    p.set_defaults(func=run)


def _add_detector_options(p: argparse.ArgumentParser) -> None:
    """Which detector runs (weights, backend, threshold), or none."""
    p.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="detector weights (default: settings.weights_path)",
    )
    p.add_argument(
        "--backend",
        default=None,
        choices=["openvino", "onnxruntime", "ultralytics"],
        help="inference backend",
    )
    p.add_argument("--conf", type=float, default=None, help="detector confidence threshold")
    p.add_argument(
        "--fp",
        action="store_true",
        help="run the floating-point model even when an accepted INT8 one was made from the "
        "weights (settings.detector_int8; docs/performance.md)",
    )
    p.add_argument(
        "--no-detect", action="store_true", help="store surveys and frames only, run no detector"
    )


def _add_footage_options(p: argparse.ArgumentParser) -> None:
    """How frames are chosen and placed: spacing, clock, camera and vehicle."""
    p.add_argument(
        "--spacing-m",
        type=float,
        default=None,
        help="metres travelled between sampled frames (default 5)",
    )
    p.add_argument(
        "--time-offset",
        type=float,
        default=None,
        metavar="SECONDS",
        help="camera clock minus GPS time; overrides detection",
    )
    p.add_argument(
        "--camera",
        type=Path,
        default=None,
        help="camera config YAML (mount height, pitch, field of view per vehicle); default: camera.yaml beside the footage",
    )
    p.add_argument(
        "--vehicle", default=None, help="vehicle id (default: the footage folder's name)"
    )


def _add_frame_work_options(p: argparse.ArgumentParser) -> None:
    """What is done with each sampled frame: decoding, paint measuring, detector region."""
    p.add_argument(
        "--decode",
        choices=["auto", "keyframes", "nonref", "exact"],
        default=None,
        help="how sampled frames are decoded: auto (default: keyframes where they are dense "
        "enough for the spacing, else nonref), keyframes, nonref, or exact (the full-decode "
        "reference); see docs/performance.md",
    )
    p.add_argument(
        "--skip-loop-filter",
        action="store_true",
        help="skip H.264 deblocking when decoding (cheaper, slightly blockier frames)",
    )
    p.add_argument(
        "--no-marking-wear",
        action="store_true",
        help="do not measure paint on the frames (no marking wear runs from this batch)",
    )
    p.add_argument(
        "--skip-sky",
        action="store_true",
        help="run the detector only below the camera's horizon (camera config)",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Where the batch runs and what it writes."""
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (local) or CPUs (ray); one long video is shared between them "
        "in time chunks; default: settings.workers (1)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="run on this machine or on a Ray cluster",
    )
    p.add_argument(
        "--ray-address", default=None, help="Ray cluster address (default: start a local Ray)"
    )
    p.add_argument(
        "--frames-dir",
        type=Path,
        default=None,
        help="where evidence frames are saved (default: var/frames)",
    )
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")


def run(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.compute import ComputeOptions
    from pipeline.runner import process_paths
    from roadcam.errors import EXIT_PARTIAL, ModelError, UsageError
    from roadcam.settings import get_settings

    settings = get_settings()
    weights = None if args.no_detect else (args.weights or settings.weights_path)
    backend = args.backend or settings.detector_backend
    if weights is not None and args.weights is None:
        from detector.model import weights_for_run

        weights = weights_for_run(weights, backend, settings.detector_int8 and not args.fp)
    if weights is not None and not Path(weights).is_file():
        raise ModelError(
            f"detector weights not found: {weights} (train with `roadcam train`, pass --weights, or use --no-detect)"
        )
    spacing = args.spacing_m if args.spacing_m is not None else settings.sample_spacing_m
    if spacing <= 0:
        raise UsageError("--spacing-m must be > 0")
    options = ComputeOptions(
        weights_path=Path(weights) if weights else None,
        backend=backend,
        conf_threshold=args.conf,
        spacing_m=spacing,
        time_offset_s=args.time_offset,
        camera_config=args.camera,
        frames_dir=args.frames_dir or Path(settings.data_dir) / "frames",
        data_dir=Path(settings.data_dir),
        decode=args.decode or "auto",
        skip_loop_filter=args.skip_loop_filter,
        skip_sky=args.skip_sky,
        marking_wear=not args.no_marking_wear,
        privacy_weights=_privacy_weights(settings),
    )
    summary = process_paths(
        args.paths,
        options,
        database_url=args.database or settings.database_url,
        vehicle_id=args.vehicle,
        executor=args.executor,
        workers=args.workers if args.workers is not None else settings.workers,
        ray_address=args.ray_address,
        progress=sys.stderr.isatty() and not args.json,
    )
    if args.json:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
    return EXIT_PARTIAL if summary.failed else 0


def _privacy_weights(settings) -> Path | None:
    """The blur's detector, or None when ``privacy_blur`` is off; missing weights stop the run
    (frames are never stored unblurred by accident)."""
    from roadcam.errors import ModelError

    if not settings.privacy_blur:
        return None
    path = Path(settings.privacy_weights_path)
    if not path.is_file():
        raise ModelError(
            f"privacy weights not found: {path} (`roadcam privacy export`, or ROADCAM_PRIVACY_BLUR=0)"
        )
    return path


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from pipeline.runner import SUMMED_COUNTS

    console = Console()
    table = Table(title="roadcam process", show_header=False)
    keys = ("files", "processed", "skipped", "failed", *SUMMED_COUNTS[:3])
    keys += ("frames_dropped_in_gaps", *SUMMED_COUNTS[3:], "seconds")
    for key in keys:
        table.add_row(key.replace("_", " "), str(getattr(summary, key)))
    console.print(table)
    for err in summary.errors:
        console.print(
            f"[red]failed[/red] {escape(str(err['path']))}: {escape(err['message'])} ({err['kind']})",
            soft_wrap=True,
            highlight=False,
        )
