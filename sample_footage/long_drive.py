"""Long synthetic drives for benchmarks: laps of the sample network with collection stops.

    python sample_footage/long_drive.py --minutes 3 --resolution 1280x720 --bitrate 8M \\
        --keyframe-s 1 --out ~/.cache/roadcam/drives [--repeat 4]

A lap is the sample route (Gordon Road → Barnsole Road → Canterbury Street →
Livingstone Road) closed by Gordon Road back to its start, so the same potholes,
cracks, worn lines and skips are passed on every lap. Each lap has its own GPS
noise and its own collection stops (a refuse truck stopping at bins, 8–25 s each),
and starts and ends standing still, as at a depot or a tip. The video is encoded
like a dashcam's: H.264 at a chosen bitrate (capped, as a dashcam's constant-rate
encoder) with a fixed keyframe interval and no B-frames, plus a little sensor grain
so that the encoder spends its bits as it does on real footage.

Written OUTSIDE the repository (default ``~/.cache/roadcam/drives``): a video, its GPX
and BlackVue ``.gps`` side-cars, a ``camera.yaml`` for its resolution, and
``<name>.json`` describing it. An existing drive with the same parameters is reused.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

log = logging.getLogger("sample_footage.long_drive")

LAP_ROUTE_EXTRA = [("r10", False)]  # Gordon Road G2 → G1 closes the sample route into a loop
LONG_DRIVE_START = datetime(2026, 11, 17, 7, 0, 0, tzinfo=UTC)
DEFAULT_CACHE = Path.home() / ".cache" / "roadcam" / "drives"
FPS = 30


def parse_resolution(text: str) -> tuple[int, int]:
    """``"1280x720"`` → (1280, 720)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"resolution must be WIDTHxHEIGHT, not {text!r}") from None
    if w < 64 or h < 64 or w % 2 or h % 2:
        raise ValueError("resolution must be even and at least 64x64")
    return w, h


def parse_bitrate(text: str) -> int:
    """``"8M"``, ``"8000k"`` or ``"8000000"`` → bits per second."""
    s = text.strip().lower().removesuffix("bit/s").removesuffix("b")
    scale = {"k": 1e3, "m": 1e6}.get(s[-1:], 1.0)
    value = float(s[:-1] if s[-1:] in "km" else s) * scale
    if value <= 0:
        raise ValueError("bitrate must be > 0")
    return int(value)


def drive_name(minutes: float, width: int, height: int, bitrate: int, keyframe_s: float, seed: int) -> str:  # fmt: skip
    return f"long_{minutes:g}min_{width}x{height}_{bitrate // 1000}k_kf{keyframe_s:g}s_s{seed}"


def lap_stops(rng: np.random.Generator, lap_length_m: float, n_stops: int) -> list[tuple[float, float]]:  # fmt: skip
    """Collection stops on one lap: (chainage m, dwell s), at least 40 m apart and from the ends."""
    if n_stops <= 0:
        return []
    edges = np.linspace(40.0, lap_length_m - 40.0, n_stops + 1)
    at = [float(rng.uniform(a + 10.0, b - 10.0)) for a, b in zip(edges[:-1], edges[1:], strict=True)]  # fmt: skip
    return [(s, float(rng.uniform(8.0, 25.0))) for s in at]


def plan_laps(minutes: float, *, seed: int, stops_per_lap: int):
    """Lap drives (:class:`sample_footage.route.Drive`) one after another until ``minutes`` are covered."""
    from sample_footage.route import DRIVE_ROUTE, make_drive, metric_roads, route_line

    lap_route = DRIVE_ROUTE + LAP_ROUTE_EXTRA
    lap_length = route_line(metric_roads(), lap_route)[0].length
    rng = np.random.default_rng(seed)
    laps, start, total = [], LONG_DRIVE_START, 0.0
    while total < minutes * 60.0:
        stops = lap_stops(rng, lap_length, stops_per_lap)
        lap = make_drive(start, stops=stops, seed=seed + len(laps), route=lap_route)
        laps.append((lap, stops))
        dur = lap.n_frames / FPS
        total += dur
        start = start + timedelta(seconds=lap.n_frames / FPS)
    return laps


