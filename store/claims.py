"""Repair claims: a contractor says a defect was repaired; footage proposes, an inspector decides.

* Creating a claim on an ``open`` or ``still_present`` defect moves the defect to
  ``repair_claimed``.
* A later survey records the machine's **verdict** on the claim (``repaired``,
  ``still_present`` or ``inspector_to_look``, with its reason and the before/after crops in
  ``evidence``): :func:`record_repair_verdicts`. A verdict is a proposal; it changes no status.
* Only an inspector's **decision** (:func:`decide_repair_claim`) makes a claim ``verified``
  (payable; the defect becomes ``verified_repaired``) or ``rejected`` (the defect is
  ``still_present``), in either direction whatever the machine said, with the inspector's
  name and reason. A decision can be changed later by another decision (each one is kept in
  ``evidence["decisions"]``). Callers that check roles or write an audit trail wrap this one
  function.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, InvalidTransitionError, UsageError
from store.models import CLAIM_STATUSES, Defect, RepairClaim, utcnow

log = logging.getLogger(__name__)

DECISIONS = ("verified", "rejected")
#: Verdicts that a later survey looks at again (a repaired/still_present proposal stands).
RECHECK_VERDICTS = (None, "inspector_to_look")
#: A repair's time: not before this (no survey of this system is older) ...
EARLIEST_CLAIMED_AT = datetime(2000, 1, 1, tzinfo=UTC)
#: ... and not later than now plus this (clocks of the works order system drift a little).
CLAIMED_AT_FUTURE_SLACK = timedelta(minutes=10)


def checked_claimed_at(claimed_at: datetime, now: datetime | None = None) -> datetime:
    """The one rule for when a repair was done: UTC when no zone is given, from 2000-01-01 to
    10 minutes after ``now``; :class:`UsageError` otherwise (``claimed_at: 0`` is not 1970)."""
    t = claimed_at if claimed_at.tzinfo else claimed_at.replace(tzinfo=UTC)
    latest = (now or utcnow()) + CLAIMED_AT_FUTURE_SLACK
    if not EARLIEST_CLAIMED_AT <= t <= latest:
        raise UsageError(
            f"claimed_at {t.isoformat()} is outside {EARLIEST_CLAIMED_AT.date()} .. now + "
            f"{int(CLAIMED_AT_FUTURE_SLACK.total_seconds() // 60)} minutes"
        )
    return t


def create_repair_claim(
    session: Session,
    defect_id: int,
    contractor: str,
    reference: str = "",
    claimed_at: datetime | None = None,
    evidence: dict[str, Any] | None = None,
) -> RepairClaim:
    """Record a pending repair claim on a defect (open/still_present defects become repair_claimed)."""
    from store.defects import set_defect_status

    defect = session.get(Defect, defect_id)
    if defect is None:
        raise InputNotFoundError(f"defect {defect_id} not found")
    claim = RepairClaim(
        defect_id=defect_id,
        contractor=contractor,
        reference=reference,
        claimed_at=utcnow() if claimed_at is None else checked_claimed_at(claimed_at),
        status="pending",
        evidence=evidence,
    )
    session.add(claim)
    if defect.status in ("open", "still_present"):
        set_defect_status(
            session, defect_id, "repair_claimed", note=f"claim by {contractor} {reference}".strip()
        )
    session.flush()
    return claim


def get_repair_claim(session: Session, claim_id: int) -> RepairClaim | None:
    """One claim by id, or None."""
    return session.get(RepairClaim, claim_id)


def list_repair_claims(
    session: Session,
    defect_id: int | None = None,
    status: str | None = None,
    limit: int | None = 1000,
    *,
    contractor: str | None = None,
    verdict: str | None = None,
    claimed_from: datetime | None = None,
    claimed_to: datetime | None = None,
) -> list[RepairClaim]:
    """Claims, newest claim first; ``contractor`` matches exactly, ignoring case; ``claimed_to`` is exclusive."""
    from sqlalchemy import func

    stmt = select(RepairClaim).order_by(RepairClaim.claimed_at.desc(), RepairClaim.id.desc())
    if defect_id is not None:
        stmt = stmt.where(RepairClaim.defect_id == defect_id)
    if status is not None:
        stmt = stmt.where(RepairClaim.status == status)
    if contractor:
        stmt = stmt.where(func.lower(RepairClaim.contractor) == contractor.strip().lower())
    if verdict is not None:
        stmt = stmt.where(RepairClaim.verdict == verdict)
    if claimed_from is not None:
        stmt = stmt.where(RepairClaim.claimed_at >= claimed_from)
    if claimed_to is not None:
        stmt = stmt.where(RepairClaim.claimed_at < claimed_to)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


#: Defect statuses that answer a repair claim: reached only by deciding the claim while one is pending.
CLAIM_ANSWERS = ("verified_repaired", "still_present")


def check_status_beside_claims(session: Session, defect_id: int, status: str) -> None:
    """Refuse moving a defect to :data:`CLAIM_ANSWERS` directly while a claim on it is pending:
    an inspector decides the claim instead (:func:`decide_repair_claim`), so claim and defect
    never disagree (InvalidTransitionError, 409 over HTTP)."""
    if status not in CLAIM_ANSWERS:
        return
    pending = session.scalars(
        select(RepairClaim.id)
        .where(RepairClaim.defect_id == defect_id, RepairClaim.status == "pending")
        .order_by(RepairClaim.id)
    ).first()
    if pending is not None:
        raise InvalidTransitionError(
            f"defect {defect_id} has pending repair claim {pending}: decide the claim "
            f"(POST /repair-claims/{pending}/decision) instead of setting {status}"
        )


def decide_repair_claim(
    session: Session,
    claim_id: int,
    decision: str,
    decided_by: str,
    reason: str,
    decided_at: datetime | None = None,
) -> RepairClaim:
    """An inspector's decision: ``verified`` (payable) or ``rejected``, with their name and reason.

    The one place a claim becomes payable or rejected. Any pending or decided claim may be
    decided (again), whatever the machine's verdict was: overruling it is the point. The
    defect follows: ``verified_repaired`` or ``still_present``.
    """
    from store.defects import set_defect_status

    if decision not in DECISIONS:
        raise UsageError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not (decided_by or "").strip():
        raise UsageError("a decision needs the inspector's name (decided_by)")
    if not (reason or "").strip():
        raise UsageError("a decision needs a reason")
    claim = session.get(RepairClaim, claim_id)
    if claim is None:
        raise InputNotFoundError(f"repair claim {claim_id} not found")
    when = decided_at or utcnow()
    previous = claim.status
    claim.status = decision
    claim.decided_by = decided_by.strip()
    claim.decision_reason = reason.strip()
    claim.decided_at = when
    claim.verified_at = when
    history = list((claim.evidence or {}).get("decisions", []))
    history.append(
        {
            "decision": decision,
            "by": claim.decided_by,
            "reason": claim.decision_reason,
            "at": when.isoformat(),
            "was": previous,
            "machine_verdict": claim.verdict,
        }
    )
    claim.evidence = {**(claim.evidence or {}), "decisions": history}
    defect = session.get(Defect, claim.defect_id)
    target = "verified_repaired" if decision == "verified" else "still_present"
    note = f"claim {claim_id} {decision} by {claim.decided_by}: {claim.decision_reason}"
    if defect is not None and defect.status != target:
        if defect.status == "still_present" and target == "verified_repaired":
            set_defect_status(session, defect.id, "repair_claimed", note=note, actor=decided_by)
        set_defect_status(session, defect.id, target, note=note, actor=decided_by)
    session.flush()
    log.info("repair claim %d %s by %s (was %s)", claim_id, decision, claim.decided_by, previous)
    return claim


def pending_repair_checks(
    session: Session, bbox: tuple[float, float, float, float] | None = None
) -> list[tuple[int, Any]]:
    """``(claim_id, geo.placement.verify.RepairCheck)`` for every pending claim still to be checked.

    A pending claim is checked until a survey gives it a ``repaired`` or ``still_present``
    verdict (``inspector_to_look`` is looked at again by the next survey).
    """
    from geo.placement.verify import RepairCheck
    from store._sql import bbox_filter
    from store.defects import defect_lonlat

    stmt = (
        select(RepairClaim, Defect)
        .join(Defect, Defect.id == RepairClaim.defect_id)
        .where(RepairClaim.status == "pending")
        .where(
            RepairClaim.verdict.is_(None)
            | RepairClaim.verdict.in_([v for v in RECHECK_VERDICTS if v])
        )
        .order_by(RepairClaim.id)
    )
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, Defect.__table__, bbox))
    out = []
    for claim, defect in session.execute(stmt):
        lon, lat = defect_lonlat(defect)
        out.append(
            (claim.id, RepairCheck(defect.id, defect.class_name, lon, lat, claim.claimed_at))
        )
    return out


def record_repair_verdicts(
    session: Session,
    claim_ids: dict[int, int],
    verdicts: Sequence[Any],
    survey_id: int,
    evidence_by_defect: dict[int, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Store a survey's verdicts (proposals) on pending claims; returns counts per verdict.

    ``claim_ids`` maps defect id → pending claim id; ``evidence_by_defect`` adds the crops
    and measures to each claim's ``evidence`` (replacing an earlier survey's).
    """
    from geo.placement.verify import VERDICTS

    counts = dict.fromkeys(VERDICTS, 0)
    now = utcnow()
    for v in verdicts:
        counts[v.verdict] += 1
        claim = session.get(RepairClaim, claim_ids[v.defect_id])
        claim.verdict = v.verdict
        claim.verdict_reason = v.reason
        claim.verdict_survey_id = survey_id
        claim.verdict_at = now
        extra = (evidence_by_defect or {}).get(v.defect_id, {})
        claim.evidence = {
            **(claim.evidence or {}),
            "survey_id": survey_id,
            "verdict": v.verdict,
            "frames_in_view": v.frames_in_view,
            "frames_measured": v.frames_measured,
            "sightings": v.sightings,
            "change_score": v.change_score,
            "detector_confidence": v.detector_confidence,
            **extra,
        }
    session.flush()
    log.info(
        "repair claims: %d proposed repaired, %d still present, %d to the inspector",
        counts["repaired"],
        counts["still_present"],
        counts["inspector_to_look"],
    )
    return counts


