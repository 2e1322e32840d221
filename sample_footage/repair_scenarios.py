"""Seeded repair scenarios: two short drives over the sample network, some potholes patched between.

    python sample_footage/repair_scenarios.py --seeds 1-10 --out /tmp/roadcam_repairs

Each seed gives a folder ``seed_<n>/`` with ``drive1`` (the survey that finds the potholes)
and ``drive2`` (a later survey after a contractor patched some of them), each an MP4 with
GPX side-car and ``camera.yaml``, the road network, and ``scenario.json``: every pothole's
id, place (lon/lat of its centre), size, and whether it was patched, with the patch's look,
the light of each drive and the truck's lane offset. What the seed draws:

* 4-5 potholes in the first 240 m of the sample route (Gordon Road, Barnsole Road), 0.25-1.1 m
  across, 0.3-2.4 m left or right of the centreline, some holding water, plus 0-2 cracks;
* which are patched (each with probability 0.55; at least one patched and one open);
* each patch's look: 1.2-2.0x the hole, tone 0.45-0.95 of the asphalt (fresh and dark to
  weathered), seam from dark overbanding to none, turned up to 8 degrees;
* the light of each drive (sunny to overcast, gain 0.75-1.15) and the truck's lane offset
  (1.0-2.2 m left of the centreline) and GPS noise.

Drives are rendered at 5 frames per second (the pipeline samples one frame every 5 m), no
collection stops, so one seed takes ~20 s of CPU. The shipped sample is not touched.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

END_M = 240.0
FPS = 5
START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)


def parse_seeds(text: str) -> list[int]:
    """``"1-10"``, ``"3,5,7"`` or ``"100-104,200"`` as a sorted list of seeds."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
            if hi < lo:
                raise ValueError(f"bad seed range {part!r}")
            out.update(range(lo, hi + 1))
        else:
            out.add(int(part))
    if not out:
        raise ValueError("no seeds")
    return sorted(out)


def scenario_spec(seed: int) -> dict:
    """What a seed draws (plain JSON values): potholes, patches, light, lane offsets."""
    rng = np.random.default_rng([seed, 13])
    n = int(rng.integers(4, 6))
    chain: list[float] = []
    while len(chain) < n:
        s = float(rng.uniform(25.0, END_M - 15.0))
        if all(abs(s - c) >= 28.0 for c in chain):
            chain.append(s)
    potholes = []
    for k, s in enumerate(sorted(chain)):
        w = float(rng.uniform(0.25, 1.1))
        potholes.append(
            {
                "id": f"R{k + 1:02d}",
                "chainage_m": round(s, 1),
                "lateral_m": round(float(rng.uniform(-2.4, 2.0)), 2),
                "width_m": round(w, 2),
                "length_m": round(w * float(rng.uniform(0.9, 1.4)), 2),
                "water": bool(rng.random() < 0.2),
                "patched": bool(rng.random() < 0.55),
                "patch": {
                    "scale": round(float(rng.uniform(1.2, 2.0)), 2),
                    "tone": round(float(rng.uniform(0.45, 0.95)), 2),
                    "seam": round(float(rng.uniform(25.0, 80.0)), 1),
                    "seam_m": round(float(rng.choice([0.0, 0.03, 0.05, 0.08])), 2),
                    "turn_deg": round(float(rng.uniform(-8.0, 8.0)), 1),
                },
            }
        )
    if all(p["patched"] for p in potholes):
        potholes[int(rng.integers(n))]["patched"] = False
    if not any(p["patched"] for p in potholes):
        potholes[int(rng.integers(n))]["patched"] = True
    cracks = [
        {
            "chainage_m": round(float(rng.uniform(20.0, END_M - 10)), 1),
            "lateral_m": round(float(rng.uniform(-2.0, 1.5)), 2),
            "length_m": round(float(rng.uniform(1.2, 2.6)), 2),
            "angle_deg": round(float(rng.uniform(-60, 60)), 1),
        }
        for _ in range(int(rng.integers(0, 3)))
    ]
    drives = {
        name: {
            "overcast": round(float(rng.uniform(0.0, 1.0)), 2),
            "gain": round(float(rng.uniform(0.75, 1.15)), 2),
            "lane_offset_m": round(float(rng.uniform(1.0, 2.2)), 2),
            "gps_seed": int(rng.integers(1 << 20)),
        }
        for name in ("drive1", "drive2")
    }
    return {"seed": seed, "end_m": END_M, "potholes": potholes, "cracks": cracks, "drives": drives}


