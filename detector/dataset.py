"""Build one YOLO dataset (images, labels, data.yaml) from the sources in a recipe.

A recipe is YAML (see ``detector/recipes/roadcam.yaml``)::

    name: roadcam-v1
    classes: [pothole, crack, faded_marking, skip]
    sources:
      - {name: roboflow, type: yolo_splits, path: ../shared/data/pothole_roboflow_chitholian,
         class_map: {0: pothole}}
      - {name: brazil, type: masks, path: ../shared/data/cracks_potholes_brazil_dnit_subset,
         split_file: brazil_dnit_split.csv, masks: {pothole: {...}, crack: {...}}}
      - {name: mexico, type: yolo_folder, path: ..., images: Baches_Img, labels: labels_yolo,
         eval_only: true, class_map: {0: pothole}}
      - {name: rendered, type: yolo_folder, path: sample_footage/rendered, optional: true}

Relative paths are relative to the recipe file. Images are *symlinked* into the
cache folder (outside git), never copied into the repository. ``test`` splits
and ``eval_only`` sources never reach ``train`` or ``valid``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detector.types import CLASS_NAMES
from roadcam.errors import ConfigError, CorruptInputError, InputNotFoundError
from roadcam.settings import shared_data_dir

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
SOURCE_SEP = "__"  # built image names are <source>__<original stem>


def source_of_image(path: str | Path) -> str:
    """The recipe source a built dataset image came from (``roboflow``, ``brazil``, ``rendered`` ...)."""
    return Path(path).name.split(SOURCE_SEP, 1)[0]


@dataclass(frozen=True)
class Box:
    """One labelled box in pixels."""

    class_id: int
    x1: int
    y1: int
    x2: int  # exclusive
    y2: int  # exclusive

    def __post_init__(self) -> None:
        if self.class_id < 0 or self.x2 <= self.x1 or self.y2 <= self.y1:
            raise ValueError(f"bad box {self}")

    def to_yolo(self, width: int, height: int) -> str:
        """``class xc yc w h`` normalised, as in a YOLO label file."""
        xc = (self.x1 + self.x2) / 2 / width
        yc = (self.y1 + self.y2) / 2 / height
        return f"{self.class_id} {xc:.6f} {yc:.6f} {(self.x2 - self.x1) / width:.6f} {(self.y2 - self.y1) / height:.6f}"


def boxes_from_mask(
    mask: np.ndarray, class_id: int, min_area_px: int = 1, dilate_px: int = 0
) -> list[Box]:
    """Boxes around the connected components of a binary mask.

    Pixels closer than ``dilate_px`` are joined first (fragmented cracks), then
    each box is fitted tightly to the original mask pixels of its component and
    kept if it holds at least ``min_area_px`` of them. Boxes are sorted by
    ``(y1, x1)``; ``x2``/``y2`` are exclusive.
    """
    import cv2

    if mask.ndim == 3:
        mask = mask.max(axis=2)
    binary = (mask > 0).astype(np.uint8)
    joined = binary
    if dilate_px > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * dilate_px + 1, 2 * dilate_px + 1))
        joined = cv2.dilate(binary, kernel)
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    boxes: list[Box] = []
    for comp in range(1, n):
        ys, xs = np.nonzero((labels == comp) & (binary > 0))
        if xs.size < min_area_px or xs.size == 0:
            continue
        boxes.append(
            Box(class_id, int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        )
    return sorted(boxes, key=lambda b: (b.y1, b.x1, b.x2, b.y2))


def split_of(
    sample_id: str, train_pct: int = 70, valid_pct: int = 15, salt: str = "roadcam"
) -> str:
    """Deterministic split by sample id: sha1(salt/id) mod 100 against the cut points."""
    h = int(hashlib.sha1(f"{salt}/{sample_id}".encode()).hexdigest(), 16) % 100
    if h < train_pct:
        return "train"
    if h < train_pct + valid_pct:
        return "valid"
    return "test"


def load_recipe(path: str | Path) -> dict[str, Any]:
    """Read and check a recipe; resolves source paths against the recipe's folder
    (``${shared_data}`` is :func:`roadcam.settings.shared_data_dir`)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError("recipe not found", path=str(path))
    try:
        recipe = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML: {err}", path=str(path)) from err
    if not isinstance(recipe, dict) or not recipe.get("sources"):
        raise ConfigError(
            "a recipe needs 'name', 'classes' and a list of 'sources'", path=str(path)
        )
    classes = tuple(recipe.get("classes", CLASS_NAMES))
    if classes != CLASS_NAMES[: len(classes)] or not classes:
        raise ConfigError(
            f"classes must be (a prefix of) {list(CLASS_NAMES)}, got {list(classes)}",
            path=str(path),
        )
    recipe["classes"] = list(CLASS_NAMES)  # the model always knows all four ids
    recipe.setdefault("name", path.stem)
    recipe["_dir"] = str(path.parent.resolve())
    for src in recipe["sources"]:
        if "name" not in src or "type" not in src or "path" not in src:
            raise ConfigError(f"each source needs name, type and path: {src}", path=str(path))
        if src["type"] not in ("yolo_splits", "yolo_folder", "masks"):
            raise ConfigError(f"unknown source type {src['type']!r}", path=str(path))
        src_path = str(src["path"]).replace("${shared_data}", str(shared_data_dir()))
        src["_path"] = str((path.parent / src_path).resolve())
    return recipe


