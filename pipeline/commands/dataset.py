"""``roadcam dataset build RECIPE.yaml``: one YOLO dataset from the sources of a recipe."""

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