def build_scene(spec: dict, drive: str):
    """The scene of one drive (drive2 has the patches), and each pothole's centre (x, y) in EPSG:27700."""
    from sample_footage.layout import place
    from sample_footage.route import DRIVE_ROUTE, metric_roads, route_line
    from sample_footage.scene import Crack, Pothole, Road, Scene, crack_polylines

    roads = metric_roads()
    route, _legs = route_line(roads, DRIVE_ROUTE)
    rng = np.random.default_rng([spec["seed"], 29])
    scene_roads = [
        Road(
            rid,
            line,
            props["highway"],
            centre_line=props["highway"] != "service",
            edge_lines=props["highway"] in ("secondary", "tertiary"),
        )
        for rid, (line, props) in roads.items()
    ]
    potholes, patches, styles, centres = [], [], [], {}
    for p in spec["potholes"]:
        x, y, h = place(route, p["chainage_m"], p["lateral_m"])
        centres[p["id"]] = (x, y)
        ph_seed = int(rng.integers(1 << 30))
        if drive == "drive2" and p["patched"]:
            st = p["patch"]
            patches.append(
                _rectangle(
                    x,
                    y,
                    h + st["turn_deg"],
                    p["width_m"] * st["scale"],
                    p["length_m"] * st["scale"],
                )
            )
            styles.append((st["tone"], st["seam"], st["seam_m"]))
            continue
        potholes.append(
            Pothole(p["id"], x, y, p["width_m"], p["length_m"], 90.0 - h, ph_seed, water=p["water"])
        )
    cracks = []
    for k, c in enumerate(spec["cracks"]):
        x, y, h = place(route, c["chainage_m"], c["lateral_m"])
        cracks.append(Crack(f"K{k}", crack_polylines(rng, x, y, h + c["angle_deg"], c["length_m"])))
    scene = Scene(scene_roads, potholes, cracks, [], seed=11 + spec["seed"])
    scene.patches = [s for s in patches if s is not None]
    scene.patch_styles = styles
    return scene, centres


def _rectangle(x: float, y: float, h: float, w: float, ln: float) -> np.ndarray:
    r = math.radians(h)
    f = np.array([math.sin(r), math.cos(r)])
    rt = np.array([math.cos(r), -math.sin(r)])
    c = np.array([x, y])
    return np.array(
        [c + a * ln / 2 * f + b * w / 2 * rt for a, b in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
    )


def render_scenario(seed: int, out: Path) -> Path:
    """Write seed ``seed``'s scenario into ``out/seed_<seed>/`` (skipped when already complete)."""
    folder = Path(out) / f"seed_{seed}"
    done = folder / "scenario.json"
    if done.is_file():
        return folder
    spec = scenario_spec(seed)
    for k, name in enumerate(("drive1", "drive2")):
        sub = folder / name
        sub.mkdir(parents=True, exist_ok=True)
        (sub / "camera.yaml").write_text((HERE / "camera.yaml").read_text(), encoding="utf-8")
        start = START + timedelta(days=14 * k, seconds=seed * 60)
        spec["drives"][name]["start"] = start.isoformat()
        _render_drive(spec, name, sub, start)
    from geo.crs import BNG, lonlat_from_xy

    _scene, centres = build_scene(spec, "drive1")
    for p in spec["potholes"]:
        lon, lat = lonlat_from_xy(*centres[p["id"]], BNG)
        p["lon"], p["lat"] = round(float(lon), 7), round(float(lat), 7)
    from sample_footage.make_sample import write_network

    write_network(folder)
    done.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return folder


def _render_drive(spec: dict, name: str, sub: Path, start: datetime) -> None:
    import av
    import cv2

    from sample_footage.layout import mix_lighting
    from sample_footage.make_sample import SHAKE_MARGIN_PX, _wobble, drive_camera
    from sample_footage.render import OVERCAST, SUNNY, Pose, Renderer
    from sample_footage.route import make_drive, write_gpx

    d = spec["drives"][name]
    scene, _c = build_scene(spec, name)
    cam = drive_camera()
    tall = replace(cam, image_height=cam.image_height + 2 * SHAKE_MARGIN_PX)
    drive = make_drive(
        start,
        stops=[],
        fps=FPS,
        seed=d["gps_seed"],
        end_m=spec["end_m"],
        lane_offset_m=d["lane_offset_m"],
    )
    light = mix_lighting(SUNNY, OVERCAST, d["overcast"])
    light = replace(light, gain=d["gain"])
    write_gpx(drive, sub / f"{name}.gpx", name=name)
    yaw, dv = _wobble(drive, drive.n_frames, d["gps_seed"])
    renderer = Renderer(scene)
    container = av.open(str(sub / f"{name}.mp4"), "w", format="mp4")
    container.metadata["creation_time"] = start.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    stream = container.add_stream("libx264", rate=FPS)
    stream.codec_context.time_base = Fraction(1, FPS)
    stream.width, stream.height, stream.pix_fmt = cam.image_width, cam.image_height, "yuv420p"
    stream.options = {"crf": "28", "preset": "veryfast"}
    for i in range(drive.n_frames):
        pose = Pose(
            float(drive.x[i]), float(drive.y[i]), float((drive.heading_deg[i] + yaw[i]) % 360.0)
        )
        img, _occ = renderer.render(tall, pose, light)
        r0 = SHAKE_MARGIN_PX + int(dv[i])
        yuv = cv2.cvtColor(img[r0 : r0 + cam.image_height], cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = i
        frame.time_base = Fraction(1, FPS)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-10", help="seeds: 1-10, 3,5,7 or 100-130")
    ap.add_argument("--out", type=Path, required=True, help="output folder (outside the repo)")
    args = ap.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as err:
        print(f"repair_scenarios.py: --seeds: {err}", file=sys.stderr)
        return 2
    for seed in seeds:
        print(render_scenario(seed, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
