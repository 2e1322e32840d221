"""``roadcam track PATH [--json]``: read any GPS source and summarise the track."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "track",
        help="read a GPS track (GPX, NMEA/BlackVue, GoPro MP4/GPMF, CAMM MP4, CSV, JPEG folder) and summarise it",
    )
    p.add_argument(
        "path", type=Path, help="GPS file, GoPro video, video with a side-car, or folder of JPEGs"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--max-speed-kmh", type=float, default=200.0, help="drop fixes implying more (default 200)"
    )
    p.set_defaults(func=_track)


def summarise_track(path: Path, max_speed_kmh: float = 200.0) -> dict[str, Any]:
    """The summary ``roadcam track`` prints (also handy for run reports)."""
    import numpy as np

    from geo.ingest.gps import detect_format, find_sidecar, read_track
    from geo.ingest.track_clean import COUNT_REASONS, track_length_m

    fmt = detect_format(path)
    track = read_track(path, max_speed_kmh=max_speed_kmh)
    valid = track.valid
    speed = track.speed_mps[valid]
    out: dict[str, Any] = {
        "path": str(path),
        "format": fmt,
        "points": len(track),
        "valid_fixes": int(valid.sum()),
        "start": track.start.isoformat() if track.start else None,
        "end": track.end.isoformat() if track.end else None,
        "duration_s": round((track.end - track.start).total_seconds(), 3) if len(track) else 0.0,
        "length_km": round(track_length_m(track) / 1000.0, 4),
        "dropped_outliers": track.dropped_outliers,
        "merged_duplicates": track.merged_duplicates,
        "cleaning": {k: {"count": n, "why": COUNT_REASONS.get(k, "")}
                     for k, n in track.ingest_counts.items()},
        "max_speed_kmh": round(float(np.nanmax(speed)) * 3.6, 1) if np.isfinite(speed).any() else None,
        "bbox": [round(float(v), 7) for v in (track.lon[valid].min(), track.lat[valid].min(),
                                              track.lon[valid].max(), track.lat[valid].max())],
    }  # fmt: skip
    if fmt == "sidecar":
        out["sidecar"] = str(find_sidecar(path))
    return out


def _track(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json

    s = summarise_track(args.path, args.max_speed_kmh)
    if args.json:
        print_json(s)
        return 0
    print(f"{s['path']} ({s['format']})")
    print(f"  {s['points']} points, {s['valid_fixes']} valid fixes, {s['length_km']:.3f} km")
    print(f"  {s['start']} to {s['end']} ({s['duration_s']:.0f} s)")
    print(
        f"  dropped {s['dropped_outliers']} jumps > {args.max_speed_kmh:.0f} km/h, merged {s['merged_duplicates']} duplicate times"
    )
    for name, c in s["cleaning"].items():
        print(f"  {name}: {c['count']} ({c['why']})")
    return 0
