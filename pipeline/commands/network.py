"""``roadcam network load PATH``: read a road network into the road_segment table."""

from __future__ import annotations

import argparse
import logging
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``network`` command group."""
    net = subparsers.add_parser("network", help="road network: load into the database")
    sub = net.add_subparsers(dest="network_command", metavar="ACTION")
    sub.required = True
    p = sub.add_parser(
        "load",
        help="load OSM (.osm/.osm.pbf/.pbf) or GeoJSON/GeoPackage/Shapefile lines into road_segment",
    )
    p.add_argument("path", metavar="PATH", help="road network file")
    p.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL (default: ROADCAM_DATABASE_URL, else var/roadcam.sqlite)",
    )
    p.add_argument(
        "--crs",
        default=None,
        help="metric CRS to work in (default: EPSG:27700 in Great Britain, else local UTM)",
    )
    p.add_argument(
        "--source-crs",
        default=None,
        help="CRS of a lines file that has none (e.g. a shapefile without .prj)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_load)


def cmd_load(args: argparse.Namespace) -> int:
    """Load the network, migrate a fresh database, upsert the segments, print a summary."""
    from geo.network.roads import load_network
    from store.engine import display_url, make_engine, session_scope
    from store.migrate import current_revision, head_revision, upgrade
    from store.segments import upsert_segments

    net = load_network(args.path, crs=args.crs, source_crs=args.source_crs)
    engine = make_engine(args.database)
    try:
        from sqlalchemy import exc as sa_exc

        from roadcam.errors import DatabaseError
        from store.engine import translate_error

        try:
            current = current_revision(engine)
        except sa_exc.DBAPIError as err:
            raise translate_error(err, engine) or DatabaseError(
                f"{display_url(engine)}: {err}"
            ) from None
        if current != head_revision():
            upgrade(engine=engine)
        with session_scope(engine) as session:
            counts = upsert_segments(session, net.segments)
        where = display_url(engine)
    finally:
        engine.dispose()
    summary = {"path": str(args.path), **net.summary(), **counts, "database": where}
    if args.json:
        from pipeline.cli import print_json

        print_json(summary)
    else:
        print(
            f"{summary['segments']} segments, {summary['total_km']:.3f} km ({summary['crs']}): "
            f"{counts['inserted']} inserted, {counts['updated']} updated in {where}"
        )
        for cls, v in summary["by_road_class"].items():
            print(f"  {cls:<14} {v['count']:>6} segments {v['km']:>10.3f} km")
    return 0
