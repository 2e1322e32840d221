"""``roadcam markings``: marking wear in images, and the re-lining programme from stored runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("markings", help="road-marking wear: measure images, re-lining programme")
    ms = p.add_subparsers(dest="markings_command", metavar="ACTION")
    ms.required = True
    w = ms.add_parser("wear", help="each marking in images with its wear (0 = as new, 1 = gone)")
    w.add_argument("images", nargs="+", type=Path, help="image files or folders")
    w.add_argument(
        "--masks",
        type=Path,
        default=None,
        help="folder of PNGs of the same stems, one colour per marking (0 = background): "
        "measure these markings instead of finding the paint",
    )
    w.add_argument(
        "--road-top",
        type=_share_of_height,
        default=None,
        metavar="SHARE",
        help="look for paint below this share of the image height (default: the finder's, 0.4, "
        "for a dashcam; "
        "0 for a camera looking down at the road, whose whole frame is road)",
    )
    w.add_argument(
        "--overlay",
        type=Path,
        default=None,
        metavar="DIR",
        help="write each image with its markings outlined in their wear's colour "
        "(green new, red gone) to DIR/<stem>_wear.png",
    )
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=run_wear)
    g = ms.add_parser("programme", help="the re-lining programme from the stored wear runs")
    g.add_argument("--policy", type=Path, default=None, help="default: policies/markings.yaml")
    g.add_argument("--csv", type=Path, default=None, help="write the programme as CSV here")
    g.add_argument("--database", default=None)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=run_programme)


def _share_of_height(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0.0 <= share < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share of the height in [0, 1)")
    return share


def _measure_one(
    path: Path, masks_dir: Path | None, road_top: float | None, overlay: Path | None = None
) -> dict:
    from detector.marking_finder import measure_image, road_region
    from detector.markings import read_image, read_label_masks
    from roadcam.errors import InputNotFoundError

    image = read_image(path)
    masks = None
    if masks_dir is not None:
        label = masks_dir / f"{path.stem}.png"
        if not label.is_file():
            raise InputNotFoundError("no mask PNG of the same stem", path=str(label))
        masks = read_label_masks(label, image.shape)
    region = None if road_top is None else road_region(image.shape, road_top)
    found = measure_image(image, masks, region=region)
    out = {
        "image": str(path),
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "markings": [m.to_dict() for m in found],
    }
    if overlay is not None:
        out["overlay"] = str(overlay / f"{path.stem}_wear.png")
        _write_overlay(Path(out["overlay"]), image, found)
    return out


def _write_overlay(out: Path, image, found) -> None:
    import cv2

    from detector.markings import overlay_of_wear
    from roadcam.errors import UsageError

    if not cv2.imwrite(str(out), overlay_of_wear(image, found)):
        raise UsageError("could not write the overlay image", path=str(out))


def run_wear(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.commands.detect import _collect
    from roadcam.errors import RoadcamError, UsageError, error_record

    if args.overlay is not None:
        try:
            args.overlay.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            msg = f"cannot write overlays here: {err.strerror}"
            raise UsageError(msg, path=str(args.overlay)) from err
    results, errors = [], []
    for path in _collect(args.images):
        try:
            results.append(_measure_one(path, args.masks, args.road_top, args.overlay))
        except RoadcamError as err:  # a bad image is an error record; the batch goes on
            errors.append(error_record(err, path=str(path)))
    if args.json:
        print_json({"images": results, "errors": errors})
    else:
        for r in results:
            wears = ", ".join(f"{m['wear']:.2f}" for m in r["markings"]) or "none found"
            print(f"{r['image']}: {len(r['markings'])} markings, wear {wears}")
        for e in errors:
            print(f"{e['path']}: {e['message']}", file=sys.stderr)
    return 3 if errors else 0


def run_programme(args: argparse.Namespace) -> int:
    import csv

    from hierarchy.relining import load_markings_policy, programme_csv_rows, relining_programme
    from pipeline.cli import print_json
    from store.markings import merged_wear_runs
    from store.migrate import database_session
    from store.segments import list_segments

    policy = load_markings_policy(args.policy)
    with database_session(args.database) as s:
        runs = merged_wear_runs(s, repeatability=policy.repeatability.value)
        categories = {seg.id: seg.current_category for seg in list_segments(s, limit=None)}
    prog = relining_programme(runs, categories, policy)
    if args.csv is not None:
        rows = programme_csv_rows(prog)
        with args.csv.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["rank"])
            writer.writeheader()
            writer.writerows(rows)
    if args.json:
        print_json(prog)
        return 0
    t = prog["totals"]
    print(
        f"{len(prog['runs'])} runs, {t['programme_km']} km, GBP {t['programme_gbp']:,.0f} "
        f"(cyclical: {t['cyclical_km_per_year']} km, GBP {t['cyclical_gbp_per_year']:,.0f} a year;"
        f" saved {t['saved_km']} km, GBP {t['saved_gbp']:,.0f}); proposals until confirmed"
    )
    return 0
