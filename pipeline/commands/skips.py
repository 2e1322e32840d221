"""``roadcam skips``: import the permit register and list the skips seen without a valid permit."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time
from typing import Any

REQUIRED_COLUMNS = ("reference", "valid_from", "valid_to")
PLACE_COLUMNS = ("lon", "lat", "street", "address")
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y")  # UK registers; ISO 8601 is tried first


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("skips", help="skip permits: import the register, list unpermitted skips")
    ss = p.add_subparsers(dest="skips_command", metavar="ACTION")
    ss.required = True
    imp = ss.add_parser(
        "import-permits",
        help="import the permit register from CSV: reference,valid_from,valid_to and lon,lat "
        "or street or address; optional company (or holder), contact",
    )
    imp.add_argument("csv")
    imp.add_argument("--database", default=None)
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=run_import)
    chk = ss.add_parser(
        "check", help="list skips seen without a valid permit, with the charge from the policy"
    )
    chk.add_argument("--policy", default=None, help="skip-charging policy YAML (default: Medway)")
    chk.add_argument("--radius-m", type=float, default=None, help="override the policy's radius")
    chk.add_argument("--all", action="store_true", help="also list the permitted skips")
    chk.add_argument("--csv", default=None, metavar="OUT", help="write the list as CSV to OUT")
    chk.add_argument("--database", default=None)
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=run_check)


def parse_register_time(text: str, end_of_day: bool) -> datetime:
    """A register date or date-time as UTC; a bare date ending a permit means the end of that day."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
        bare = len(text) <= 10
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                value, bare = datetime.strptime(text, fmt), True
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    if bare and end_of_day:
        value = datetime.combine(value.date(), time.max)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_row(r: dict[str, str]) -> dict[str, Any]:
    lon, lat = (r.get("lon") or "").strip(), (r.get("lat") or "").strip()
    if bool(lon) != bool(lat):
        raise ValueError("give both lon and lat, or neither")
    row = {
        "reference": (r.get("reference") or "").strip(),
        "valid_from": parse_register_time(r.get("valid_from") or "", end_of_day=False),
        "valid_to": parse_register_time(r.get("valid_to") or "", end_of_day=True),
        "lon": float(lon) if lon else None,
        "lat": float(lat) if lat else None,
        "street": r.get("street") or "",
        "address": r.get("address") or "",
        "company": r.get("company") or r.get("holder") or "",
        "contact": r.get("contact") or "",
    }
    if not row["reference"]:
        raise ValueError("empty reference")
    return row


def read_permit_register(path: str) -> list[dict[str, Any]]:
    """The register's rows; every bad row is named (row 1 is the header) in one error."""
    import csv
    from pathlib import Path

    from roadcam.errors import CorruptInputError, InputNotFoundError

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError("no such file", path=path)
    rows, bad = [], []
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        names = [n.strip().lower() for n in reader.fieldnames or []]
        reader.fieldnames = names
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing or not any(c in names for c in PLACE_COLUMNS):
            need = missing or ["one of lon,lat / street / address"]
            raise CorruptInputError(f"permit CSV lacks column(s) {', '.join(need)}", path=path)
        for n, r in enumerate(reader, start=2):
            try:
                rows.append(_parse_row(r))
            except (ValueError, TypeError) as err:
                bad.append(f"row {n}: {err}")
    if bad:
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise CorruptInputError("; ".join(bad[:5]) + more + "; nothing imported", path=path)
    return rows


def run_import(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.migrate import database_session
    from store.permits import import_skip_permits

    rows = read_permit_register(args.csv)
    with database_session(args.database, migrate=True) as s:  # one transaction: all or nothing
        counts = import_skip_permits(s, rows)
    if args.json:
        print_json(counts)
    else:
        print(
            f"{counts['permits']} skip permits imported"
            f" ({counts['by_street']} placed by street name)"
        )
    return 0


def _write_csv(path: str, rows: list[dict]) -> None:
    import csv
    from pathlib import Path

    from hierarchy.skip_policy import CSV_COLUMNS, csv_row

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        w.writerows(csv_row(r) for r in rows)


def _line(r: dict) -> str:
    c = r["charge"]
    where = f"{r['nearest_address']} ({r['lat']:.5f},{r['lon']:.5f})"
    seen = (
        f"seen {r['first_seen']:%Y-%m-%d} to {r['last_seen']:%Y-%m-%d}, {r['sightings']} sightings"
    )
    state = r["permit_state"].upper() if r["permit_state"] != "permitted" else "permitted"
    return f"skip {r['defect_id']} {where}: {seen}: {state}: £{c['total_gbp']:.2f} ({c['basis']})"


def run_check(args: argparse.Namespace) -> int:
    from hierarchy.skip_policy import charged_findings, load_skip_policy
    from pipeline.cli import print_json
    from store.migrate import database_session
    from store.skip_enforcement import skip_findings

    policy = load_skip_policy(args.policy)
    radius = args.radius_m if args.radius_m is not None else policy.evidence.permit_radius_m.value
    with database_session(args.database) as s:
        found = skip_findings(s, int(policy.evidence.min_sightings.value), radius)
    rows = charged_findings(found, policy)
    listed = rows if args.all else [r for r in rows if not r["permitted"]]
    if args.csv:
        _write_csv(args.csv, listed)
    if args.json:
        print_json({"policy": policy.name, "skips": listed, "unpermitted": _unpermitted(rows)})
        return 0
    for r in listed:
        print(_line(r))
    total = sum(r["charge"]["total_gbp"] for r in rows)
    print(f"{_unpermitted(rows)} of {len(rows)} skips without a valid permit; charges £{total:.2f}")
    return 0


def _unpermitted(rows: list[dict]) -> int:
    return sum(not r["permitted"] for r in rows)
