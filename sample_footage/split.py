"""Cut a drive into files as a dashcam does: stream copy at keyframes, a GPX slice per file.

    python sample_footage/split.py sample_footage/drive1.mp4 sample_footage/drive1.gpx \\
        --every-s 40 --out /tmp/drive1_parts

No pixel changes: the packets are copied (no re-encoding), so each piece decodes to
exactly the frames of the whole file. Each piece's ``creation_time`` is the original's
plus the piece's start, and its GPX side-car holds the fixes of its own time span
(plus ``margin_s`` either side, as a dashcam logs a little before and after).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))


def split_video(src: Path, out: Path, every_s: float) -> list[tuple[Path, float, float]]:
    """Pieces of about ``every_s`` seconds, cut at the first keyframe past each multiple.

    Returns ``(path, start_s, end_s)`` per piece (times in the original's seconds).
    """
    import av

    from geo.ingest.video import parse_creation_time

    out.mkdir(parents=True, exist_ok=True)
    pieces: list[tuple[Path, float, float]] = []
    with av.open(str(src)) as inp:
        ins = inp.streams.video[0]
        tb = ins.time_base
        created = parse_creation_time(inp.metadata.get("creation_time"))
        start_pts = ins.start_time or 0
        container, outs, base, t_first, t_last = None, None, 0, 0.0, 0.0
        for packet in inp.demux(ins):
            if packet.dts is None:
                continue
            t = float((packet.pts - start_pts) * tb)
            if packet.is_keyframe and (container is None or t >= len(pieces) * every_s):
                if container is not None:
                    container.close()
                    pieces[-1] = (pieces[-1][0], t_first, t_last)
                path = out / f"{src.stem}_part{len(pieces) + 1:02d}{src.suffix}"
                container = av.open(str(path), "w", format="mp4")
                if created is not None:
                    when = created + timedelta(seconds=t)
                    container.metadata["creation_time"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                outs = container.add_stream_from_template(ins)
                base, t_first = packet.pts, t
                pieces.append((path, t, t))
            packet.pts -= base
            packet.dts -= base
            packet.stream = outs
            container.mux(packet)
            t_last = max(t_last, t)
        if container is not None:
            container.close()
            pieces[-1] = (pieces[-1][0], t_first, t_last)
    return pieces


_TRKPT = re.compile(r"\s*<trkpt .*?<time>([^<]+)</time>.*?</trkpt>\s*")


def slice_gpx(gpx: Path, out: Path, t0: datetime, t1: datetime) -> Path:
    """A copy of a one-point-per-line GPX with only the points from ``t0`` to ``t1``."""
    lines = gpx.read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        m = _TRKPT.fullmatch(line)
        if m:
            when = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            if not t0 <= when <= t1:
                continue
        kept.append(line)
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out


def split_drive(video: Path, gpx: Path, out: Path, every_s: float, margin_s: float = 1.0) -> list[Path]:  # fmt: skip
    """Pieces of ``video`` in ``out``, each with its GPX slice; returns the piece videos."""
    from geo.ingest.video import probe_video

    created = probe_video(video).creation_time or datetime(1970, 1, 1, tzinfo=UTC)
    paths = []
    for path, a, b in split_video(video, out, every_s):
        t0 = created + timedelta(seconds=a - margin_s)
        t1 = created + timedelta(seconds=b + margin_s)
        slice_gpx(gpx, path.with_suffix(".gpx"), t0, t1)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("gpx", type=Path)
    ap.add_argument("--every-s", type=float, default=60.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    for p in split_drive(args.video, args.gpx, args.out, args.every_s):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
