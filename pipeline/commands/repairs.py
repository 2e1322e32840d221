"""``roadcam repairs``: record contractors' repair claims and list them with their verification."""

from __future__ import annotations

import argparse
from datetime import UTC


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "repairs", help="repair claims: record, list (verified from later footage by `process`)"
    )
    rs = p.add_subparsers(dest="repairs_command", metavar="ACTION")
    rs.required = True
    c = rs.add_parser("claim", help="record a contractor's claim that a defect was repaired")
    c.add_argument("defect_id", type=int)
    c.add_argument("--contractor", required=True)
    c.add_argument("--reference", default="", help="works order / job number")
    c.add_argument(
        "--claimed-at", default=None, help="ISO 8601 time of the repair (default: now, UTC)"
    )
    c.add_argument("--database", default=None)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=run_claim)
    ls = rs.add_parser("list", help="list claims and how later footage judged them")
    ls.add_argument("--status", choices=["pending", "verified", "rejected"], default=None)
    ls.add_argument("--database", default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)


def _claim_dict(claim) -> dict:
    ev = claim.evidence or {}
    return {
        "id": claim.id,
        "defect_id": claim.defect_id,
        "contractor": claim.contractor,
        "reference": claim.reference,
        "claimed_at": claim.claimed_at.isoformat(),
        "status": claim.status,
        "verified_at": claim.verified_at.isoformat() if claim.verified_at else None,
        "survey_id": ev.get("survey_id"),
        "frames_in_view": ev.get("frames_in_view"),
        "sightings": ev.get("sightings"),
    }


def run_claim(args: argparse.Namespace) -> int:
    from datetime import datetime

    from pipeline.cli import print_json
    from roadcam.errors import UsageError
    from store.claims import create_repair_claim
    from store.migrate import database_session

    claimed_at = None
    if args.claimed_at:
        try:
            claimed_at = datetime.fromisoformat(args.claimed_at)
        except ValueError:
            raise UsageError(f"--claimed-at: not an ISO 8601 time: {args.claimed_at!r}") from None
        if claimed_at.tzinfo is None:
            claimed_at = claimed_at.replace(tzinfo=UTC)
    with database_session(args.database) as s:
        out = _claim_dict(
            create_repair_claim(s, args.defect_id, args.contractor, args.reference, claimed_at)
        )
    if args.json:
        print_json(out)
    else:
        print(
            f"claim {out['id']} on defect {out['defect_id']} by {out['contractor']}: pending until footage or an inspector decides"
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.claims import list_repair_claims
    from store.migrate import database_session

    with database_session(args.database) as s:
        rows = [_claim_dict(c) for c in list_repair_claims(s, status=args.status, limit=None)]
    if args.json:
        print_json({"claims": rows, "count": len(rows)})
        return 0
    for r in rows:
        seen = (
            f", survey {r['survey_id']}: {r['frames_in_view']} frames in view, {r['sightings']} sightings"
            if r["survey_id"]
            else ""
        )
        print(
            f"claim {r['id']} defect {r['defect_id']} {r['contractor']} {r['reference']}: {r['status']}{seen}"
        )
    return 0
