"""The GPU training recipe's two scripts (detector/recipes): what travels and how it is weighted.

The run itself needs a GPU (docs/model.md "Retraining on a GPU"); these check the parts that decide
what the model sees: the packed images (640 px WebP, labels kept, a quarter of valid) and the
per-source repeats of the training list.
"""

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from detector.types import CLASS_NAMES
from roadcam.settings import PROJECT_ROOT

RECIPES = PROJECT_ROOT / "detector" / "recipes"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, RECIPES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _dataset(root: Path) -> Path:
    stems = {
        "train": ["roboflow__a", "brazil__b", "rendered__c", "skip_composites__d"],
        "valid": [f"roboflow__v{i}" for i in range(5)],
    }
    for split, names in stems.items():
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i, stem in enumerate(names):
            img = np.full((720, 1280, 3), 60 + 20 * i, np.uint8)
            cv2.imwrite(str(root / "images" / split / f"{stem}.jpg"), img)
            (root / "labels" / split / f"{stem}.txt").write_text(f"{i % 4} 0.5 0.5 0.1 0.2\n")
    return root


def test_pack_resizes_to_640_webp_keeps_labels_and_a_quarter_of_valid(tmp_path):
    pack = _module("pack_for_gpu")
    out = tmp_path / "packed"
    sizes = pack.pack_dataset(_dataset(tmp_path / "ds"), out)
    train = sorted(p.name for p in (out / "images" / "train").iterdir())
    assert train == [
        "brazil__b.webp",
        "rendered__c.webp",
        "roboflow__a.webp",
        "skip_composites__d.webp",
    ]
    assert sorted(p.name for p in (out / "images" / "valid").iterdir()) == [
        "roboflow__v0.webp",
        "roboflow__v4.webp",
    ]
    img = cv2.imread(str(out / "images" / "train" / "brazil__b.webp"))
    assert img.shape == (360, 640, 3)
    assert (
        out / "labels" / "train" / "skip_composites__d.txt"
    ).read_text() == "3 0.5 0.5 0.1 0.2\n"
    assert set(sizes) == {
        "train/brazil",
        "train/rendered",
        "train/roboflow",
        "train/skip_composites",
        "valid/roboflow",
    }


def test_training_lists_weight_real_images_and_name_the_project_classes(tmp_path, monkeypatch):
    pack = _module("pack_for_gpu")
    out = tmp_path / "packed"
    pack.pack_dataset(_dataset(tmp_path / "ds"), out)
    monkeypatch.setenv("RC_ARMS", "v5")
    train = _module("train_gpu")
    assert list(train.NAMES.values()) == list(CLASS_NAMES)
    for arm, real, composites in (("A", 2, 1), ("B", 2, 2)):
        yaml = train.write_lists(arm, out)
        lines = (out / f"train_{arm}.txt").read_text().split()
        names = [Path(p).name for p in lines]
        assert names.count("roboflow__a.webp") == names.count("brazil__b.webp") == real
        assert names.count("skip_composites__d.webp") == composites
        assert names.count("rendered__c.webp") == 1
        assert f"train: train_{arm}.txt" in yaml.read_text()
