"""The chain after the detector, on the sample footage, with perfect detections.

The sample generator writes every visible object's true box per frame
(``drive1_boxes.csv``). Feeding those as the detector's output tests everything
downstream of it — distance sampling, ground projection from GPS poses (with
their ~2.5 m noise), snapping to the network, merging sightings — against the
rendered ground truth: each defect on the right road, within 3 m, once.
"""

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
pytestmark = pytest.mark.slow


class OracleDetector:
    """Returns the rendered truth for the frame being processed."""

    def __init__(self, boxes_by_frame):
        self.boxes_by_frame = boxes_by_frame
        self.current = None

    def detect(self, image):
        rows = self.boxes_by_frame.get(self.current, [])
        h, w = image.shape[:2]
        xyxy = np.array([[min(max(v, 0), lim) for v, lim in zip(r[1:], (w, h, w, h), strict=True)] for r in rows],
                        dtype=np.float32).reshape(-1, 4)
        return Detections(xyxy=xyxy, confidence=np.full(len(rows), 0.9, np.float32),
                          class_id=np.array([r[0] for r in rows], dtype=np.int64), class_names=CLASS_NAMES,
                          image_width=w, image_height=h)


def _boxes(drive: str):
    out = defaultdict(list)
    with open(SAMPLE / f"{drive}_boxes.csv") as fh:
        for r in csv.DictReader(fh):
            out[(str(SAMPLE / f"{drive}.mp4"), int(r["frame"]))].append(
                (int(r["class_id"]), float(r["x1"]), float(r["y1"]), float(r["x2"]), float(r["y2"])))
    return out


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    oracle = OracleDetector(_boxes("drive1"))
    frames_for = compute._frames_for

    def tracking_frames(item, options, stats):
        for frame in frames_for(item, options, stats):
            oracle.current = (str(Path(frame.source).resolve()) if frame.source else "", frame.frame_index)
            yield frame

    mp.setattr(compute, "_frames_for", tracking_frames)
    mp.setattr(compute, "_detector", lambda options: oracle)
    tmp = tmp_path_factory.mktemp("oracle")
    db = f"sqlite:///{tmp / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    weights = tmp / "oracle.onnx"
    weights.write_bytes(b"unused")  # the oracle stands in for the model
    video = SAMPLE / "drive1.mp4"
    code = main(["process", str(video), "--database", db, "--weights", str(weights), "--frames-dir", str(tmp / "frames")])
    mp.undo()
    assert code == 0
    from store.defects import defect_lonlat, list_defects
    from store.engine import make_engine, session_scope
    from store.segments import list_segments

    engine = make_engine(db)
    with session_scope(engine) as s:
        source_of = {seg.id: seg.source_id for seg in list_segments(s)}
        defects = [(d.class_name, *defect_lonlat(d), source_of.get(d.segment_id), d.sightings, d.id)
                   for d in list_defects(s, limit=None)]
    engine.dispose()
    return defects, db


def _truth(drive="drive1"):
    gt = json.loads((SAMPLE / "ground_truth.geojson").read_text())
    return [f for f in gt["features"] if drive in f["properties"]["drives_present"].split(",")]


def _metres(lon1, lat1, lon2, lat2):
    from geo.crs import xy_from_lonlat

    x, y = xy_from_lonlat([lon1, lon2], [lat1, lat2], "EPSG:27700")
    return float(np.hypot(x[1] - x[0], y[1] - y[0]))


@pytest.mark.parametrize("cls", ["pothole", "crack", "skip"])
def test_each_rendered_defect_is_one_defect_on_its_road_within_3_m(processed, cls):
    defects, _ = processed
    mine = [d for d in defects if d[0] == cls]
    truth = [f for f in _truth() if f["properties"]["class"] == cls]
    assert truth
    matched = set()
    for f in truth:
        lon, lat = f["geometry"]["coordinates"]
        near = [d for d in mine if _metres(lon, lat, d[1], d[2]) <= 3.0]
        assert len(near) == 1, f"{f['properties']['id']}: {len(near)} defects within 3 m"
        assert near[0][3] == f["properties"]["source_id"], f"{f['properties']['id']} on the wrong road"
        matched.add(near[0][5])
    assert len(mine) == len(truth), f"{len(mine) - len(truth)} extra {cls} defects (duplicates)"


def test_reprocessing_creates_no_duplicates(processed):
    defects, db = processed
    code = main(["process", str(SAMPLE / "drive1.mp4"), "--no-detect", "--database", db])
    assert code == 0
    from store.defects import count_defects
    from store.engine import make_engine, session_scope

    engine = make_engine(db)
    with session_scope(engine) as s:
        assert count_defects(s) == len(defects)
    engine.dispose()



def test_each_worn_line_section_is_one_defect_on_it(processed):
    from shapely.geometry import LineString, Point

    from geo.crs import xy_from_lonlat

    defects, _ = processed
    mine = [d for d in defects if d[0] == "faded_marking"]
    truth = [f for f in _truth() if f["properties"]["class"] == "faded_marking"]
    assert truth
    for f in truth:
        (x1, x2), (y1, y2) = xy_from_lonlat(*zip(f["properties"]["start_lonlat"], f["properties"]["end_lonlat"], strict=True), "EPSG:27700")
        section = LineString([(x1, y1), (x2, y2)])
        on = []
        for d in mine:
            x, y = xy_from_lonlat(d[1], d[2], "EPSG:27700")
            if section.distance(Point(float(x), float(y))) <= 3.0:
                on.append(d)
        assert len(on) == 1, f"{f['properties']['id']}: {len(on)} defects on the section"
        assert on[0][3] == f["properties"]["source_id"]
    assert len(mine) == len(truth)
