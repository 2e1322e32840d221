"""A longer drive from a rendered one without rendering again: the same drive N times, one file.

    python sample_footage/long_drive.py --minutes 3 --resolution 1280x720 --bitrate 8M \\
        --keyframe-s 1 --repeat 4          # a 12-minute drive from the cached 3-minute one

Rendering costs about 15 CPU-minutes per video minute at 1280x720; a benchmark that only
needs a longer file (start-up spread over more video, honest wall figures) repeats the
rendered drive as laps instead. The video packets are copied, not re-encoded (each lap
decodes to exactly the frames of the original), their times shifted by a lap per lap;
the GPX fixes are shifted the same way. The original drive ends where the next lap does
not start, so the fixes within ``GAP_S`` of each join are left out: a GPS gap longer
than the pipeline's ``max_gap_s`` (3 s), in which no frame is sampled, instead of a
jump across the map in one second. Written next to the original, outside the repository.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

GAP_S = 2.0  # fixes left out either side of a join: a 4 s gap (> the 3 s max_gap_s)

_TRKPT = re.compile(r"(\s*<trkpt .*?<time>)([^<]+)(</time>.*?</trkpt>\s*)")


def repeat_video(src: Path, dst: Path, repeats: int) -> float:
    """``src`` ``repeats`` times in one file by stream copy; returns one lap's length in seconds."""
    import av

    with av.open(str(src)) as probe:
        ins = probe.streams.video[0]
        lap_pts = max(p.pts + (p.duration or 0) for p in probe.demux(ins) if p.pts is not None)
        lap_pts -= ins.start_time or 0
        lap_s, created = float(lap_pts * ins.time_base), probe.metadata.get("creation_time")
    with av.open(str(dst), "w", format="mp4") as out:
        if created:
            out.metadata["creation_time"] = created
        outs = None
        for k in range(repeats):
            with av.open(str(src)) as inp:
                ins = inp.streams.video[0]
                if outs is None:
                    outs = out.add_stream_from_template(ins)
                start = ins.start_time or 0
                for packet in inp.demux(ins):
                    if packet.dts is None:
                        continue
                    packet.pts += k * lap_pts - start
                    packet.dts += k * lap_pts - start
                    packet.stream = outs
                    out.mux(packet)
    return lap_s


def repeat_gpx(src: Path, dst: Path, start: datetime, lap_s: float, repeats: int) -> int:
    """The GPX of ``repeats`` laps (one-point-per-line GPX); returns the number of fixes."""
    lines = src.read_text(encoding="utf-8").splitlines()
    at = [i for i, ln in enumerate(lines) if _TRKPT.fullmatch(ln)]
    head, tail = lines[: at[0]], lines[at[-1] + 1 :]
    points = []
    for k in range(repeats):
        for line in lines:
            m = _TRKPT.fullmatch(line)
            if not m:
                continue
            when = datetime.fromisoformat(m.group(2).replace("Z", "+00:00"))
            r = (when - start).total_seconds()
            if (k > 0 and r < GAP_S) or (k < repeats - 1 and r > lap_s - GAP_S):
                continue
            shifted = (when + timedelta(seconds=k * lap_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            points.append(f"{m.group(1)}{shifted}{m.group(3)}")
    dst.write_text("\n".join(head + points + tail) + "\n", encoding="utf-8")
    return len(points)


def repeat_drive(folder: Path, meta: dict, repeats: int) -> dict:
    """The drive of ``meta`` (in ``folder``) repeated ``repeats`` times, in a sibling folder
    ``<name>_x<repeats>`` (reused when there); returns its description."""
    from geo.ingest.video import probe_video

    name = f"{meta['name']}_x{repeats}"
    out = Path(folder).parent / name
    meta_path = out / f"{name}.json"
    if meta_path.is_file():
        return json.loads(meta_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    src = Path(folder) / meta["video"]
    video = out / f"{name}.mp4"
    lap_s = repeat_video(src, video, repeats)
    start = probe_video(src).creation_time
    fixes = repeat_gpx(Path(folder) / meta["gpx"], out / f"{name}.gpx", start, lap_s, repeats)
    shutil.copyfile(Path(folder) / "camera.yaml", out / "camera.yaml")
    new = dict(meta, name=name, video=video.name, gpx=f"{name}.gpx")
    new.update(
        frames=meta["frames"] * repeats,
        duration_s=round(probe_video(video).duration_s, 2),
        laps=round(meta["laps"] * repeats, 2),
        collection_stops=meta["collection_stops"] * repeats,
        distance_m=round(meta["distance_m"] * repeats, 1),
        repeat_of=meta["name"],
        repeats=repeats,
        gps_fixes=fixes,
        gps_gap_at_joins_s=2 * GAP_S,
        seconds_to_render=0.0,
    )
    meta_path.write_text(json.dumps(new, indent=1) + "\n")
    return new