def join_laps(laps, n_frames: int):
    """One :class:`Drive` from consecutive laps, cut to ``n_frames`` frames; GPS without overlaps."""
    from sample_footage.route import Drive

    parts: dict[str, list] = {k: [] for k in ("x", "y", "h", "v", "c")}
    gps: dict[str, list] = {k: [] for k in ("t", "lon", "lat", "v", "course", "hdop", "sats")}
    for k, (lap, _stops) in enumerate(laps):
        # chainage stays along the lap (lighting and scene are placed by it)
        for key, arr in zip("xyhvc", (lap.x, lap.y, lap.heading_deg, lap.speed_mps, lap.chainage_m), strict=True):  # fmt: skip
            parts[key].append(arr)
        t0 = np.datetime64(lap.start.astimezone(UTC).replace(tzinfo=None), "ns")
        rel = (lap.gps_time - t0).astype("int64") / 1e9
        keep = np.ones(len(rel), bool)
        if k > 0:
            keep &= rel >= 0  # the previous lap's trailing fixes cover these seconds
        if k < len(laps) - 1:
            keep &= rel < lap.n_frames / FPS
        for key, arr in zip(gps, (lap.gps_time, lap.gps_lon, lap.gps_lat, lap.gps_speed_mps, lap.gps_course_deg, lap.gps_hdop, lap.gps_sats), strict=True):  # fmt: skip
            gps[key].append(arr[keep])
    cat = {k: np.concatenate(v)[:n_frames] for k, v in parts.items()}
    g = {k: np.concatenate(v) for k, v in gps.items()}
    end = np.datetime64(laps[0][0].start.astimezone(UTC).replace(tzinfo=None), "ns") + np.timedelta64(int((n_frames / FPS + 2) * 1e9), "ns")  # fmt: skip
    gk = g["t"] <= end
    first = laps[0][0]
    return Drive(
        first.start, FPS, cat["x"], cat["y"], cat["h"], cat["v"], cat["c"], first.path, first.route,
        g["t"][gk], g["lon"][gk], g["lat"][gk], g["v"][gk], g["course"][gk], g["hdop"][gk], g["sats"][gk],
    )  # fmt: skip


def write_camera_yaml(out: Path, width: int, height: int) -> Path:
    """A ``camera.yaml`` beside the video: the sample's camera at this resolution."""
    import yaml

    from sample_footage.make_sample import drive_camera

    cam = drive_camera()
    doc = {
        "default": {
            "mount_height_m": cam.mount_height_m, "pitch_deg": cam.pitch_deg,
            "roll_deg": cam.roll_deg, "hfov_deg": cam.hfov_deg,
            "image_width": width, "image_height": height,
            "lateral_offset_m": cam.lateral_offset_m, "forward_offset_m": cam.forward_offset_m,
        },
        "vehicles": {"RCV-01": {}},
    }  # fmt: skip
    p = out / "camera.yaml"
    p.write_text("# long synthetic drive (sample_footage/long_drive.py)\n" + yaml.safe_dump(doc))
    return p


