"""``roadcam dataset export-reviewed DIR``: people's decisions as a YOLO training folder.

Every stored evidence frame whose findings have all been decided becomes one image in
``DIR/images`` with its label file in ``DIR/labels``: confirmed findings are labelled with
their (possibly corrected) class; rejected ones are left unlabelled, so a frame with only
rejections is a hard negative (an empty label file). Frames still showing a proposed
finding are skipped. The folder is what the dataset recipe's ``council`` source reads
(``detector/recipes/roadcam.yaml``: ``type: yolo_folder``, ``var/council_frames``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from detector.dataset import Box
from detector.types import CLASS_NAMES


def _label_lines(boxes: list[dict[str, Any]], width: int, height: int) -> list[str]:
    lines = []
    for b in boxes:
        if b["review_status"] != "confirmed" or b["class_name"] not in CLASS_NAMES:
            continue
        x1, y1, x2, y2 = (float(v) for v in b["box"])
        x1, y1 = max(0, int(round(x1))), max(0, int(round(y1)))
        x2, y2 = min(width, int(round(x2))), min(height, int(round(y2)))
        if x2 > x1 and y2 > y1:
            lines.append(
                Box(CLASS_NAMES.index(b["class_name"]), x1, y1, x2, y2).to_yolo(width, height)
            )
    return lines


def export_reviewed(session: Any, out_dir: Path) -> dict[str, int]:
    """Write the reviewed frames to ``out_dir`` (images/ + labels/); return the counts."""
    import cv2

    from store.review import reviewed_frames

    images, labels = out_dir / "images", out_dir / "labels"
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    counts = {"frames": 0, "positives": 0, "hard_negatives": 0, "boxes": 0, "missing_images": 0}
    for frame in reviewed_frames(session):
        src = Path(frame["image_ref"])
        image = cv2.imread(str(src)) if src.is_file() else None
        if image is None:
            counts["missing_images"] += 1
            continue
        height, width = image.shape[:2]
        lines = _label_lines(frame["boxes"], width, height)
        stem = f"frame{frame['frame_id']}_{src.stem}"
        shutil.copyfile(src, images / f"{stem}{src.suffix.lower()}")
        (labels / f"{stem}.txt").write_text("".join(f"{line}\n" for line in lines))
        counts["frames"] += 1
        counts["boxes"] += len(lines)
        counts["positives" if lines else "hard_negatives"] += 1
    (out_dir / "export.json").write_text(json.dumps(counts, indent=2) + "\n")
    return counts
