"""The repair payment report as CSV or HTML (from :func:`store.claims.repair_claims_report`).

One layout for both the `roadcam repairs report` command and the API. Verified claims are
the ones a finance officer may pay (an inspector decided so, by name, with a reason);
rejected ones are not to be paid; pending ones await an inspector, with the machine's
proposal. Each row shows the spot before (the survey that found the defect) and after (the
survey that checked the claim).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from html import escape
from typing import Any

CSV_FIELDS = (
    "claim_id",
    "contractor",
    "reference",
    "defect_id",
    "defect_class",
    "lon",
    "lat",
    "claimed_at",
    "status",
    "payable",
    "machine_verdict",
    "machine_reason",
    "decided_by",
    "decision_reason",
    "decided_at",
    "before_crops",
    "after_crops",
)
SECTIONS = (
    ("verified", "Verified by an inspector: payable"),
    ("rejected", "Rejected: not payable"),
    ("pending", "Awaiting an inspector's decision"),
)


def report_csv(report: dict[str, Any]) -> str:
    """One line per claim; crops are ``;``-separated paths relative to the data folder."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in report["claims"]:
        w.writerow(
            {
                **{k: r.get(k, "") for k in CSV_FIELDS},
                "payable": "yes" if r["status"] == "verified" else "no",
                "before_crops": ";".join(r["before_crops"]),
                "after_crops": ";".join(r["after_crops"]),
            }
        )
    return out.getvalue()


def report_html(report: dict[str, Any], image_url: Callable[[dict, str, int, str], str]) -> str:
    """A self-contained page; ``image_url(row, "before"|"after", n, ref)`` gives each crop's src."""
    t = report["totals"]
    period = f"{report['claimed_from'] or 'the start'} to {report['claimed_to'] or 'now'}"
    who = escape(report["contractor"] or "all contractors")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Repair claims: {who}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:4px 6px;vertical-align:top;font-size:13px}"
        "img{height:90px;margin:1px}.verified{background:#eef8ee}.rejected{background:#fbeeee}"
        "</style></head><body>",
        f"<h1>Repair claims: {who}</h1>",
        f"<p>Claimed from {escape(period)}. <b>{t.get('verified', 0)}</b> verified (payable), "
        f"<b>{t.get('rejected', 0)}</b> rejected, <b>{t.get('pending', 0)}</b> awaiting decision. "
        "Only claims verified by a named inspector may be paid; the machine's verdict is a "
        "proposal.</p>",
    ]
    for status, title in SECTIONS:
        rows = [r for r in report["claims"] if r["status"] == status]
        parts.append(f"<h2 id='{status}'>{escape(title)} ({len(rows)})</h2>")
        if not rows:
            parts.append("<p>None.</p>")
            continue
        parts.append(
            "<table><tr><th>claim</th><th>works order</th><th>defect</th><th>claimed</th>"
            "<th>machine proposal</th><th>decision</th><th>before</th><th>after</th></tr>"
        )
        for r in rows:
            parts.append(_row_html(r, image_url))
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row_html(r: dict[str, Any], image_url: Callable[[dict, str, int, str], str]) -> str:
    def imgs(kind: str) -> str:
        refs = r[f"{kind}_crops"]
        return (
            "".join(
                f"<img alt='{kind} {n}' src='{escape(image_url(r, kind, n, ref))}'>"
                for n, ref in enumerate(refs)
            )
            or "no crop"
        )

    decision = (
        f"{escape(r['status'])} by {escape(r['decided_by'])} {escape(r['decided_at'][:16])}: "
        f"{escape(r['decision_reason'])}"
        if r["decided_by"]
        else "awaiting"
    )
    place = f"{r['lon']:.6f}, {r['lat']:.6f}" if r["lon"] is not None else ""
    return (
        f"<tr class='{escape(r['status'])}'><td>{r['claim_id']}</td><td>{escape(r['reference'])}</td>"
        f"<td>{r['defect_id']} {escape(r['defect_class'])}<br>{place}</td>"
        f"<td>{escape(r['claimed_at'][:10])}</td>"
        f"<td>{escape(r['machine_verdict'] or 'not checked yet')}<br><small>"
        f"{escape(r['machine_reason'])}</small></td><td>{decision}</td>"
        f"<td>{imgs('before')}</td><td>{imgs('after')}</td></tr>"
    )
