"""Make the synthetic sample footage, or random training frames with YOLO labels.

    python sample_footage/make_sample.py                  # remake the committed outputs
    python sample_footage/make_sample.py --out DIR        # ... somewhere else
    python sample_footage/make_sample.py --training-frames DIR --count N --seed S

Everything here is synthetic and made by this project's own code (see README.md).
Deterministic: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from geo.placement.camera import CameraModel, load_camera_config  # noqa: E402

log = logging.getLogger("sample_footage")

DRIVE1_START = datetime(2026, 11, 16, 9, 14, 22, tzinfo=UTC)
DRIVE2_START = datetime(2026, 11, 30, 10, 2, 41, tzinfo=UTC)  # 14 days later
SHAKE_MARGIN_PX = 6
FPS = 30


def drive_camera() -> CameraModel:
    """The refuse truck's camera, from sample_footage/camera.yaml."""
    return load_camera_config(HERE / "camera.yaml", "RCV-01")


def write_network(out: Path) -> Path:
    from sample_footage.route import network_features

    p = out / "network.geojson"
    doc = {
        "type": "FeatureCollection",
        "name": "gillingham_sample_network",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": network_features(),
    }
    p.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return p


def shake_px(n: int, speed: np.ndarray, seed: int) -> np.ndarray:
    """Integer vertical image shake per frame: idle vibration plus speed-dependent bumps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS
    idle = 0.7 * np.sin(2 * np.pi * 11.0 * t + 0.3)
    bumps = np.convolve(rng.normal(0, 1, n + 8), np.ones(8) / 8 * 2.2, mode="same")[4 : n + 4]
    dv = idle + bumps * np.clip(speed / 8.0, 0, 1.2)
    return np.clip(np.round(dv), -SHAKE_MARGIN_PX, SHAKE_MARGIN_PX).astype(int)


def render_drive(
    out: Path,
    name: str,
    start: datetime,
    *,
    repaired: frozenset[str] = frozenset(),
    removed: frozenset[str] = frozenset(),
    stops=None,
    gap_s: tuple[float, float] | None = None,
    end_m: float | None = None,
    max_seconds: float | None = None,
    seed: int = 1,
    crf: int = 30,
) -> dict:
    """Render one drive: ``<name>.mp4``, ``<name>.gpx``, ``<name>.gps`` and ``<name>_frames.csv``.

    Defaults are drive1's: its stops and GPS gap, over the whole route.
    """
    from geo.crs import BNG, lonlat_from_xy
    from sample_footage.layout import GPS_GAP_S, STOPS, drive_scene
    from sample_footage.render import Renderer
    from sample_footage.route import make_drive, write_blackvue_nmea, write_gpx

    cam = drive_camera()
    scene, _route, _meta = drive_scene(repaired=repaired, removed=removed)
    drive = make_drive(
        start,
        stops=STOPS if stops is None else stops,
        gap_s=GPS_GAP_S if gap_s is None else gap_s,
        seed=seed,
        end_m=end_m,
    )
    n = drive.n_frames if max_seconds is None else min(drive.n_frames, int(max_seconds * FPS))
    write_gpx(drive, out / f"{name}.gpx", name=name)
    write_blackvue_nmea(drive, out / f"{name}.gps")
    yaw, dv = _wobble(drive, n, seed)
    renderer = Renderer(scene)
    container, stream = _open_video(out / f"{name}.mp4", start, cam, crf)
    rows = ["frame,video_time_s,lon,lat,heading_deg,speed_mps,chainage_m,shake_px"]
    lons, lats = lonlat_from_xy(drive.x[:n], drive.y[:n], BNG)
    t0 = time.perf_counter()
    for i, img in _drive_frames(drive, n, yaw, dv, renderer, cam):
        _encode_frame(container, stream, img, i)
        rows.append(
            f"{i},{i / FPS:.4f},{lons[i]:.7f},{lats[i]:.7f},{drive.heading_deg[i]:.2f},"
            f"{drive.speed_mps[i]:.2f},{drive.chainage_m[i]:.2f},{int(dv[i])}"
        )
        if i % 300 == 0:
            log.info("%s: frame %d/%d (%.1f s)", name, i, n, time.perf_counter() - t0)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    (out / f"{name}_frames.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {
        "frames": n,
        "duration_s": n / FPS,
        "seconds_to_render": round(time.perf_counter() - t0, 1),
    }


def _open_video(path: Path, start: datetime, cam: CameraModel, crf: int):
    """An H.264 mp4 container for the drive's frames and its video stream."""
    import av

    container = av.open(str(path), "w", format="mp4")
    container.metadata["creation_time"] = start.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    container.metadata["comment"] = (
        "roadcam synthetic sample footage (sample_footage/make_sample.py)"
    )
    stream = container.add_stream("libx264", rate=FPS)
    stream.codec_context.time_base = Fraction(1, FPS)
    stream.width, stream.height, stream.pix_fmt = cam.image_width, cam.image_height, "yuv420p"
    stream.codec_context.gop_size = 60
    stream.options = {"crf": str(crf), "preset": "veryfast", "tune": "film"}
    return container, stream


