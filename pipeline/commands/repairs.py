"""``roadcam repairs``: record contractors' repair claims and list them with their verification."""

from __future__ import annotations

import argparse
from datetime import UTC


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "repairs",
        help="repair claims: record, list, decide, payment report (checked by later footage)",
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
    ls.add_argument("--contractor", default=None)
    ls.add_argument("--database", default=None)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    d = rs.add_parser(
        "decide", help="an inspector's decision on a claim: verified (payable) or rejected"
    )
    d.add_argument("claim_id", type=int)
    d.add_argument("decision", choices=["verified", "rejected"])
    d.add_argument("--by", required=True, help="the inspector's name")
    d.add_argument("--reason", required=True, help="why (kept with the decision)")
    d.add_argument("--database", default=None)
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run_decide)
    r = rs.add_parser("report", help="payment report: a contractor's claims in a period")
    r.add_argument("--contractor", default=None, help="contractor name (default: all)")
    r.add_argument("--from", dest="date_from", default=None, help="first claim date, YYYY-MM-DD")
    r.add_argument("--to", dest="date_to", default=None, help="last claim date, YYYY-MM-DD")
    r.add_argument("-o", "--output", required=True, help="report.csv or report.html")
    r.add_argument("--database", default=None)
    r.set_defaults(func=run_report)


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
        "verdict": claim.verdict,
        "verdict_reason": claim.verdict_reason,
        "decided_by": claim.decided_by,
        "decision_reason": claim.decision_reason,
        "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
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
        rows = [
            _claim_dict(c)
            for c in list_repair_claims(
                s, status=args.status, limit=None, contractor=args.contractor
            )
        ]
    if args.json:
        print_json({"claims": rows, "count": len(rows)})
        return 0
    for r in rows:
        seen = f", footage (survey {r['survey_id']}): {r['verdict']}" if r["verdict"] else ""
        who = f" by {r['decided_by']}" if r["decided_by"] else ""
        print(
            f"claim {r['id']} defect {r['defect_id']} {r['contractor']} {r['reference']}: "
            f"{r['status']}{who}{seen}"
        )
    return 0


def run_decide(args: argparse.Namespace) -> int:
    from pipeline.cli import print_json
    from store.claims import decide_repair_claim
    from store.migrate import database_session

    with database_session(args.database) as s:
        out = _claim_dict(
            decide_repair_claim(s, args.claim_id, args.decision, args.by, args.reason)
        )
    if args.json:
        print_json(out)
    else:
        print(f"claim {out['id']}: {out['status']} by {out['decided_by']}")
    return 0


def _day(text: str | None, name: str, *, end: bool = False):
    from datetime import datetime, timedelta

    from roadcam.errors import UsageError

    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError(f"{name}: not a date YYYY-MM-DD: {text!r}") from None
    return day + timedelta(days=1) if end else day


def run_report(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from roadcam.errors import UsageError
    from roadcam.settings import get_settings
    from store.claim_report import report_csv, report_html
    from store.claims import repair_claims_report
    from store.migrate import database_session

    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".html", ".htm"):
        raise UsageError(f"-o: write a .csv or .html report, not {out.name!r}")
    start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to", end=True)
    if start and end and end <= start:
        raise UsageError("--to is before --from")
    with database_session(args.database) as s:
        report = repair_claims_report(s, args.contractor, start, end)
    data_dir = Path(get_settings().data_dir)

    def image_url(_row, _kind, _n, ref: str) -> str:
        path = Path(ref) if Path(ref).is_absolute() else data_dir / ref
        return Path(os.path.relpath(path.resolve(), out.parent.resolve())).as_posix()

    out.parent.mkdir(parents=True, exist_ok=True)
    text = report_csv(report) if out.suffix.lower() == ".csv" else report_html(report, image_url)
    out.write_text(text, encoding="utf-8")
    t = report["totals"]
    print(
        f"{out}: {t['verified']} verified (payable), {t['rejected']} rejected, "
        f"{t['pending']} awaiting decision"
    )
    return 0
