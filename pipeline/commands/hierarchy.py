"""``roadcam hierarchy``: network hierarchy review and engineers' overrides.

* ``roadcam hierarchy review --network NET [--sites S.geojson] [--traffic AADT.csv]
  [--bus-routes R] [--winter-routes R] [--policy P.yaml] [--database URL] --out DIR``
* ``roadcam hierarchy override SEGMENT_ID CATEGORY --reason TEXT [--author NAME] --out DIR``
  (or ``--database URL``): recorded, and kept by every later review.

Heavy imports happen inside the command functions.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``hierarchy`` command group."""
    p = subparsers.add_parser(
        "hierarchy", help="network hierarchy review and inspection frequencies"
    )
    sub = p.add_subparsers(dest="hierarchy_command", metavar="ACTION")
    sub.required = True

    _add_review_parser(sub)
    _add_override_parser(sub)


def _add_review_parser(sub: argparse._SubParsersAction) -> None:
    """``hierarchy review``: the network, the evidence files, the policy and the database."""
    r = sub.add_parser(
        "review", help="recommend categories and inspection frequencies from evidence"
    )
    r.add_argument(
        "--network",
        help="road network: .osm/.osm.pbf, GeoJSON, GeoPackage or Shapefile lines (default with --database: the stored segments)",
    )
    r.add_argument(
        "--out", required=True, help="output folder (segments.csv, segments.gpkg, summary.md/.html)"
    )
    r.add_argument("--sites", help="key sites: GeoJSON points with kind and name")
    r.add_argument("--traffic", help="traffic counts: CSV with columns source_id,aadt")
    r.add_argument(
        "--bus-routes", dest="bus_routes", help="bus routes: lines file, or CSV with source_id"
    )
    r.add_argument(
        "--winter-routes",
        dest="winter_routes",
        help="winter-service routes: lines file, or CSV with source_id",
    )
    r.add_argument(
        "--defects",
        help="camera defects from a file (CSV or GeoJSON: segment_id, class, first_seen, ...)",
    )
    r.add_argument(
        "--passes", help="camera passes per segment: CSV segment_id,passes[,first_pass,last_pass]"
    )
    r.add_argument("--policy", help="policy YAML (default: hierarchy/policies/default.yaml)")
    r.add_argument("--overrides", help="overrides CSV (default: OUT/overrides.csv)")
    r.add_argument("--costs", help="money rates YAML (default: hierarchy/policies/costs.yaml)")
    r.add_argument(
        "--database",
        help="also read defects/overrides from this database and write recommendations back "
        "(default: the settings database when it already holds the network's segments)",
    )
    r.add_argument(
        "--no-database",
        dest="no_database",
        action="store_true",
        help="files only, never touch a database",
    )
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.set_defaults(func=cmd_review)


def _add_override_parser(sub: argparse._SubParsersAction) -> None:
    """``hierarchy override``: one engineer's category, into a review folder or a database."""
    o = sub.add_parser(
        "override", help="record an engineer's category for a segment, kept by later reviews"
    )
    o.add_argument("segment_id")
    o.add_argument("category", help="2, 3a, 3b, 4a, 4b, minor or lane")
    o.add_argument("--reason", required=True)
    o.add_argument("--author", default="")
    o.add_argument("--policy", help="policy YAML (for the category codes)")
    where = o.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="review folder: appends to OUT/overrides.csv")
    where.add_argument("--database", help="record it in this database's hierarchy_override table")
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_override)


def _review_inputs(args: argparse.Namespace, policy, out: Path) -> dict:
    """The review's file inputs (sites, traffic, routes, overrides, passes, defects)."""
    from hierarchy.inputs import (
        read_defects,
        read_overrides,
        read_passes,
        read_route_lines,
        read_sites,
        read_traffic,
    )

    if args.overrides and not Path(args.overrides).exists():
        from roadcam.errors import InputNotFoundError

        raise InputNotFoundError("overrides file not found", path=args.overrides)
    return {
        "sites": read_sites(args.sites, policy) if args.sites else None,
        "traffic": read_traffic(args.traffic) if args.traffic else None,
        "bus_routes": read_route_lines(args.bus_routes) if args.bus_routes else None,
        "winter_routes": read_route_lines(args.winter_routes) if args.winter_routes else None,
        "overrides": read_overrides(args.overrides or out / "overrides.csv"),
        "passes": read_passes(args.passes) if args.passes else None,
        "defects": read_defects(args.defects) if args.defects else None,
    }


def _add_stored_inputs(engine, inputs: dict, segments):
    """Add the stored defects (tagged ``_source=store``) and overrides; segments if none given."""
    import pandas as pd

    from store.engine import session_scope
    from store.hierarchy import defects_for_review, overrides_from_store, segments_for_review

    with session_scope(engine, readonly=True) as session:
        if segments is None:
            segments = segments_for_review(session)
        db_defects = defects_for_review(session).assign(_source="store")
        db_over = overrides_from_store(session)
    if len(db_over):
        inputs["overrides"] = pd.concat([inputs["overrides"], db_over], ignore_index=True)
    if len(db_defects):
        file_defects = inputs["defects"]
        inputs["defects"] = (
            db_defects
            if file_defects is None
            else pd.concat([file_defects, db_defects], ignore_index=True)
        )
    return segments