def _drive_frames(drive, n: int, yaw: np.ndarray, dv: np.ndarray, renderer, cam: CameraModel):
    """(frame index, BGR image) of the first ``n`` frames, one at a time: each rendered on a
    frame ``SHAKE_MARGIN_PX`` taller each side and cut at its shake; a pose that has not moved
    since the last frame reuses that render."""
    from sample_footage.layout import lighting_at
    from sample_footage.render import Pose

    tall = replace(cam, image_height=cam.image_height + 2 * SHAKE_MARGIN_PX)
    last_key, last_img = None, None
    for i in range(n):
        pose = Pose(
            float(drive.x[i]), float(drive.y[i]), float((drive.heading_deg[i] + yaw[i]) % 360.0)
        )
        light, _k = lighting_at(float(drive.chainage_m[i]))
        key = (round(pose.x, 3), round(pose.y, 3), round(pose.heading_deg, 2), light)
        if key != last_key:
            last_img, _occ = renderer.render(tall, pose, light)
            last_key = key
        r0 = SHAKE_MARGIN_PX + int(dv[i])
        yield i, last_img[r0 : r0 + cam.image_height]


def _encode_frame(container, stream, img: np.ndarray, i: int) -> None:
    """Encode frame ``i`` and mux its packets."""
    import av
    import cv2

    # YUV 4:2:0 (BT.601, limited range) by OpenCV: PyAV's own bgr24 conversion gave
    # different pixels from run to run here. The encoded bytes still vary slightly between
    # runs (libx264 through PyAV); the rendered frames themselves are deterministic.
    yuv = cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420)  # kept referenced until encoded
    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    frame.pts = i
    frame.time_base = Fraction(1, FPS)
    for packet in stream.encode(frame):
        container.mux(packet)


