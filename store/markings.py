"""Marking wear runs: store each survey's measured runs, read them back per segment and run.

A run is one painted line over one ``run_length_m`` stretch of a segment, measured by one
survey (``geo.placement.markings.WearRun``). Reading merges drives: for each line and run the
latest measurement is the value, earlier ones make its trend, and a change larger than the
repeatability between the last two is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store._sql import bbox_filter
from store.models import MarkingWearRun

#: Lines of two surveys closer than this (metres across the road) are the same line.
SAME_LINE_M = 0.5


def save_wear_runs(
    session: Session, survey_id: int, runs: Sequence[Any], measured_at: datetime | None
) -> int:
    """Replace the survey's runs with ``runs`` (WearRun-like objects). Returns how many."""
    session.execute(delete(MarkingWearRun).where(MarkingWearRun.survey_id == survey_id))
    rows = []
    for r in runs:
        (x1, y1), (x2, y2) = r.lonlat
        rows.append(
            MarkingWearRun(
                survey_id=survey_id,
                segment_id=r.segment_id,
                line_offset_m=float(r.line_offset_m),
                line_kind=r.line_kind,
                marking_type=getattr(r, "marking_type", "longitudinal"),
                run_index=int(r.run_index),
                start_m=float(r.start_m),
                end_m=float(r.end_m),
                wear=float(r.wear),
                paint_width_m=float(r.paint_width_m),
                reference_width_m=float(r.reference_width_m),
                covered_m=float(r.covered_m),
                frames=[list(f) for f in r.frames],
                measured_at=measured_at,
                dash_period_m=getattr(r, "dash_period_m", None),
                dash_phase_m=getattr(r, "dash_phase_m", None),
                geom=f"SRID=4326;LINESTRING({x1!r} {y1!r}, {x2!r} {y2!r})",
            )
        )
    session.add_all(rows)
    session.flush()
    return len(rows)


def reference_dashes(session: Session) -> dict[str, tuple[float, float, float]]:
    """Per segment, the dashed line (offset, period, phase) of the earliest survey that
    registered one there: the datum later surveys are slid onto along the road. Found in SQL
    (the earliest ``measured_at`` per segment), one row per segment whatever the history."""
    run = MarkingWearRun
    first = (
        select(run.segment_id, func.min(run.measured_at).label("at"))
        .where(run.dash_phase_m.is_not(None))
        .group_by(run.segment_id)
        .subquery()
    )
    stmt = (
        select(run.segment_id, run.line_offset_m, run.dash_period_m, run.dash_phase_m)
        .join(first, (run.segment_id == first.c.segment_id) & (run.measured_at == first.c.at))
        .where(run.dash_phase_m.is_not(None))
        .order_by(run.id)
    )
    out: dict[str, tuple[float, float, float]] = {}
    for seg, off, period, phase in session.execute(stmt).all():
        out.setdefault(seg, (float(off), float(period), float(phase)))
    return out


def _row_dict(row: MarkingWearRun, coords: list[list[float]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "survey_id": row.survey_id,
        "segment_id": row.segment_id,
        "line_offset_m": row.line_offset_m,
        "line_kind": row.line_kind,
        "marking_type": row.marking_type,
        "run_index": row.run_index,
        "start_m": row.start_m,
        "end_m": row.end_m,
        "wear": row.wear,
        "paint_width_m": row.paint_width_m,
        "reference_width_m": row.reference_width_m,
        "covered_m": row.covered_m,
        "frames": row.frames or [],
        "measured_at": row.measured_at,
        "confirmed_by": row.confirmed_by,
        "coordinates": coords,
    }


def list_wear_runs(
    session: Session,
    *,
    segment_id: str | None = None,
    bbox: Sequence[float] | None = None,
    survey_id: int | None = None,
) -> list[dict[str, Any]]:
    """Every stored measurement (one row per survey, line and run), oldest first."""
    table = MarkingWearRun.__table__
    stmt = select(MarkingWearRun, func.ST_AsText(MarkingWearRun.geom))
    if segment_id is not None:
        stmt = stmt.where(MarkingWearRun.segment_id == segment_id)
    if survey_id is not None:
        stmt = stmt.where(MarkingWearRun.survey_id == survey_id)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(session, table, bbox))
    stmt = stmt.order_by(MarkingWearRun.measured_at, MarkingWearRun.id)
    out = []
    for row, wkt in session.execute(stmt).all():
        inner = wkt[wkt.index("(") + 1 : wkt.rindex(")")]
        coords = [[float(v) for v in p.split()] for p in inner.split(",")]
        out.append(_row_dict(row, coords))
    return out


def merged_wear_runs(
    session: Session, *, repeatability: float, **filters: Any
) -> list[dict[str, Any]]:
    """One row per line and run: the latest wear, its trend over drives, and a change flag.

    Lines of different surveys on one segment are the same line when their offsets differ by
    less than :data:`SAME_LINE_M`.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    lines: dict[str, list[float]] = {}
    for m in list_wear_runs(session, **filters):
        known = lines.setdefault(m["segment_id"], [])
        line = next((o for o in known if abs(o - m["line_offset_m"]) < SAME_LINE_M), None)
        if line is None:
            known.append(m["line_offset_m"])
            line = m["line_offset_m"]
        groups.setdefault((m["segment_id"], line, m["run_index"]), []).append(m)
    out = []
    for (_seg, line, _run), ms in sorted(groups.items()):
        last = ms[-1]
        trend = [
            {"survey_id": m["survey_id"], "measured_at": m["measured_at"], "wear": m["wear"]}
            for m in ms
        ]
        change = last["wear"] - ms[-2]["wear"] if len(ms) > 1 else None
        out.append(
            {
                **last,
                "line_offset_m": line,
                "trend": trend,
                "change": change,
                "changed": change is not None and abs(change) > repeatability,
            }
        )
    return out