def repair_claims_report(
    session: Session,
    contractor: str | None = None,
    claimed_from: datetime | None = None,
    claimed_to: datetime | None = None,
) -> dict[str, Any]:
    """The payment report: a contractor's claims in a period (``claimed_to`` exclusive) by status.

    ``verified`` claims are payable (an inspector said so), ``rejected`` are not, ``pending``
    await a decision (with the machine's proposal). Rows carry the evidence crops.
    """
    from store.defects import defect_lonlat

    claims = list_repair_claims(
        session,
        status=None,
        limit=None,
        contractor=contractor,
        claimed_from=claimed_from,
        claimed_to=claimed_to,
    )
    rows = []
    for c in sorted(claims, key=lambda c: (c.claimed_at, c.id)):
        defect = session.get(Defect, c.defect_id)
        lon, lat = defect_lonlat(defect) if defect is not None else (None, None)
        ev = c.evidence or {}
        rows.append(
            {
                "claim_id": c.id,
                "contractor": c.contractor,
                "reference": c.reference,
                "defect_id": c.defect_id,
                "defect_class": defect.class_name if defect is not None else "",
                "lon": lon,
                "lat": lat,
                "claimed_at": c.claimed_at.isoformat(),
                "status": c.status,
                "machine_verdict": c.verdict or "",
                "machine_reason": c.verdict_reason or "",
                "decided_by": c.decided_by or "",
                "decision_reason": c.decision_reason or "",
                "decided_at": c.decided_at.isoformat() if c.decided_at else "",
                "before_crops": [e["crop"] for e in ev.get("before", []) if e.get("crop")],
                "after_crops": [e["crop"] for e in ev.get("after", []) if e.get("crop")],
            }
        )
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in CLAIM_STATUSES}
    return {
        "contractor": contractor or "",
        "claimed_from": claimed_from.isoformat() if claimed_from else None,
        "claimed_to": claimed_to.isoformat() if claimed_to else None,
        "totals": totals,
        "claims": rows,
    }