def _wobble(drive, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame yaw wander (degrees) and vertical shake (whole pixels) of the camera."""
    rng = np.random.default_rng(seed + 100)
    yaw = np.convolve(rng.normal(0, 0.25, n + 10), np.ones(10) / 10 * 1.5, mode="same")[5 : n + 5]
    return yaw, shake_px(n, drive.speed_mps[:n], seed)


def write_boxes(out: Path, name: str, spec: dict) -> Path:
    """``<name>_boxes.csv``: the true label box of every visible object in every frame.

    Same geometry, shake and occlusion as the video (``label_boxes``), in pixels of the
    960x540 frames: oracle detections for testing the later stages and for evaluating a
    detector on the sample.
    """
    from sample_footage.layout import drive_scene
    from sample_footage.render import CLASS_IDS, Pose, draw_boxes, label_boxes, object_footprints

    names = {v: k for k, v in CLASS_IDS.items()}
    cam = drive_camera()
    tall = replace(cam, image_height=cam.image_height + 2 * SHAKE_MARGIN_PX)
    scene, _route, meta = drive_scene(repaired=spec["repaired"], removed=spec["removed"])
    faded = {
        f"{r.source_id}:{k}": next(
            w
            for w, m in meta.items()
            if m["class"] == "faded_marking" and m["road"] == r.source_id and m["range"] == (a, b)
        )
        for r in scene.roads
        for k, (a, b, _w, _l) in enumerate(r.wear_sections)
    }
    drive = drive_of_spec(spec)
    n = drive.n_frames
    yaw, dv = _wobble(drive, n, spec["seed"])
    feet = object_footprints(scene)
    rows = ["frame,class_id,class,object_id,x1,y1,x2,y2"]
    canvas = np.zeros((tall.image_height, tall.image_width, 3), np.uint8)
    for i in range(n):
        pose = Pose(
            float(drive.x[i]), float(drive.y[i]), float((drive.heading_deg[i] + yaw[i]) % 360.0)
        )
        occl = np.zeros(canvas.shape[:2], np.uint8)
        draw_boxes(canvas, occl, scene.boxes, tall, pose)
        r0 = SHAKE_MARGIN_PX + int(dv[i])
        for cid, oid, (x1, y1, x2, y2) in label_boxes(scene, tall, pose, occl, footprints=feet):
            y1, y2 = max(y1 - r0, 0.0), min(y2 - r0, float(cam.image_height))
            if y2 - y1 < 3 or max(x2 - x1, y2 - y1) < 8:
                continue
            rid = faded[oid] if cid == 2 else oid  # worn paint: the ground-truth id of the section
            rows.append(f"{i},{cid},{names[cid]},{rid},{x1:.1f},{y1:.1f},{x2:.1f},{y2:.1f}")
    p = out / f"{name}_boxes.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p


def write_ground_truth(out: Path, drives: dict[str, dict]) -> Path:
    """ground_truth.geojson: every rendered defect with class, lon/lat, size, wear and road id.

    ``drives`` maps a drive name to ``{"end_m", "repaired", "removed"}``; an object up to 30 m
    beyond a drive's end is still seen from it (labels reach 35 m ahead). Each object gets
    the drives that saw it (``drives_present``), saw it repaired (``repaired_in``) or saw
    it gone (``removed_in``, skips).
    """
    from shapely.geometry import Point

    from geo.crs import BNG, lonlat_from_xy
    from sample_footage.layout import drive_scene, segment_of
    from sample_footage.render import object_footprints
    from sample_footage.route import metric_roads

    roads = metric_roads()
    scene, route, meta = drive_scene()
    feats = []
    for cls, oid, pts in object_footprints(scene):
        if cls == "faded_marking":
            props, cx, cy = _faded_marking_props(scene, roads, meta, oid, pts)
        else:
            props, cx, cy = _object_props(meta[oid], cls, oid, pts)
        rid, dist = segment_of(roads, cx, cy)
        props["source_id"] = rid
        props["offset_from_centreline_m"] = round(dist, 2)
        s_route = route.project(Point(cx, cy))
        props["route_chainage_m"] = round(s_route, 1)
        props.update(_drives_seeing(props["id"], s_route, drives))
        lon, lat_ = lonlat_from_xy(cx, cy, BNG)
        feats.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(lon), 7), round(float(lat_), 7)],
                },
            }
        )
    feats.sort(key=lambda f: f["properties"]["id"])
    p = out / "ground_truth.geojson"
    p.write_text(
        json.dumps(
            {"type": "FeatureCollection", "name": "sample_ground_truth", "features": feats},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return p


def _faded_marking_props(scene, roads, meta, oid: str, pts: np.ndarray):
    """Properties of one worn-paint section and its centre (x, y) between its two ends."""
    from shapely.geometry import Point

    from geo.crs import BNG, lonlat_from_xy

    rng_ = _section_range(scene, oid)
    wid = next(
        k
        for k, m in meta.items()
        if m["class"] == "faded_marking" and oid.startswith(m["road"] + ":") and m["range"] == rng_
    )
    m = meta[wid]
    # the worn paint (dashes or a solid line) between its two ends along the road;
    # a box sees only part of a long section, so the ends are given too
    road = roads[m["road"]][0]
    s_along = np.array([road.project(Point(x, y)) for x, y in pts[:, :2]])
    k0, k1 = int(np.argmin(s_along)), int(np.argmax(s_along))
    cx, cy = (pts[k0, 0] + pts[k1, 0]) / 2, (pts[k0, 1] + pts[k1, 1]) / 2
    props = {
        "id": wid,
        "class": "faded_marking",
        "width_m": 0.10,
        "length_m": round(float(math.hypot(pts[k1, 0] - pts[k0, 0], pts[k1, 1] - pts[k0, 1])), 2),
        "wear": m["wear"],
        "line": m["line"],
        "section_chainage_m": [round(rng_[0], 2), round(rng_[1], 2)],
    }
    for key, k in (("start_lonlat", k0), ("end_lonlat", k1)):
        elon, elat = lonlat_from_xy(pts[k, 0], pts[k, 1], BNG)
        props[key] = [round(float(elon), 7), round(float(elat), 7)]
    return props, cx, cy


def _object_props(m: dict, cls: str, oid: str, pts: np.ndarray):
    """Properties of a pothole, crack or skip and its centre (x, y): a skip its placed size,
    the others the extent of their footprint along and across the road."""
    cx, cy, h = m["x"], m["y"], m["heading"]
    r = math.radians(h)
    f = (pts[:, 0] - cx) * math.sin(r) + (pts[:, 1] - cy) * math.cos(r)
    lat = (pts[:, 0] - cx) * math.cos(r) - (pts[:, 1] - cy) * math.sin(r)
    if cls == "skip":
        props = {
            "id": oid,
            "class": cls,
            "width_m": m["width_m"],
            "length_m": m["length_m"],
        }
    else:
        props = {
            "id": oid,
            "class": cls,
            "width_m": round(float(np.ptp(lat)), 2),
            "length_m": round(float(np.ptp(f)), 2),
        }
        cx, cy = (
            (pts[:, 0].min() + pts[:, 0].max()) / 2,
            (pts[:, 1].min() + pts[:, 1].max()) / 2,
        )
    props["wear"] = None
    return props, cx, cy


def _drives_seeing(oid: str, s_route: float, drives: dict[str, dict]) -> dict[str, str]:
    """``drives_present``, ``repaired_in`` and ``removed_in`` of the object at route chainage
    ``s_route``: the drives that reach within 30 m of it, split by what they saw."""
    seen = [
        d
        for d, spec in drives.items()
        if spec.get("end_m") is None or s_route < spec["end_m"] + 30.0
    ]
    return {
        "drives_present": ",".join(
            d
            for d in seen
            if oid not in drives[d].get("repaired", ()) and oid not in drives[d].get("removed", ())
        ),
        "repaired_in": ",".join(d for d in seen if oid in drives[d].get("repaired", ())),
        "removed_in": ",".join(d for d in seen if oid in drives[d].get("removed", ())),
    }


def _section_range(scene, key: str) -> tuple[float, float]:
    rid, idx = key.rsplit(":", 1)
    road = next(r for r in scene.roads if r.source_id == rid)
    a, b, _w, _l = road.wear_sections[int(idx)]
    return (a, b)


def drive_of_spec(spec: dict, *, seed: int | None = None, gps_noise_m: float | None = None):
    """The simulated drive of a ``drive_specs()`` entry; ``seed`` / ``gps_noise_m`` draw its GPS
    error differently (the frames, stops and route do not depend on them)."""
    from sample_footage.layout import GPS_GAP_S, STOPS
    from sample_footage.route import make_drive

    stops, gap_s = spec.get("stops"), spec.get("gap_s")
    extra = {} if gps_noise_m is None else {"gps_noise_m": gps_noise_m}
    return make_drive(
        spec["start"],
        stops=STOPS if stops is None else stops,
        gap_s=GPS_GAP_S if gap_s is None else gap_s,
        seed=spec["seed"] if seed is None else seed,
        end_m=spec["end_m"],
        **extra,
    )


def drive_specs() -> dict[str, dict]:
    """The committed drives: drive1 (whole route) and drive2 (14 days later, first 250 m)."""
    from sample_footage.layout import DRIVE2_END_M, DRIVE2_REMOVED, DRIVE2_REPAIRED, DRIVE2_STOPS

    return {
        "drive1": {
            "start": DRIVE1_START,
            "end_m": None,
            "repaired": frozenset(),
            "removed": frozenset(),
            "seed": 1,
            "crf": 30,
        },
        "drive2": {
            "start": DRIVE2_START,
            "end_m": DRIVE2_END_M,
            "repaired": DRIVE2_REPAIRED,
            "removed": DRIVE2_REMOVED,
            "stops": DRIVE2_STOPS,
            "gap_s": (0.0, 0.0),
            "seed": 2,
            "crf": 32,
        },
    }


def make_all(out: Path, *, max_seconds: float | None = None, only: str | None = None) -> dict:
    """Write every committed output into ``out`` (``only``: just that drive's files)."""
    out.mkdir(parents=True, exist_ok=True)
    write_network(out)
    specs = drive_specs()
    summary = {}
    for name, spec in specs.items():
        if only and name != only:
            continue
        summary[name] = render_drive(
            out,
            name,
            spec["start"],
            repaired=spec["repaired"],
            removed=spec["removed"],
            stops=spec.get("stops"),
            gap_s=spec.get("gap_s"),
            end_m=spec["end_m"],
            max_seconds=max_seconds,
            seed=spec["seed"],
            crf=spec["crf"],
        )
        write_boxes(out, name, spec)
    write_ground_truth(out, specs)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: sample_footage/)"
    )
    ap.add_argument(
        "--max-seconds", type=float, default=None, help="render only the first seconds (tests)"
    )
    ap.add_argument(
        "--only",
        choices=["drive1", "drive2"],
        help="render only this drive (and the network/ground truth)",
    )
    ap.add_argument(
        "--training-frames",
        type=Path,
        metavar="DIR",
        help="write random training frames and YOLO labels to DIR/images and DIR/labels",
    )
    ap.add_argument("--count", type=int, default=200, help="number of training frames")
    ap.add_argument("--seed", type=int, default=0, help="seed of the training frames")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.training_frames is not None:
        from sample_footage.training import write_training_frames

        if args.count < 1:
            print("make_sample.py: --count must be >= 1", file=sys.stderr)
            return 2
        summary = write_training_frames(args.training_frames, args.count, args.seed)
    else:
        summary = make_all(args.out, max_seconds=args.max_seconds, only=args.only)
    print(json.dumps(summary, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
