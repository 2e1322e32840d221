"""``roadcam fixmystreet import FILE_OR_URL`` and ``roadcam fixmystreet triage``: citizen reports
(Open311 GeoReport v2) placed on the network, linked to the camera's defects, and a triage list
for the contact centre saying whether the fleet's camera saw each reported problem."""

from __future__ import annotations

import argparse
from typing import Any

#: FixMyStreet prompts for nearby duplicate reports within 50 m (domain.md, C); the same
#: distance links a citizen's report to a camera defect by default.
LINK_WITHIN_M = 50.0
PASSED_WITHIN_M = 15.0  # I: a frame this close to the report means the camera passed it
MAX_SEGMENT_M = 30.0  # I: a report further than this from every road is not on the network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fixmystreet", help="citizen reports (Open311 GeoReport v2): import, triage")
    ss = p.add_subparsers(dest="fixmystreet_command", metavar="ACTION")
    ss.required = True
    imp = ss.add_parser("import", help="import requests.json (a file or an http(s) URL)")
    imp.add_argument("source", metavar="FILE_OR_URL")
    imp.add_argument("--link-within-m", type=float, default=LINK_WITHIN_M)
    imp.add_argument("--max-segment-m", type=float, default=MAX_SEGMENT_M)
    imp.add_argument("--passed-within-m", type=float, default=PASSED_WITHIN_M)
    imp.add_argument("--database", default=None)
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=run_import)
    tri = ss.add_parser("triage", help="the triage list again (after the next fleet pass)")
    tri.add_argument("--link-within-m", type=float, default=LINK_WITHIN_M)
    tri.add_argument("--passed-within-m", type=float, default=PASSED_WITHIN_M)
    tri.add_argument("--database", default=None)
    tri.add_argument("--json", action="store_true")
    tri.set_defaults(func=run_triage)


def place_on_segments(session, reports, max_distance_m: float) -> list[dict[str, Any]]:
    """Reports as store rows with the nearest stored segment (within ``max_distance_m``) and
    the chainage along it, measured in the network's metric CRS."""
    import dataclasses

    import geopandas as gpd
    from shapely.geometry import Point

    from geo.crs import metric_crs_for_lonlat
    from store.segments import segments_to_geodataframe

    rows = [dataclasses.asdict(r) for r in reports]
    segs = segments_to_geodataframe(session)
    for row in rows:
        row.update(segment_id=None, chainage_m=None, distance_to_segment_m=None)
    if not rows or segs.empty:
        return rows
    crs = metric_crs_for_lonlat(rows[0]["lon"], rows[0]["lat"])
    pts = gpd.GeoDataFrame(
        {"i": range(len(rows))},
        geometry=[Point(r["lon"], r["lat"]) for r in rows],
        crs="EPSG:4326",
    ).to_crs(crs)
    lines = segs[["segment_id", "geometry"]].to_crs(crs)
    near = gpd.sjoin_nearest(pts, lines, max_distance=max_distance_m, distance_col="d_m")
    near = near.sort_values(["i", "d_m", "segment_id"]).drop_duplicates("i")
    geom_of = dict(zip(lines["segment_id"], lines.geometry, strict=True))
    for rec in near.itertuples():
        line = geom_of[rec.segment_id]
        rows[rec.i].update(
            segment_id=rec.segment_id,
            chainage_m=round(float(line.project(rec.geometry)), 1),
            distance_to_segment_m=round(float(rec.d_m), 1),
        )
    return rows


def _print_triage(rows: list[dict[str, Any]]) -> None:
    labels = {
        "seen": "SEEN by the camera since the report",
        "passed_not_seen": "PASSED, NOT SEEN: send an inspector",
        "known_before": "known to the camera before the report; no pass since",
        "awaiting_pass": "awaiting the next fleet pass",
    }
    for r in rows:
        where = r["segment_id"] or "off the network"
        defect = (
            f"defect {r['defect_id']} ({r['defect_class']}, {r['defect_distance_m']} m)"
            if r["defect_id"] is not None
            else "no camera defect near"
        )
        print(
            f"{r['service_request_id']} {r['requested_at']:%Y-%m-%d} {r['service_name'] or '-'} "
            f"[{r['report_status']}] on {where}: {defect}; {labels[r['verdict']]}"
        )


def _triage(session, args) -> list[dict[str, Any]]:
    from store.citizen_reports import link_reports_to_defects, triage_reports

    link_reports_to_defects(session, args.link_within_m)
    return triage_reports(session, passed_within_m=args.passed_within_m)


def run_import(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from pipeline.open311 import read_georeport
    from roadcam.errors import EXIT_PARTIAL
    from store.citizen_reports import save_citizen_reports
    from store.migrate import database_session

    reports, errors = read_georeport(args.source)
    with database_session(args.database) as session:
        saved = save_citizen_reports(
            session, place_on_segments(session, reports, args.max_segment_m)
        )
        rows = _triage(session, args)
    if args.json:
        print_json({"imported": saved, "errors": errors, "triage": rows})
    else:
        print(
            f"{saved['inserted']} new and {saved['updated']} updated citizen reports, "
            f"{len(errors)} unusable"
        )
        for e in errors:
            print(f"  skipped: {e['message']}")
        _print_triage(rows)
    return EXIT_PARTIAL if errors else 0


def run_triage(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.migrate import database_session

    with database_session(args.database) as session:
        rows = _triage(session, args)
    if args.json:
        print_json({"triage": rows})
    else:
        _print_triage(rows)
    return 0
