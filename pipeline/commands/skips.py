"""``roadcam skips``: import the permit register and check the skips seen on the highway against it."""

from __future__ import annotations

import argparse
from datetime import UTC

PERMIT_COLUMNS = ("reference", "lon", "lat", "valid_from", "valid_to")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "skips", help="skip permits: import the register, check seen skips against it"
    )
    ss = p.add_subparsers(dest="skips_command", metavar="ACTION")
    ss.required = True
    imp = ss.add_parser(
        "import-permits",
        help="import permits from CSV: reference,lon,lat,valid_from,valid_to[,address,holder]",
    )
    imp.add_argument("csv")
    imp.add_argument("--database", default=None)
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=run_import)
    chk = ss.add_parser(
        "check", help="list skips seen on the highway and whether a permit covers each"
    )
    chk.add_argument(
        "--radius-m", type=float, default=20.0, help="how far from the skip a permit's point may be"
    )
    chk.add_argument("--database", default=None)
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=run_check)


def _read_permits(path: str) -> list[dict]:
    import csv
    from datetime import datetime
    from pathlib import Path

    from roadcam.errors import CorruptInputError, InputNotFoundError

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError("no such file", path=path)
    rows = []
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in PERMIT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CorruptInputError(f"permit CSV lacks column(s) {', '.join(missing)}", path=path)
        for n, r in enumerate(reader, start=2):
            try:
                times = [datetime.fromisoformat(r[k]) for k in ("valid_from", "valid_to")]
                rows.append(
                    {
                        "reference": r["reference"].strip(),
                        "lon": float(r["lon"]),
                        "lat": float(r["lat"]),
                        "valid_from": times[0] if times[0].tzinfo else times[0].replace(tzinfo=UTC),
                        "valid_to": times[1] if times[1].tzinfo else times[1].replace(tzinfo=UTC),
                        "address": r.get("address", "") or "",
                        "holder": r.get("holder", "") or "",
                    }
                )
            except (ValueError, TypeError) as err:
                raise CorruptInputError(f"line {n}: {err}", path=path) from None
    return rows


def run_import(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.migrate import database_session
    from store.permits import create_skip_permit

    rows = _read_permits(args.csv)  # all or nothing: a bad line stores none
    with database_session(args.database, migrate=True) as s:
        for r in rows:
            create_skip_permit(s, **r)
    if args.json:
        print_json({"permits": len(rows)})
    else:
        print(f"{len(rows)} skip permits imported")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.migrate import database_session
    from store.permits import check_skips_against_permits

    with database_session(args.database) as s:
        rows = check_skips_against_permits(s, radius_m=args.radius_m)
    if args.json:
        print_json({"skips": rows, "unpermitted": sum(not r["permitted"] for r in rows)})
        return 0
    for r in rows:
        state = (
            f"permit {r['permit_reference']} ({r['permit_distance_m']} m)"
            if r["permitted"]
            else "NO VALID PERMIT"
        )
        if not r["permitted"] and r["nearest_expired_reference"]:
            state += f" (permit {r['nearest_expired_reference']} nearby is not valid on {r['last_seen']:%Y-%m-%d})"
        print(
            f"skip {r['defect_id']} at {r['lat']:.5f},{r['lon']:.5f} last seen {r['last_seen']:%Y-%m-%d}: {state}"
        )
    return 0