def _print_review_summary(summary: dict, out: Path) -> None:
    print(
        f"{summary['segments']} segments ({summary['network_km']:.2f} km): {summary['raised']} raised, "
        f"{summary['lowered']} lowered, {summary['overridden']} overridden; inspection-km/year "
        f"{summary['inspection_km_per_year_before']:.1f} -> {summary['inspection_km_per_year_after']:.1f} "
        f"({summary['inspection_km_per_year_change']:+.1f}), £/year "
        f"{summary['inspection_gbp_per_year_before']:,.0f} -> "
        f"{summary['inspection_gbp_per_year_after']:,.0f}; written to {out}"
    )


def cmd_review(args: argparse.Namespace) -> int:
    """Run the review from files (and the database when --database is given)."""
    from geo.network.roads import load_network
    from hierarchy.costs import load_costs
    from hierarchy.policy import load_policy
    from hierarchy.report import write_review_outputs
    from hierarchy.review import review_hierarchy
    from hierarchy.risk import score_defect_risk

    policy = load_policy(args.policy)
    costs = load_costs(args.costs)
    if not args.network and not args.database:
        from roadcam.errors import UsageError

        raise UsageError("give --network NET (or --database URL to review the stored segments)")
    out = Path(args.out)
    inputs = _review_inputs(args, policy, out)
    segments = graph = None
    if args.network:
        net = load_network(args.network)
        segments, graph = net.segments, net.graph
    engine = None if args.no_database else _review_engine(args.database, segments)
    if engine is not None:
        segments = _add_stored_inputs(engine, inputs, segments)
    result = review_hierarchy(segments, graph, policy, **inputs)
    defects = inputs["defects"]
    scored = (
        score_defect_risk(defects, result, policy) if defects is not None and len(defects) else None
    )
    summary = write_review_outputs(result, out, policy, defects=scored, costs=costs)
    if engine is not None:
        from store.engine import session_scope
        from store.hierarchy import save_defect_risk, save_recommendations

        with session_scope(engine) as session:
            summary["segments_written"] = save_recommendations(session, result)
            if scored is not None and "_source" in scored:
                summary["defects_rescored"] = save_defect_risk(
                    session, scored[scored["_source"] == "store"]
                )
        engine.dispose()
    if args.json:
        from pipeline.cli import print_json

        print_json({k: v for k, v in summary.items() if k != "sites"})
    else:
        _print_review_summary(summary, out)
    return 0


def _review_engine(url: str | None, segments):
    """The engine to use: ``url``, else the settings database when it holds these segments."""
    from store.engine import make_engine

    if url:
        return make_engine(url)
    from roadcam.errors import DatabaseError
    from roadcam.settings import get_settings

    default = get_settings().database_url
    if default.startswith("sqlite:///") and not Path(default[len("sqlite:///") :]).exists():
        return None
    try:
        from sqlalchemy import func, select

        from store.engine import session_scope
        from store.models import RoadSegment

        engine = make_engine(default)
        ids = [str(s) for s in segments["segment_id"][:500]]
        with session_scope(engine, readonly=True) as session:
            found = session.scalar(
                select(func.count()).select_from(RoadSegment).where(RoadSegment.id.in_(ids))
            )
    except (DatabaseError, ImportError) as err:
        log.debug("settings database not used: %s", err)
        return None
    if not found:
        return None
    log.info(
        "using the settings database (it holds %d of these segments); --no-database to skip it",
        found,
    )
    return engine


def cmd_override(args: argparse.Namespace) -> int:
    """Record an override in OUT/overrides.csv or in the database."""
    from hierarchy.policy import load_policy

    policy = load_policy(args.policy)
    if args.out:
        from hierarchy.inputs import append_override

        row = append_override(
            Path(args.out) / "overrides.csv",
            args.segment_id,
            args.category,
            args.reason,
            args.author,
            policy,
        )
    else:
        from hierarchy.evidence import normalise_category
        from roadcam.errors import ConfigError
        from store.audit import record_event
        from store.engine import make_engine, session_scope
        from store.hierarchy import add_override, segment_hierarchy

        code = normalise_category(args.category, policy)
        if code is None:
            raise ConfigError(
                f"unknown category {args.category!r} (known: {', '.join(policy.codes)})"
            )
        with session_scope(make_engine(args.database)) as session:
            before = segment_hierarchy(session, args.segment_id).get("current_category")
            row = add_override(session, args.segment_id, code, args.reason, args.author)
            actor = args.author or "cli"
            record_event(
                session, "segment", args.segment_id, "override", actor, before, code, args.reason
            )
    if args.json:
        from pipeline.cli import print_json

        print_json(row)
    else:
        print(f"override recorded: {row['segment_id']} -> {row['category']} ({row['reason']})")
    return 0
