"""Recipe dataset builder: mask-to-box conversion and the split."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detector.dataset import Box, boxes_from_mask, split_of

SAMPLE = "1014619_RS_386_386RS124739_30020"


def test_boxes_from_synthetic_mask():
    m = np.zeros((50, 60), np.uint8)
    m[10:20, 5:15] = 255  # 100 px
    m[30:33, 40:43] = 255  # 9 px: dropped by min area
    m[10:12, 20:22] = 255  # 4 px, 5 px right of the first blob: joined only by dilation
    assert boxes_from_mask(m, 0, min_area_px=10) == [Box(0, 5, 10, 15, 20)]
    assert boxes_from_mask(m, 1, min_area_px=1) == [
        Box(1, 5, 10, 15, 20),
        Box(1, 20, 10, 22, 12),
        Box(1, 40, 30, 43, 33),
    ]
    # dilation joins the nearby fragment; the box stays tight to the original pixels
    assert boxes_from_mask(m, 1, min_area_px=10, dilate_px=3) == [Box(1, 5, 10, 22, 20)]
    assert Box(0, 5, 10, 15, 20).to_yolo(60, 50) == "0 0.166667 0.300000 0.166667 0.200000"


def test_boxes_from_known_brazil_pothole_mask(shared_data):
    """Checked by hand against scipy.ndimage.label/find_objects (8-connectivity): 4 blobs of 589, 227, 270, 205 px."""
    root = shared_data / "cracks_potholes_brazil_dnit_subset" / "Dataset" / SAMPLE
    mask = cv2.imread(str(root / f"{SAMPLE}_POTHOLE.png"), cv2.IMREAD_COLOR)
    assert mask.shape == (640, 1024, 3)
    assert boxes_from_mask(mask, 0, min_area_px=100, dilate_px=4) == [
        Box(0, 631, 312, 673, 331),
        Box(0, 217, 354, 243, 366),
        Box(0, 71, 497, 101, 509),
        Box(0, 68, 545, 91, 556),
    ]
    assert boxes_from_mask(mask, 0, min_area_px=250) == [
        Box(0, 631, 312, 673, 331),
        Box(0, 71, 497, 101, 509),
    ]


def test_split_is_deterministic_and_close_to_70_15_15():
    ids = [f"sample_{i}" for i in range(2000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    frac = {s: splits.count(s) / len(ids) for s in ("train", "valid", "test")}
    assert frac["train"] == pytest.approx(0.70, abs=0.03)
    assert frac["valid"] == pytest.approx(0.15, abs=0.03)
    assert frac["test"] == pytest.approx(0.15, abs=0.03)


def test_recorded_brazil_split_matches_the_rule(repo_root):
    import csv

    rows = list(
        csv.DictReader((repo_root / "detector" / "recipes" / "brazil_dnit_split.csv").open())
    )
    assert len(rows) == 700
    assert all(split_of(r["sample_id"]) == r["split"] for r in rows)
    counts = {s: sum(r["split"] == s for r in rows) for s in ("train", "valid", "test")}
    assert counts == {"train": 503, "valid": 99, "test": 98}


def test_build_from_yolo_folders(tmp_path):
    """A council-style folder (images/ + labels/), a flat folder and an eval-only source, built end to end."""
    import json

    import yaml

    from detector.dataset import build_dataset

    council = tmp_path / "council"
    (council / "images").mkdir(parents=True)
    (council / "labels").mkdir()
    for i in range(20):
        cv2.imwrite(str(council / "images" / f"f{i:02d}.jpg"), np.zeros((40, 60, 3), np.uint8))
        (council / "labels" / f"f{i:02d}.txt").write_text("3 0.5 0.5 0.2 0.2\n" if i % 2 else "")
    flat = tmp_path / "flat"
    flat.mkdir()
    cv2.imwrite(str(flat / "a.png"), np.zeros((10, 10, 3), np.uint8))
    (flat / "a.txt").write_text(
        "0 0.5 0.5 0.4 0.4\n7 0.1 0.1 0.1 0.1\n"
    )  # id 7 is not mapped: dropped
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "name": "t",
                "classes": ["pothole", "crack", "faded_marking", "skip"],
                "sources": [
                    {"name": "council", "type": "yolo_folder", "path": "council"},
                    {
                        "name": "street",
                        "type": "yolo_folder",
                        "path": "flat",
                        "eval_only": True,
                        "class_map": {0: "pothole"},
                    },
                    {"name": "absent", "type": "yolo_folder", "path": "nowhere", "optional": True},
                ],
            }
        )
    )
    data_yaml = build_dataset(recipe, tmp_path / "out")
    data = yaml.safe_load(data_yaml.read_text())
    assert data["names"] == {0: "pothole", 1: "crack", 2: "faded_marking", 3: "skip"}
    counts = json.loads((tmp_path / "out" / "manifest.json").read_text())["counts"]
    assert counts["street"] == {"test": {"images": 1, "pothole": 1}}
    c = counts["council"]
    assert c["train"]["images"] + c["valid"]["images"] == 20 and "test" not in c
    assert c["train"].get("skip", 0) + c["valid"].get("skip", 0) == 10
    assert (tmp_path / "out" / "images" / "test" / "street__a.png").is_symlink()
    assert (
        tmp_path / "out" / "labels" / "test" / "street__a.txt"
    ).read_text() == "0 0.5 0.5 0.4 0.4\n"
    assert (tmp_path / "out" / "test_street.txt").read_text().strip().endswith("street__a.png")