def _class_map(src: dict[str, Any]) -> dict[int, int]:
    raw = src.get("class_map") or {i: n for i, n in enumerate(CLASS_NAMES)}
    out = {}
    for k, v in raw.items():
        if v not in CLASS_NAMES:
            raise ConfigError(f"source {src['name']}: unknown class {v!r}")
        out[int(k)] = CLASS_NAMES.index(v)
    return out


def _read_yolo_labels(label_path: Path, cmap: dict[int, int]) -> list[str]:
    lines = []
    if not label_path.is_file():
        return lines  # an image without a label file is a background image
    for raw in label_path.read_text().splitlines():
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise CorruptInputError(f"expected 5 fields, got {len(parts)}", path=str(label_path))
        cid = int(float(parts[0]))
        if cid not in cmap:
            continue
        lines.append(" ".join([str(cmap[cid]), *parts[1:]]))
    return lines


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _items_yolo_splits(src: dict[str, Any]) -> list[tuple[str, Path, list[str]]]:
    root, cmap = Path(src["_path"]), _class_map(src)
    items = []
    for split in SPLITS:
        folder = root / split / "images"
        if not folder.is_dir():
            continue
        for img in _images_in(folder):
            items.append(
                (split, img, _read_yolo_labels(root / split / "labels" / f"{img.stem}.txt", cmap))
            )
    return items


def _items_yolo_folder(src: dict[str, Any]) -> list[tuple[str, Path, list[str]]]:
    root, cmap = Path(src["_path"]), _class_map(src)
    img_dir = root / src.get("images", "images")
    lab_dir = root / src.get("labels", "labels")
    if not img_dir.is_dir():
        img_dir = lab_dir = root  # flat folder: a.jpg next to a.txt
    split_cfg = src.get("split", {"train": 85, "valid": 15})
    items = []
    for img in _images_in(img_dir):
        split = (
            "test"
            if src.get("eval_only")
            else split_of(
                img.stem,
                split_cfg.get("train", 85),
                split_cfg.get("valid", 15),
                split_cfg.get("salt", "roadcam"),
            )
        )
        items.append((split, img, _read_yolo_labels(lab_dir / f"{img.stem}.txt", cmap)))
    return items


def brazil_split_table(
    root: Path, train_pct: int = 70, valid_pct: int = 15, salt: str = "roadcam"
) -> list[tuple[str, str]]:
    """``(sample_id, split)`` for every sample folder under ``root/Dataset``, sorted by id."""
    return [
        (sid, split_of(sid, train_pct, valid_pct, salt))
        for sid in sorted(os.listdir(root / "Dataset"))
    ]


def _items_masks(src: dict[str, Any], recipe_dir: Path) -> list[tuple[str, Path, list[str]]]:
    import cv2

    root = Path(src["_path"])
    split_file = recipe_dir / src.get("split_file", f"{src['name']}_split.csv")
    if split_file.is_file():
        with split_file.open() as fh:
            table = [(r["sample_id"], r["split"]) for r in csv.DictReader(fh)]
    else:
        cfg = src.get("split", {})
        table = brazil_split_table(
            root, cfg.get("train", 70), cfg.get("valid", 15), cfg.get("salt", "roadcam")
        )
        with split_file.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["sample_id", "split"])
            w.writerows(table)
        log.info("wrote the %s split (%d samples) to %s", src["name"], len(table), split_file)
    items = []
    for sid, split in table:
        img = root / "Dataset" / sid / f"{sid}_RAW.jpg"
        if not img.is_file():
            raise InputNotFoundError("sample image missing", path=str(img))
        lines: list[str] = []
        height = width = 0
        for cname, mcfg in src["masks"].items():
            m = cv2.imread(
                str(root / "Dataset" / sid / f"{sid}{mcfg['suffix']}"), cv2.IMREAD_GRAYSCALE
            )
            if m is None:
                raise CorruptInputError("unreadable mask", path=f"{root}/Dataset/{sid}")
            height, width = m.shape
            for b in boxes_from_mask(
                m,
                CLASS_NAMES.index(cname),
                int(mcfg.get("min_area_px", 1)),
                int(mcfg.get("dilate_px", 0)),
            ):
                lines.append(b.to_yolo(width, height))
        items.append((split, img, lines))
    return items


