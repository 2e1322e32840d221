"""Inspection schedules: how many km are inspected how often, now and as the hierarchy review recommends."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Reader
from api.deps import SessionDep
from api.schemas.schedule import FrequencyRow, Schedule

router = APIRouter(prefix="/schedules", tags=["schedules"])


@router.get("", response_model=Schedule)
def schedule(session: SessionDep, _: Reader) -> Schedule:
    """Inspection-km per year by frequency, current vs recommended (frequencies from the hierarchy policy)."""
    from hierarchy.policy import load_policy
    from store.segments import inspection_km_by_frequency

    policy = load_policy()
    data = inspection_km_by_frequency(session)
    names = sorted(
        (set(data["current"]) | set(data["recommended"])) - {""},
        key=lambda f: -policy.per_year(f) if f in policy.frequencies else 0,
    )
    rows, before, after = [], 0.0, 0.0
    for f in names:
        per_year = policy.per_year(f) if f in policy.frequencies else None
        cur = data["current"].get(f, {"segments": 0, "km": 0.0})
        rec = data["recommended"].get(f, {"segments": 0, "km": 0.0})
        rows.append(
            FrequencyRow(
                frequency=f,
                inspections_per_year=per_year,
                current_segments=cur["segments"],
                current_km=cur["km"],
                recommended_segments=rec["segments"],
                recommended_km=rec["km"],
            )
        )
        before += (per_year or 0) * cur["km"]
        after += (per_year or 0) * rec["km"]
    return Schedule(
        rows=rows,
        current_inspection_km_per_year=round(before, 2),
        recommended_inspection_km_per_year=round(after, 2),
        change_percent=round(100 * (after - before) / before, 1) if before else None,
        unreviewed_km=data["recommended"].get("", {"km": 0.0})["km"],
    )
