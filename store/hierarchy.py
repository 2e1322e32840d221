"""Hierarchy review data in the store: segments and defects for a review, overrides, results.

All SQL for the hierarchy review lives here (store never imports :mod:`hierarchy`);
the review itself is a pure function on GeoDataFrames (``hierarchy.review``).

* :func:`segments_for_review` / :func:`defects_for_review` / :func:`overrides_from_store`
  give the review its inputs.
* :func:`save_recommendations` writes recommended category, frequencies and
  condition back to ``road_segment``; :func:`save_defect_risk` writes each
  defect's re-scored risk category and response date.
* :func:`add_override` records an engineer's decision (append-only history in
  ``hierarchy_override``; the latest per segment wins in the next review).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, NetworkError
from store.models import Defect, HierarchyOverride, RoadSegment, utcnow

log = logging.getLogger(__name__)

OVERRIDE_COLUMNS = ["segment_id", "category", "reason", "author", "created_at"]


def segments_for_review(session: Session) -> Any:
    """Stored segments as a review input: metric CRS, ``hierarchy`` = stored current category."""
    from geo.crs import metric_crs_for_lonlat
    from store.segments import segments_to_geodataframe

    gdf = segments_to_geodataframe(session)
    if len(gdf) == 0:
        raise NetworkError(
            "no road segments in the database (load a network first: roadcam network load NET)"
        )
    x0, y0, x1, y1 = gdf.total_bounds
    metric = gdf.to_crs(metric_crs_for_lonlat((x0 + x1) / 2.0, (y0 + y1) / 2.0))
    metric["hierarchy"] = metric["current_category"].fillna("")
    metric["length_m"] = metric["length_m"].astype(float)
    return metric


def defects_for_review(session: Session) -> Any:
    """Stored CONFIRMED defects as a DataFrame (id, class_name, segment_id, chainage_m, offset_m,
    first_seen, last_seen, sightings, width_m, status).

    Proposed and rejected findings are not evidence: a person confirms a finding before it
    changes a category or a frequency (:func:`store.review.only_confirmed`).
    """
    import pandas as pd

    from store.review import only_confirmed

    cols = [
        "id",
        "class_name",
        "segment_id",
        "chainage_m",
        "offset_m",
        "first_seen",
        "last_seen",
        "sightings",
        "width_m",
        "status",
    ]
    stmt = (
        select(
            Defect.id,
            Defect.class_name,
            Defect.segment_id,
            Defect.chainage_m,
            Defect.offset_m,
            Defect.first_seen,
            Defect.last_seen,
            Defect.sightings,
            Defect.max_width_m,
            Defect.status,
        )
        .where(Defect.segment_id.is_not(None))
        .order_by(Defect.id)
    )
    rows = [tuple(r) for r in session.execute(only_confirmed(stmt))]
    return pd.DataFrame(rows, columns=cols)


def overrides_from_store(session: Session) -> Any:
    """Every recorded override, oldest first (the review keeps the latest per segment)."""
    import pandas as pd

    stmt = select(
        HierarchyOverride.segment_id,
        HierarchyOverride.category,
        HierarchyOverride.reason,
        HierarchyOverride.author,
        HierarchyOverride.created_at,
    ).order_by(HierarchyOverride.created_at, HierarchyOverride.id)
    rows = [
        (r[0], r[1], r[2], r[3], r[4].isoformat() if r[4] else "") for r in session.execute(stmt)
    ]
    return pd.DataFrame(rows, columns=OVERRIDE_COLUMNS)


def add_override(
    session: Session, segment_id: str, category: str, reason: str, author: str = ""
) -> dict[str, Any]:
    """Record an override for a stored segment; returns it as a dict."""
    if session.get(RoadSegment, segment_id) is None:
        raise InputNotFoundError(f"segment {segment_id!r} is not in the database")
    row = HierarchyOverride(
        segment_id=segment_id,
        category=category,
        reason=reason,
        author=author or "",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return {
        "id": row.id,
        "segment_id": segment_id,
        "category": category,
        "reason": reason,
        "author": row.author,
        "created_at": row.created_at.isoformat(),
    }


def save_recommendations(session: Session, result: Any) -> int:
    """Write a review's categories, frequencies and condition to ``road_segment``; returns rows written.

    ``current_category`` is only filled where it was empty (the authority's
    category is never replaced); ``inspection_frequency`` is the current one.
    """
    import pandas as pd

    ids = [str(s) for s in result["segment_id"]]
    stored: dict[str, RoadSegment] = {}
    for start in range(0, len(ids), 900):
        for seg in session.scalars(
            select(RoadSegment).where(RoadSegment.id.in_(ids[start : start + 900]))
        ):
            stored[seg.id] = seg
    now = utcnow()
    written = 0
    cols = [
        "segment_id",
        "current_category",
        "recommended_category",
        "current_frequency",
        "recommended_frequency",
        "condition",
    ]
    if "reasons" in result.columns:
        cols.append("reasons")
    for rec in result[cols].itertuples(index=False):
        seg = stored.get(str(rec.segment_id))
        if seg is None:
            continue
        if not seg.current_category:
            seg.current_category = str(rec.current_category)
        seg.recommended_category = str(rec.recommended_category)
        seg.inspection_frequency = str(rec.current_frequency)
        seg.recommended_frequency = str(rec.recommended_frequency)
        seg.condition = None if pd.isna(rec.condition) else str(int(rec.condition))
        reasons = getattr(rec, "reasons", None)
        seg.hierarchy_reasons = None if reasons is None or pd.isna(reasons) else str(reasons)
        seg.updated_at = now
        written += 1
    session.flush()
    log.info("hierarchy: %d segments updated", written)
    return written


def save_defect_risk(session: Session, scored: Any) -> int:
    """Write ``risk_category``, ``risk`` (as risk_score) and ``response_due`` of scored defects (by ``id``)."""
    from store.defects import set_defect_risk

    n = 0
    for rec in scored[["id", "risk_category", "risk", "response_due"]].itertuples(index=False):
        due = (
            rec.response_due.to_pydatetime()
            if hasattr(rec.response_due, "to_pydatetime")
            else rec.response_due
        )
        set_defect_risk(session, int(rec.id), str(rec.risk_category), float(rec.risk), due)
        n += 1
    return n


def segment_hierarchy(session: Session, segment_id: str) -> dict[str, Any]:
    """Stored hierarchy fields of one segment and its override history (newest last)."""
    seg = session.get(RoadSegment, segment_id)
    if seg is None:
        raise InputNotFoundError(f"segment {segment_id!r} not found")
    history = session.scalars(
        select(HierarchyOverride)
        .where(HierarchyOverride.segment_id == segment_id)
        .order_by(HierarchyOverride.created_at, HierarchyOverride.id)
    ).all()
    return {
        "segment_id": seg.id,
        "source_id": seg.source_id,
        "name": seg.name,
        "road_class": seg.road_class,
        "length_m": seg.length_m,
        "current_category": seg.current_category,
        "recommended_category": seg.recommended_category,
        "inspection_frequency": seg.inspection_frequency,
        "recommended_frequency": seg.recommended_frequency,
        "condition": seg.condition,
        "reasons": seg.hierarchy_reasons,
        "updated_at": seg.updated_at.isoformat() if isinstance(seg.updated_at, datetime) else None,
        "overrides": [
            {
                "category": o.category,
                "reason": o.reason,
                "author": o.author,
                "created_at": o.created_at.isoformat() if o.created_at else None,
            }
            for o in history
        ],
    }