def _items_of_source(src: dict[str, Any], recipe_dir: Path) -> list[tuple[str, Path, list[str]]]:
    if src["type"] == "yolo_splits":
        return _items_yolo_splits(src)
    if src["type"] == "yolo_folder":
        return _items_yolo_folder(src)
    return _items_masks(src, recipe_dir)


def _link_source_items(
    out: Path,
    src: dict[str, Any],
    items: list[tuple[str, Path, list[str]]],
    test_lists: dict[str, list[str]],
) -> dict[str, dict[str, int]]:
    """Link a source's images and write their labels; counts per split (test images listed)."""
    c: dict[str, Counter] = {s: Counter() for s in SPLITS}
    for split, img, lines in items:
        if src.get("eval_only"):
            split = "test"
        stem = f"{src['name']}{SOURCE_SEP}{img.stem}"
        link = out / "images" / split / f"{stem}{img.suffix.lower()}"
        link.symlink_to(img.resolve())
        (out / "labels" / split / f"{stem}.txt").write_text("".join(f"{ln}\n" for ln in lines))
        c[split]["images"] += 1
        for ln in lines:
            c[split][CLASS_NAMES[int(ln.split()[0])]] += 1
        if split == "test":
            test_lists.setdefault(src["name"], []).append(str(link))
    return {s: dict(v) for s, v in c.items() if v}


def _write_data_yaml(out: Path, test_lists: dict[str, list[str]]) -> None:
    """``data.yaml``, and per source ``test_<source>.txt`` and ``test_<source>.yaml``."""
    import yaml

    names = {i: n for i, n in enumerate(CLASS_NAMES)}
    data = {
        "path": str(out),
        "train": "images/train",
        "val": "images/valid",
        "test": "images/test",
        "names": names,
    }
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    for name, paths in test_lists.items():
        (out / f"test_{name}.txt").write_text("".join(f"{p}\n" for p in sorted(paths)))
        (out / f"test_{name}.yaml").write_text(
            yaml.safe_dump(
                {**data, "val": f"test_{name}.txt", "test": f"test_{name}.txt"}, sort_keys=False
            )
        )


def build_dataset(
    recipe_path: str | Path, out_dir: str | Path | None = None, force: bool = False
) -> Path:
    """Build the dataset of a recipe into ``out_dir`` (default ``var/datasets/<name>``).

    Returns the path of ``data.yaml``. Also writes ``test_<source>.txt`` image
    lists (per-source evaluation) and ``manifest.json`` (counts).
    """
    import shutil

    from roadcam.settings import get_settings

    recipe = load_recipe(recipe_path)
    out = Path(out_dir) if out_dir else get_settings().data_dir / "datasets" / recipe["name"]
    out = out.resolve()
    if out.exists():
        if not force and (out / "data.yaml").is_file():
            log.info("dataset exists: %s (use --force to rebuild)", out)
            return out / "data.yaml"
        shutil.rmtree(out)
    for split in SPLITS:
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {}
    test_lists: dict[str, list[str]] = {}
    for src in recipe["sources"]:
        if not Path(src["_path"]).exists():
            if src.get("optional"):
                log.info("optional source %s absent (%s); skipped", src["name"], src["_path"])
                continue
            raise InputNotFoundError(f"source {src['name']} not found", path=src["_path"])
        items = _items_of_source(src, Path(recipe["_dir"]))
        counts[src["name"]] = _link_source_items(out, src, items, test_lists)
        log.info("%s: %s", src["name"], counts[src["name"]])
    _write_data_yaml(out, test_lists)
    (out / "manifest.json").write_text(
        json.dumps(
            {"recipe": str(Path(recipe_path).resolve()), "name": recipe["name"], "counts": counts},
            indent=2,
        )
    )
    return out / "data.yaml"
