"""``roadcam dataset build RECIPE.yaml``: one YOLO dataset from the sources of a recipe;
``roadcam dataset export-reviewed DIR``: reviewed findings as the recipe's ``council`` source."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("dataset", help="build YOLO training datasets")
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION")
    sub.required = True
    b = sub.add_parser(
        "build", help="build a dataset (images symlinked, labels, data.yaml) from a recipe"
    )
    b.add_argument("recipe", type=Path, help="recipe YAML, e.g. detector/recipes/roadcam.yaml")
    b.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="output folder (default var/datasets/<name>)",
    )
    b.add_argument("--force", action="store_true", help="rebuild even if the dataset exists")
    b.add_argument("--json", action="store_true", help="print the manifest as JSON")
    b.set_defaults(func=_build)
    e = sub.add_parser(
        "export-reviewed",
        help="confirmed findings (labelled) and rejected ones (hard negatives) as a YOLO folder",
    )
    e.add_argument(
        "out",
        type=Path,
        help="output folder, e.g. var/council_frames (the recipe's council source)",
    )
    e.add_argument("--database", default=None)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_export_reviewed)


def _build(args: argparse.Namespace) -> int:
    from detector.dataset import build_dataset
    from pipeline.cli import print_json

    data_yaml = build_dataset(args.recipe, args.output, force=args.force)
    manifest = json.loads((data_yaml.parent / "manifest.json").read_text())
    if args.json:
        print_json({"data_yaml": str(data_yaml), **manifest})
    else:
        print(f"dataset: {data_yaml}")
        for src, splits in manifest["counts"].items():
            print(f"  {src}: " + "; ".join(f"{s} {c}" for s, c in splits.items()))
    return 0


def _export_reviewed(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.reviewed_dataset import export_reviewed
    from store.migrate import database_session

    with database_session(args.database) as session:
        counts = export_reviewed(session, args.out)
    if args.json:
        print_json({"out": str(args.out), **counts})
    else:
        print(
            f"{args.out}: {counts['frames']} frames ({counts['positives']} with confirmed findings, "
            f"{counts['hard_negatives']} hard negatives), {counts['boxes']} boxes; "
            f"{counts['missing_images']} evidence images missing"
        )
    return 0
