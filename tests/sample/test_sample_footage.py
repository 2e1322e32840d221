"""The sample footage generator and its committed outputs (sample_footage/)."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from geo.crs import BNG, xy_from_lonlat

SAMPLE = Path(__file__).resolve().parents[2] / "sample_footage"
N_FRAMES = 4384  # 146.13 s at 30 fps
GPS_EPOCHS = 150  # 1 Hz from 2 s before the first frame to 1 s after the last
GAP = 4  # seconds without a fix


def _nmea_ok(sentence: str) -> bool:
    body, cs = sentence[1:].split("*")
    x = 0
    for ch in body.encode("ascii"):
        x ^= ch
    return f"{x:02X}" == cs


def test_nmea_checksum_function_matches_known_sentence():
    from sample_footage.route import nmea_checksum

    # a textbook sentence with its published checksum
    assert nmea_checksum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") == "47"


def test_blackvue_gps_file_lines_and_checksums():
    lines = (SAMPLE / "drive1.gps").read_text(encoding="ascii").splitlines()
    assert len(lines) == 2 * GPS_EPOCHS
    pat = re.compile(r"^\[(\d{13})\](\$GP(RMC|GGA),[^*]*\*[0-9A-F]{2})$")
    prefixes = []
    for line in lines:
        m = pat.match(line)
        assert m, line
        assert _nmea_ok(m.group(2)), line
        prefixes.append(int(m.group(1)))
    assert lines[0].split("$")[1].startswith("GPRMC,091420.00,A,")
    assert lines[-2].split("$")[1].startswith("GPRMC,091649.00,A,")
    assert sum(",V," in line for line in lines) == GAP
    # camera clock: GPS time + 240 ms, on 2026-11-16 (UTC)
    first = datetime(2026, 11, 16, 9, 14, 20, tzinfo=UTC).timestamp() * 1000 + 240
    assert prefixes[0] == int(first) and prefixes[-1] == int(first) + (GPS_EPOCHS - 1) * 1000


def test_gpx_parses_with_the_gap():
    root = ET.parse(SAMPLE / "drive1.gpx").getroot()
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = root.findall(".//g:trkpt", ns)
    assert len(pts) == GPS_EPOCHS - GAP
    times = [p.find("g:time", ns).text for p in pts]
    assert times[0] == "2026-11-16T09:14:20Z" and times[-1] == "2026-11-16T09:16:49Z"
    secs = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in times]
    gaps = np.diff(secs)
    assert sorted(set(gaps.tolist())) == [1.0, 5.0]  # one 4-fix gap: 5 s between fixes
    k = int(np.argmax(gaps))
    assert (times[k], times[k + 1]) == (
        "2026-11-16T09:15:53Z",
        "2026-11-16T09:15:58Z",
    )  # video 92-96 s
    lat = np.array([float(p.get("lat")) for p in pts])
    lon = np.array([float(p.get("lon")) for p in pts])
    assert 51.380 < lat.min() and lat.max() < 51.392 and 0.545 < lon.min() and lon.max() < 0.565


def test_ingest_readers_accept_the_side_cars():
    from geo.ingest import gpx, nmea

    t1 = gpx.read_gpx(SAMPLE / "drive1.gpx")
    t2 = nmea.read_nmea(SAMPLE / "drive1.gps")
    assert len(t1) == GPS_EPOCHS - GAP
    assert int(t2.valid.sum()) == GPS_EPOCHS - GAP
    assert str(t1.time[0]) == str(t2.time[t2.valid][0]) == "2026-11-16T09:14:20.000000000"


def test_gps_noise_is_a_few_metres():
    rows = np.genfromtxt(SAMPLE / "drive1_frames.csv", delimiter=",", names=True)
    root = ET.parse(SAMPLE / "drive1.gpx").getroot()
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = root.findall(".//g:trkpt", ns)
    start = datetime(2026, 11, 16, 9, 14, 22, tzinfo=UTC).timestamp()
    errs = []
    for p in pts:
        t = (
            datetime.fromisoformat(p.find("g:time", ns).text.replace("Z", "+00:00")).timestamp()
            - start
        )
        i = int(round(min(max(t, 0.0), (len(rows) - 1) / 30) * 30))
        gx, gy = xy_from_lonlat(float(p.get("lon")), float(p.get("lat")), BNG)
        tx, ty = xy_from_lonlat(rows["lon"][i], rows["lat"][i], BNG)
        errs.append(math.hypot(gx - tx, gy - ty))
    rms = math.sqrt(np.mean(np.square(errs)))
    assert 1.0 < rms < 4.0 and max(errs) < 9.0


def test_video_frames_duration_and_creation_time():
    import av

    with av.open(str(SAMPLE / "drive1.mp4")) as c:
        s = c.streams.video[0]
        assert c.metadata["creation_time"] == "2026-11-16T09:14:22.000000Z"
        assert s.codec_context.name == "h264" and (s.width, s.height) == (960, 540)
        assert s.frames == N_FRAMES and s.average_rate == 30
        assert float(s.duration * s.time_base) == pytest.approx(N_FRAMES / 30, abs=0.05)
    assert (SAMPLE / "drive1_frames.csv").read_text().count("\n") == N_FRAMES + 1


def test_committed_outputs_stay_small():
    total = sum(
        p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert total < 15 * 1024 * 1024


def test_network_ids_classes_and_shared_junctions():
    doc = json.loads((SAMPLE / "network.geojson").read_text())
    feats = doc["features"]
    ids = [f["properties"]["id"] for f in feats]
    assert len(ids) == len(set(ids)) == 18
    for f in feats:
        p = f["properties"]
        assert f["geometry"]["type"] == "LineString"
        assert set(p) >= {"id", "name", "highway", "ref", "oneway"} and p["oneway"] in ("yes", "no")
    by = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in feats}
    assert {f["properties"]["ref"] for f in feats} == {"B2004", "C123", ""}
    # junctions share the exact same vertex
    assert by["r09"][0] == by["r06"][0] == by["r05"][-1]  # Gordon Rd / Barnsole Rd
    assert by["r02"][-1] == by["r03"][0] == by["r06"][-1] == by["r07"][0]  # crossroads
    assert by["r12"][-1] == by["r10"][-1] == by["r11"][0]
    ends = [tuple(c[0]) for c in by.values()] + [tuple(c[-1]) for c in by.values()]
    vertices = [tuple(v) for c in by.values() for v in c]
    dead_ends = [e for e in ends if vertices.count(e) == 1]
    assert len(dead_ends) == 7  # roads leaving the area, the hospital access and Oxford Close
    hosp = by["r15"][-1]  # Windmill Road ends at the hospital (lon 0.5442, lat 51.3840)
    assert abs(hosp[0] - 0.5442) < 0.0005 and abs(hosp[1] - 51.3840) < 0.0005


def test_ground_truth_lies_on_its_roads():
    net = json.loads((SAMPLE / "network.geojson").read_text())
    from shapely.geometry import LineString, Point

    roads = {}
    for f in net["features"]:
        c = np.array(f["geometry"]["coordinates"])
        x, y = xy_from_lonlat(c[:, 0], c[:, 1], BNG)
        roads[f["properties"]["id"]] = LineString(np.column_stack([x, y]))
    gt = json.loads((SAMPLE / "ground_truth.geojson").read_text())["features"]
    classes = [f["properties"]["class"] for f in gt]
    assert {c: classes.count(c) for c in set(classes)} == {
        "pothole": 9,
        "crack": 4,
        "faded_marking": 4,
        "skip": 2,
    }
    for f in gt:
        p = f["properties"]
        x, y = xy_from_lonlat(*f["geometry"]["coordinates"], BNG)
        d = roads[p["source_id"]].distance(Point(float(x), float(y)))
        assert d < 3.7, p  # within the carriageway of its own road
        nearest = min(roads, key=lambda r: roads[r].distance(Point(float(x), float(y))))
        assert nearest == p["source_id"]
        if p["class"] == "pothole":
            assert 0.15 <= p["width_m"] <= 1.2
        if p["class"] == "faded_marking":
            assert 0.5 <= p["wear"] <= 1.0
    assert (
        sorted(f["properties"]["width_m"] for f in gt if f["properties"]["class"] == "pothole")[0]
        < 0.3
    )


def test_training_frames_are_yolo_labels_inside_the_image(tmp_path: Path):
    from sample_footage.training import write_training_frames

    summary = write_training_frames(tmp_path, 3, seed=5)
    imgs = sorted((tmp_path / "images").glob("*.jpg"))
    labels = sorted((tmp_path / "labels").glob("*.txt"))
    assert (
        [p.stem for p in imgs]
        == [p.stem for p in labels]
        == [f"synth_s5_{i:05d}" for i in range(3)]
    )
    n = 0
    for lab in labels:
        for line in lab.read_text().splitlines():
            parts = line.split()
            assert len(parts) == 5 and parts[0] in "0123"
            cx, cy, w, h = map(float, parts[1:])
            assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 <= 1 + 1e-6
            assert 0 <= cy - h / 2 + 1e-6 and cy + h / 2 <= 1 + 1e-6
            assert max(w * 960, h * 540) >= 8 - 1e-3
            n += 1
    assert n == sum(summary["boxes"].values()) > 0
    assert (tmp_path / "classes.txt").read_text().split() == [
        "pothole",
        "crack",
        "faded_marking",
        "skip",
    ]


def test_drive2_fourteen_days_later_with_repairs():
    import av

    with av.open(str(SAMPLE / "drive2.mp4")) as c:
        s = c.streams.video[0]
        assert c.metadata["creation_time"] == "2026-11-30T10:02:41.000000Z"
        assert s.frames == 1730  # 57.67 s over the first 250 m of the route
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = ET.parse(SAMPLE / "drive2.gpx").getroot().findall(".//g:trkpt", ns)
    assert len(pts) == 61  # no gap in drive2
    assert pts[0].find("g:time", ns).text == "2026-11-30T10:02:39Z"
    gt = {
        f["properties"]["id"]: f["properties"]
        for f in json.loads((SAMPLE / "ground_truth.geojson").read_text())["features"]
    }
    assert sorted(k for k, p in gt.items() if p["repaired_in"] == "drive2") == ["P01", "P02", "P04"]
    assert gt["P03"]["drives_present"] == "drive1,drive2" and gt["P03"]["repaired_in"] == ""
    assert gt["S01"]["removed_in"] == "drive2"
    assert gt["P05"]["drives_present"] == "drive1"  # beyond drive2's end


def test_frame_boxes_cover_every_object_and_lie_inside_the_frames():
    import csv

    gt = {
        f["properties"]["id"]: f["properties"]
        for f in json.loads((SAMPLE / "ground_truth.geojson").read_text())["features"]
    }
    for drive, n_frames in (("drive1", N_FRAMES), ("drive2", 1730)):
        rows = list(csv.DictReader((SAMPLE / f"{drive}_boxes.csv").open()))
        seen = {r["object_id"] for r in rows}
        present = {k for k, p in gt.items() if drive in p["drives_present"].split(",")}
        assert seen == present, (drive, seen ^ present)
        for r in rows:
            x1, y1, x2, y2 = (float(r[k]) for k in ("x1", "y1", "x2", "y2"))
            assert 0 <= x1 < x2 <= 960 and 0 <= y1 < y2 <= 540
            assert 0 <= int(r["frame"]) < n_frames
            assert gt[r["object_id"]]["class"] == r["class"]
    assert len(list(csv.DictReader((SAMPLE / "drive1_boxes.csv").open()))) == 1967


def test_drive2_boxes_are_remade_identically(tmp_path: Path):
    from sample_footage.make_sample import drive_specs, write_boxes

    p = write_boxes(tmp_path, "drive2", drive_specs()["drive2"])
    assert p.read_bytes() == (SAMPLE / "drive2_boxes.csv").read_bytes()
