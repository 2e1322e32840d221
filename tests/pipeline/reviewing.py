"""Test helper: an engineer confirms findings, as the review queue would.

Only confirmed findings reach money (skip charges, repair payments) or plans. Tests that
check those lists confirm what the pipeline proposed first; confirming *every* proposal is
the worst case for the machine's own filtering (a reviewer who accepts everything)."""

from __future__ import annotations

from sqlalchemy import select


def confirm_all_findings(db_url: str, class_name: str | None = None, actor: str = "engineer"):
    """Confirm every proposed finding (of ``class_name``) in the database; return their ids."""
    from store.engine import make_engine, session_scope
    from store.models import Defect
    from store.review import review_defect

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            stmt = select(Defect.id).where(Defect.review_status == "proposed")
            if class_name:
                stmt = stmt.where(Defect.class_name == class_name)
            ids = list(s.scalars(stmt))
            for i in ids:
                review_defect(s, i, "confirm", actor)
    finally:
        engine.dispose()
    return ids
