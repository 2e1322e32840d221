"""A finding's review: the pipeline proposes, a named engineer or inspector decides.

Life cycle (``defect.review_status``)::

    proposed ──confirm──► confirmed
        │                    ▲  │
        └──reject(reason)──► rejected   (a person may change a decision; each one is audited)

Only confirmed findings count downstream (repair payment, skip enforcement,
hierarchy evidence, exports): use :func:`confirmed_defects_query` or
:func:`only_confirmed`, the one place that rule lives. The repair life cycle
(``defect.status``: open, repair_claimed, ...) is separate and unchanged.

A rejected false positive that the pipeline sees again at the same spot merges
into the stored (rejected) defect and stays rejected, unless it changed: it grew
(:data:`REPROPOSE_WIDTH_FACTOR`), which puts it back in the queue as ``proposed``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, UsageError
from store.audit import record_event
from store.models import REJECT_REASONS, Defect, Frame, utcnow

REVIEW_ACTIONS = ("confirm", "reject")
#: A rejected finding seen again this much wider (and >= 0.1 m wider) is proposed again.
REPROPOSE_WIDTH_FACTOR = 1.5
REPROPOSE_MIN_GROWTH_M = 0.1
MAX_BULK = 500


def confirmed_clause() -> ColumnElement[bool]:
    """THE rule: a finding counts downstream (money, plans, other systems) only once a named
    engineer or inspector has confirmed it."""
    return Defect.review_status == "confirmed"


def only_confirmed(stmt: Select) -> Select:
    """Restrict a select over ``defect`` to confirmed findings."""
    return stmt.where(confirmed_clause())


def confirmed_defects_query() -> Select:
    """``SELECT defect ... WHERE review_status = 'confirmed'``: what money and plans may use."""
    return only_confirmed(select(Defect))


def review_defect(
    session: Session,
    defect_id: int,
    action: str,
    actor: str,
    reason: str | None = None,
    class_name: str | None = None,
    risk_category: str | None = None,
    note: str | None = None,
) -> Defect:
    """Confirm (optionally correcting class and risk) or reject (with a reason) one finding."""
    if action not in REVIEW_ACTIONS:
        raise UsageError(f"unknown review action {action!r}; one of {', '.join(REVIEW_ACTIONS)}")
    defect = session.get(Defect, defect_id)
    if defect is None:
        raise InputNotFoundError(f"defect {defect_id} not found")
    before = defect.review_status
    if action == "reject":
        if reason not in REJECT_REASONS:
            raise UsageError(f"a rejection needs a reason: one of {', '.join(REJECT_REASONS)}")
        defect.review_status, defect.reject_reason = "rejected", reason
    else:
        defect.review_status, defect.reject_reason = "confirmed", None
        if class_name and class_name != defect.class_name:
            record_event(
                session, "defect", defect_id, "class", actor, defect.class_name, class_name
            )
            defect.class_name = class_name
        if risk_category and risk_category != defect.risk_category:
            record_event(
                session, "defect", defect_id, "risk", actor, defect.risk_category, risk_category
            )
            defect.risk_category = risk_category
    defect.reviewed_by, defect.reviewed_at = actor, utcnow()
    defect.updated_at = utcnow()
    to_value = defect.review_status + (f" ({reason})" if action == "reject" else "")
    record_event(session, "defect", defect_id, "review", actor, before, to_value, note)
    session.flush()
    return defect


def confirm_many(session: Session, defect_ids: Sequence[int], actor: str, note: str | None = None):
    """Confirm several findings at once (all or nothing: a missing id fails the lot)."""
    ids = list(dict.fromkeys(int(i) for i in defect_ids))
    if not ids or len(ids) > MAX_BULK:
        raise UsageError(f"confirm 1 to {MAX_BULK} findings at once")
    return [review_defect(session, i, "confirm", actor, note=note) for i in ids]


def _queue_query(
    class_name: Sequence[str] | None,
    segment_id: Sequence[str] | None,
    survey_id: int | None,
) -> Select:
    stmt = select(Defect).where(Defect.review_status == "proposed")
    if class_name:
        stmt = stmt.where(Defect.class_name.in_(list(class_name)))
    if segment_id:
        stmt = stmt.where(Defect.segment_id.in_(list(segment_id)))
    if survey_id is not None:
        stmt = stmt.where(
            Defect.best_frame_id.in_(select(Frame.id).where(Frame.survey_id == survey_id))
        )
    return stmt


def review_queue(
    session: Session,
    class_name: Sequence[str] | None = None,
    segment_id: Sequence[str] | None = None,
    survey_id: int | None = None,
    after_id: int = 0,
    limit: int = 1,
) -> tuple[list[Defect], int]:
    """The next proposed findings (by id, after ``after_id``) and how many are waiting in all."""
    base = _queue_query(class_name, segment_id, survey_id)
    waiting = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.where(Defect.id > after_id).order_by(Defect.id).limit(limit))
    return list(rows), int(waiting)


def repropose_if_changed(
    session: Session, defect: Defect, width_before_m: float | None, width_now_m: float | None
) -> bool:
    """Put a rejected finding seen again back in the queue when it grew; True if it did."""
    if defect.review_status != "rejected" or width_now_m is None:
        return False
    before = width_before_m or 0.0
    grew = width_now_m >= before * REPROPOSE_WIDTH_FACTOR
    if not (grew and width_now_m - before >= REPROPOSE_MIN_GROWTH_M):
        return False
    note = f"seen again {width_now_m:.2f} m wide (was {before:.2f} m)"
    record_event(session, "defect", defect.id, "review", "pipeline", "rejected", "proposed", note)
    defect.review_status, defect.reject_reason = "proposed", None
    return True


def reviewed_frames(session: Session) -> list[dict]:
    """Frames with a saved image whose findings are all decided, with every box and its decision.

    One dict per frame: ``frame_id``, ``image_ref`` and ``boxes`` (``class_name`` as confirmed
    or corrected, ``review_status``, ``x1, y1, x2, y2`` in pixels). Frames that still show a
    proposed finding are left out: nobody has said what is in them yet.
    """
    from store.models import Observation

    stmt = (
        select(
            Observation.frame_id,
            Frame.image_ref,
            Defect.class_name,
            Defect.review_status,
            Observation.x1,
            Observation.y1,
            Observation.x2,
            Observation.y2,
        )
        .join(Frame, Frame.id == Observation.frame_id)
        .join(Defect, Defect.id == Observation.defect_id)
        .where(Frame.image_ref.is_not(None))
        .order_by(Observation.frame_id, Observation.id)
    )
    frames: dict[int, dict] = {}
    for fid, ref, cls, status, x1, y1, x2, y2 in session.execute(stmt):
        frame = frames.setdefault(fid, {"frame_id": fid, "image_ref": ref, "boxes": []})
        frame["boxes"].append({"class_name": cls, "review_status": status, "box": (x1, y1, x2, y2)})
    return [f for f in frames.values() if all(b["review_status"] != "proposed" for b in f["boxes"])]
