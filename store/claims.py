"""Repair claims: a contractor says a defect was repaired; a later survey or officer verifies it.

Claims do not change the defect's status themselves, except that creating a
claim on an ``open`` or ``still_present`` defect moves it to
``repair_claimed`` (the one obvious consequence). Verifying or rejecting a
claim is recorded here; the caller sets the defect's status with
:func:`store.defects.set_defect_status`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, InvalidTransitionError, UsageError
from store.models import CLAIM_STATUSES, Defect, RepairClaim, utcnow

log = logging.getLogger(__name__)


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
        claimed_at=claimed_at or utcnow(),
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
) -> list[RepairClaim]:
    """Claims, newest claim first."""
    stmt = select(RepairClaim).order_by(RepairClaim.claimed_at.desc(), RepairClaim.id.desc())
    if defect_id is not None:
        stmt = stmt.where(RepairClaim.defect_id == defect_id)
    if status is not None:
        stmt = stmt.where(RepairClaim.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def set_claim_status(
    session: Session,
    claim_id: int,
    status: str,
    verified_at: datetime | None = None,
    evidence: dict[str, Any] | None = None,
) -> RepairClaim:
    """Verify or reject a pending claim (``verified_at`` defaults to now; ``evidence`` is merged in)."""
    if status not in CLAIM_STATUSES:
        raise UsageError(f"unknown claim status {status!r}; one of {', '.join(CLAIM_STATUSES)}")
    claim = session.get(RepairClaim, claim_id)
    if claim is None:
        raise InputNotFoundError(f"repair claim {claim_id} not found")
    if claim.status == status:
        return claim
    if claim.status != "pending":
        raise InvalidTransitionError(f"repair claim {claim_id} is already {claim.status}")
    claim.status = status
    claim.verified_at = verified_at or utcnow()
    if evidence:
        claim.evidence = {**(claim.evidence or {}), **evidence}
    session.flush()
    return claim


def pending_repair_checks(
    session: Session, bbox: tuple[float, float, float, float] | None = None
) -> list[tuple[int, Any]]:
    """``(claim_id, geo.placement.verify.RepairCheck)`` for every pending claim (optionally on defects in ``bbox``)."""
    from geo.placement.verify import RepairCheck
    from store._sql import bbox_filter
    from store.defects import defect_lonlat

    stmt = (
        select(RepairClaim, Defect)
        .join(Defect, Defect.id == RepairClaim.defect_id)
        .where(RepairClaim.status == "pending")
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


def apply_repair_verdicts(
    session: Session,
    claim_ids: dict[int, int],
    verdicts: list[Any],
    survey_id: int,
    image_refs: dict | None = None,
) -> dict[str, int]:
    """Record a survey's verdicts: verified claims repair their defect; rejected ones mark it still present.

    ``claim_ids`` maps defect id → pending claim id. Returns counts per verdict.
    """
    from store.defects import set_defect_status

    counts = {"repaired": 0, "still_present": 0, "not_checked": 0}
    for v in verdicts:
        counts[v.verdict] += 1
        if v.verdict == "not_checked":
            continue
        evidence = {
            "survey_id": survey_id,
            "verdict": v.verdict,
            "frames_in_view": v.frames_in_view,
            "sightings": v.sightings,
            "frames": [
                {"source": s, "frame_index": i, "image": (image_refs or {}).get(i)}
                for s, i in v.evidence_frames
            ],
        }
        if v.verdict == "repaired":
            set_claim_status(session, claim_ids[v.defect_id], "verified", evidence=evidence)
            set_defect_status(
                session,
                v.defect_id,
                "verified_repaired",
                note=f"not seen in {v.frames_in_view} frames of survey {survey_id}",
            )
        else:
            set_claim_status(session, claim_ids[v.defect_id], "rejected", evidence=evidence)
            set_defect_status(
                session, v.defect_id, "still_present", note=f"seen again in survey {survey_id}"
            )
    log.info(
        "repair claims: %(repaired)d verified, %(still_present)d rejected, %(not_checked)d not checked",
        counts,
    )
    return counts
