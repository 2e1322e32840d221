"""Pack a built dataset small enough to travel to a rented GPU machine (64 MiB with the code).

    python detector/recipes/pack_for_gpu.py --dataset var/datasets/roadcam-v1 --out gpu/data

Images are resized to 640 px on the long side and written as WebP (Brazil q76, Roboflow q64,
rendered frames and composites q62); labels are copied; the valid split keeps every 4th image
(the machine's own per-epoch check only; the model is chosen later on the full valid split).
This is how roadcam-v5 was trained (docs/model.md "roadcam-v5"); test splits are never packed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2

QUALITY = {"brazil": 76, "roboflow": 64}
OTHER_QUALITY = 62


def pack_dataset(dataset: Path, out: Path, max_side_px: int = 640) -> dict[str, int]:
    """Write ``out/images/{train,valid}/*.webp`` and ``out/labels/...``; return bytes by split/source."""
    shutil.rmtree(out, ignore_errors=True)
    sizes: dict[str, int] = {}
    for split in ("train", "valid"):
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
        files = sorted((dataset / "images" / split).iterdir())
        for p in files if split == "train" else files[::4]:
            kind = p.name.split("__")[0]
            img = cv2.imread(str(p))
            h, w = img.shape[:2]
            s = max_side_px / max(h, w)
            if s < 1:
                img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
            dst = out / "images" / split / f"{p.stem}.webp"
            cv2.imwrite(str(dst), img, [cv2.IMWRITE_WEBP_QUALITY, QUALITY.get(kind, OTHER_QUALITY)])
            label = dataset / "labels" / split / f"{p.stem}.txt"
            if label.exists():
                shutil.copy(label, out / "labels" / split / label.name)
            key = f"{split}/{kind}"
            sizes[key] = sizes.get(key, 0) + dst.stat().st_size
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    sizes = pack_dataset(args.dataset, args.out)
    for k, v in sorted(sizes.items()):
        print(f"{k:28s} {v / 1e6:6.2f} MB")
    print(f"total {sum(sizes.values()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
