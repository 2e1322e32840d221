"""``roadcam export --since DATE DIR`` (the data platform's nightly folder) and
``roadcam confirm export FILE`` (confirmed defects for Confirm)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write defects, sightings, segments, claims and permits as GeoParquet + CSV with "
        "schema.json (what a lakehouse ingests nightly)",
    )
    p.add_argument("dir", help="output folder (created)")
    p.add_argument(
        "--since",
        type=_since,
        default=None,
        help="only what changed at or after this date/time (ISO 8601, UTC when no zone); "
        "default: everything",
    )
    p.add_argument("--database", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_export)
    c = sub.add_parser("confirm", help="Confirm (asset management system) exports")
    cs = c.add_subparsers(dest="confirm_command", metavar="ACTION")
    cs.required = True
    e = cs.add_parser("export", help="confirmed defects as Confirm import CSV or JSON")
    e.add_argument("file", help="output file (.csv or .json)")
    e.add_argument(
        "--mapping",
        default=None,
        help="the council's code mapping YAML (default: ROADCAM_CONFIRM_MAPPING, else "
        "store/mappings/confirm.yaml)",
    )
    e.add_argument("--database", default=None)
    e.set_defaults(func=run_confirm)


def _since(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date/time: {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def run_export(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.export_files import export_tables
    from store.migrate import database_session

    with database_session(args.database) as session:
        schema = export_tables(session, args.dir, args.since)
    if args.json:
        print_json(schema)
    else:
        counts = ", ".join(f"{n} {name}" for name, n in _rows(schema).items())
        print(f"exported {counts} to {args.dir} (GeoParquet + CSV, schema.json)")
    return 0


def _rows(schema: dict) -> dict[str, int]:
    return {name: t["rows"] for name, t in schema["tables"].items()}


def run_confirm(args: argparse.Namespace) -> int:
    from pathlib import Path

    from roadcam.errors import UsageError
    from roadcam.settings import get_settings
    from store.confirm import confirm_csv, confirm_json, confirm_records, load_confirm_mapping
    from store.migrate import database_session

    out = Path(args.file)
    if out.suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"{out}: the Confirm export is .csv or .json")
    mapping = load_confirm_mapping(args.mapping or get_settings().confirm_mapping)
    with database_session(args.database) as session:
        records = confirm_records(session, mapping)
    text = confirm_csv(records, mapping) if out.suffix.lower() == ".csv" else confirm_json(records)
    out.write_text(text, encoding="utf-8")
    print(f"{len(records)} confirmed defects written to {out}")
    return 0
