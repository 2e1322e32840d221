"""``roadcam match NETWORK TRACK -o matched.csv [--path matched_path.geojson]``."""

from __future__ import annotations

import argparse
import logging
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``match`` command."""
    p = subparsers.add_parser("match", help="map-match a GPS track to a road network (HMM)")
    p.add_argument(
        "network", metavar="NETWORK", help="road network (.osm/.pbf/.geojson/.gpkg/.shp)"
    )
    p.add_argument("track", metavar="TRACK", help="GPS track (any format read_track supports)")
    p.add_argument(
        "-o", "--output", required=True, metavar="CSV", help="matched.csv, one row per fix"
    )
    p.add_argument(
        "--path",
        metavar="GEOJSON",
        default=None,
        help="write the matched route (LineStrings, EPSG:4326)",
    )
    p.add_argument(
        "--crs", default=None, help="metric CRS for the network (default: BNG in GB, else UTM)"
    )
    p.add_argument(
        "--max-distance-m", type=float, default=None, help="candidate search radius (default 50)"
    )
    p.add_argument(
        "--sigma-m", type=float, default=None, help="GPS noise sigma (default: estimated)"
    )
    p.add_argument("--beta-m", type=float, default=None, help="transition scale (default 10)")
    p.add_argument(
        "--max-gap-s", type=float, default=None, help="break the match after a gap (default 60)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_match)


def cmd_match(args: argparse.Namespace) -> int:
    """Load network and track, match, write the CSV (and route GeoJSON), print a summary."""
    from geo.ingest.gps import read_track
    from geo.network.match_io import write_matched_csv, write_matched_geojson
    from geo.network.matching import match_track
    from geo.network.roads import load_network

    net = load_network(args.network, crs=args.crs)
    track = read_track(args.track)
    params = {
        k: v
        for k, v in {
            "max_distance_m": args.max_distance_m,
            "sigma_m": args.sigma_m,
            "beta_m": args.beta_m,
            "max_gap_s": args.max_gap_s,
        }.items()
        if v is not None
    }
    res = match_track(net, track, **params)
    unmatched = write_matched_csv(args.output, res, track.lon, track.lat, track.time)
    n_lines = write_matched_geojson(args.path, net, res) if args.path else 0
    summary = {
        "fixes": res.n_fixes,
        "matched": res.n_matched,
        "unmatched": unmatched,
        "breaks": res.n_breaks,
        "segments_in_path": len(res.path_segment_ids()),
        "path_km": round(sum(abs(t.end_m - t.start_m) for t in res.path) / 1000.0, 3),
        "sigma_m": round(res.sigma_m, 2),
        "output": args.output,
        "path": args.path,
        "route_lines": n_lines,
    }
    if args.json:
        from pipeline.cli import print_json

        print_json(summary)
    else:
        print(
            f"{summary['matched']}/{summary['fixes']} fixes matched ({unmatched} unmatched, "
            f"{summary['breaks']} breaks), route {summary['path_km']:.3f} km over "
            f"{summary['segments_in_path']} segments -> {args.output}"
        )
    return 0