def make_long_drive(
    out: Path = DEFAULT_CACHE,
    *,
    minutes: float = 3.0,
    width: int = 1280,
    height: int = 720,
    bitrate: int = 8_000_000,
    keyframe_s: float = 1.0,
    seed: int = 5,
    stops_per_lap: int = 6,
    grain: int = 3,
    reuse: bool = True,
) -> dict:
    """Render (or reuse) a long drive into ``out``; returns its description (also ``<name>.json``)."""
    out = Path(out).expanduser()
    name = drive_name(minutes, width, height, bitrate, keyframe_s, seed)
    folder = out / name
    meta_path = folder / f"{name}.json"
    if reuse and meta_path.is_file():
        return json.loads(meta_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    laps = plan_laps(minutes, seed=seed, stops_per_lap=stops_per_lap)
    n = min(int(round(minutes * 60.0 * FPS)), sum(lap.n_frames for lap, _ in laps))
    drive = join_laps(laps, n)
    from sample_footage.route import write_blackvue_nmea, write_gpx

    write_gpx(drive, folder / f"{name}.gpx", name=name)
    write_blackvue_nmea(drive, folder / f"{name}.gps")
    write_camera_yaml(folder, width, height)
    t0 = time.perf_counter()
    video = folder / f"{name}.mp4"
    _render_video(video, drive, width, height, bitrate, keyframe_s, seed, grain)
    moving = drive.speed_mps > 0.3
    distance = float(np.abs(np.diff(drive.chainage_m)).clip(max=1.0).sum())
    lap_length = float(laps[0][0].chainage_m[-1])
    meta = {
        "name": name, "video": video.name, "gpx": f"{name}.gpx", "frames": n,
        "duration_s": round(n / FPS, 2), "fps": FPS, "width": width, "height": height,
        "bitrate_bps": bitrate, "keyframe_s": keyframe_s, "bframes": 0, "seed": seed,
        "laps": round(distance / lap_length, 2),
        "collection_stops": sum(len(s) for _, s in laps), "stationary_fraction": round(1 - float(moving.mean()), 3),
        "distance_m": round(distance, 1),
        "file_mbit_per_s": round(video.stat().st_size * 8 / (n / FPS) / 1e6, 2),
        "seconds_to_render": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def _render_video(video: Path, drive, width: int, height: int, bitrate: int, keyframe_s: float,
                  seed: int, grain: int) -> None:  # fmt: skip
    import av
    import cv2

    from sample_footage.layout import drive_scene, lighting_at
    from sample_footage.make_sample import SHAKE_MARGIN_PX, _wobble, drive_camera
    from sample_footage.render import Pose, Renderer

    cam = replace(drive_camera(), image_width=width, image_height=height)
    margin = int(math.ceil(SHAKE_MARGIN_PX * height / 540))
    tall = replace(cam, image_height=height + 2 * margin)
    n = drive.n_frames
    yaw, dv = _wobble(drive, n, seed)
    dv = np.round(dv * height / 540).astype(int)
    moving = drive.speed_mps > 0.05
    renderer = Renderer(drive_scene()[0])
    rng = np.random.default_rng(seed + 7)
    bank = [rng.integers(-grain, grain + 1, (height, width, 1), dtype=np.int16) for _ in range(7)] if grain else []  # fmt: skip
    gop = max(1, int(round(keyframe_s * FPS)))
    with av.open(str(video), "w", format="mp4") as container:
        container.metadata["creation_time"] = drive.start.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        stream = container.add_stream("libx264", rate=FPS)
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.gop_size = gop
        stream.options = {
            "preset": "veryfast", "bf": "0", "g": str(gop), "keyint_min": str(gop),
            "sc_threshold": "0", "maxrate": str(bitrate), "bufsize": str(2 * bitrate),
        }  # fmt: skip
        last_key, last_img = None, None
        for i in range(n):
            heading = float(drive.heading_deg[i] + (yaw[i] if moving[i] else 0.0)) % 360.0
            pose = Pose(float(drive.x[i]), float(drive.y[i]), heading)
            light, _k = lighting_at(float(drive.chainage_m[i]))
            key = (round(pose.x, 3), round(pose.y, 3), round(pose.heading_deg, 2), light)
            if key != last_key:
                last_img, _occ = renderer.render(tall, pose, light)
                last_key = key
            r0 = margin + int(dv[i] if moving[i] else 0)
            img = last_img[r0 : r0 + height]
            if bank:
                img = np.clip(img.astype(np.int16) + bank[i % len(bank)], 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420), format="yuv420p")  # fmt: skip
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
            if i % 900 == 0:
                log.info("%s: frame %d/%d", video.name, i, n)
        for packet in stream.encode():
            container.mux(packet)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--resolution", default="1280x720", help="WIDTHxHEIGHT, e.g. 1920x1080")
    ap.add_argument("--bitrate", default="8M", help="e.g. 8M or 8000k")
    ap.add_argument("--keyframe-s", type=float, default=1.0, help="keyframe interval, seconds")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--stops-per-lap", type=int, default=6)
    ap.add_argument("--out", type=Path, default=DEFAULT_CACHE, help="output folder (outside the repo)")  # fmt: skip
    ap.add_argument("--force", action="store_true", help="render again even if it exists")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="then repeat the drive N times in one file (stream copy, sample_footage/laps.py)")  # fmt: skip
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        width, height = parse_resolution(args.resolution)
        bitrate = parse_bitrate(args.bitrate)
    except ValueError as err:
        print(f"long_drive.py: {err}", file=sys.stderr)
        return 2
    meta = make_long_drive(
        args.out, minutes=args.minutes, width=width, height=height, bitrate=bitrate,
        keyframe_s=args.keyframe_s, seed=args.seed, stops_per_lap=args.stops_per_lap,
        reuse=not args.force,
    )  # fmt: skip
    if args.repeat > 1:
        from sample_footage.laps import repeat_drive

        meta = repeat_drive(Path(args.out).expanduser() / meta["name"], meta, args.repeat)
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
