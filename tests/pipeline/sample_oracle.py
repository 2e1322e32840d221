"""The sample footage's rendered truth as a stand-in detector, for tests of everything after detection.

``drive*_boxes.csv`` (written by sample_footage/make_sample.py) holds every visible
object's true box per frame. :func:`process_with_oracle` runs ``roadcam process``
in this process with those boxes as the detector's output.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import pipeline.compute as compute
from detector.types import CLASS_NAMES, Detections
from pipeline.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_footage"


class OracleDetector:
    """Returns the rendered truth for the frame being processed."""

    def __init__(self, boxes_by_frame):
        self.boxes_by_frame = boxes_by_frame
        self.frame_of_image: dict[
            int, tuple[str, int]
        ] = {}  # id(frame.image) -> (video, frame index)

    def detect_batch(self, images):
        return [self.detect(im) for im in images]

    def detect(self, image):
        rows = self.boxes_by_frame.get(self.frame_of_image.pop(id(image), None), [])
        h, w = image.shape[:2]
        xyxy = np.array(
            [
                [min(max(v, 0), lim) for v, lim in zip(r[1:], (w, h, w, h), strict=True)]
                for r in rows
            ],
            dtype=np.float32,
        ).reshape(-1, 4)
        return Detections(
            xyxy=xyxy,
            confidence=np.full(len(rows), 0.9, np.float32),
            class_id=np.array([r[0] for r in rows], dtype=np.int64),
            class_names=CLASS_NAMES,
            image_width=w,
            image_height=h,
        )


def sample_boxes(*drives: str):
    out = defaultdict(list)
    for drive in drives:
        with open(SAMPLE / f"{drive}_boxes.csv") as fh:
            for r in csv.DictReader(fh):
                out[(str(SAMPLE / f"{drive}.mp4"), int(r["frame"]))].append(
                    (
                        int(r["class_id"]),
                        float(r["x1"]),
                        float(r["y1"]),
                        float(r["x2"]),
                        float(r["y2"]),
                    )
                )
    return out


def process_with_oracle(videos: list[Path], db: str, tmp: Path) -> int:
    """``roadcam process VIDEOS`` with the rendered truth as detections; returns the exit code."""
    mp = pytest.MonkeyPatch()
    oracle = OracleDetector(sample_boxes(*[v.stem for v in videos]))
    frames_for = compute._frames_for

    def tracking_frames(item, options, stats):
        for frame in frames_for(item, options, stats):
            if frame.image is not None:
                key = (str(Path(frame.source).resolve()) if frame.source else "", frame.frame_index)
                oracle.frame_of_image[id(frame.image)] = key
            yield frame

    mp.setattr(compute, "_frames_for", tracking_frames)
    mp.setattr(compute, "_detector", lambda options: oracle)
    weights = tmp / "oracle.onnx"
    weights.write_bytes(b"unused")  # the oracle stands in for the model
    try:
        return main(
            [
                "process",
                *map(str, videos),
                "--database",
                db,
                "--weights",
                str(weights),
                "--frames-dir",
                str(tmp / "frames"),
            ]
        )
    finally:
        mp.undo()


def ground_truth(drive: str = "drive1") -> list[dict]:
    gt = json.loads((SAMPLE / "ground_truth.geojson").read_text())
    return [f for f in gt["features"] if drive in f["properties"]["drives_present"].split(",")]


def metres(lon1, lat1, lon2, lat2) -> float:
    from geo.crs import xy_from_lonlat

    x, y = xy_from_lonlat([lon1, lon2], [lat1, lat2], "EPSG:27700")
    return float(np.hypot(x[1] - x[0], y[1] - y[0]))


def distance_to_truth_m(lon: float, lat: float, feature: dict) -> float:
    """Metres to a rendered point defect, or to the worn section of a faded line."""
    p = feature["properties"]
    if "start_lonlat" not in p:
        return metres(lon, lat, *feature["geometry"]["coordinates"])
    from shapely.geometry import LineString, Point

    from geo.crs import xy_from_lonlat

    (x1, x2), (y1, y2) = xy_from_lonlat(
        *zip(p["start_lonlat"], p["end_lonlat"], strict=True), "EPSG:27700"
    )
    x, y = xy_from_lonlat(lon, lat, "EPSG:27700")
    return LineString([(x1, y1), (x2, y2)]).distance(Point(float(x), float(y)))
