"""The re-lining programme: measured marking wear instead of a fixed cycle.

:func:`load_markings_policy` reads ``hierarchy/policies/markings.yaml`` (every number with its
source) into :class:`MarkingsPolicy`. :func:`relining_programme` takes merged wear runs
(``store.markings.merged_wear_runs``) and the segments' hierarchy categories and returns the
runs above the threshold, ranked (safety markings first, then busier categories, then wear),
with lengths and cost at the policy rate, and the comparison with re-lining every measured
line every ``cycle_years``.

Risk rule (one place): marking wear is **planned maintenance**; only a marking type the policy
names in ``safety_marking_types`` (stop and give-way lines) gets a safety response time.
A run is a proposal until a named person confirms it (``confirmed_by``); the totals keep the
confirmed runs apart, and only they belong in a works order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roadcam.errors import ConfigError, InputNotFoundError

DEFAULT_MARKINGS_POLICY = Path(__file__).resolve().parent / "policies" / "markings.yaml"


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=3)


class SourcedFloat(_Sourced):
    value: float = Field(ge=0)


class SourcedList(_Sourced):
    value: tuple[str, ...]


class MarkingsPolicy(BaseModel):
    """The marking numbers of a council's policy; no defaults in code."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    wear_threshold: SourcedFloat
    cost_per_m_gbp: SourcedFloat
    cycle_years: SourcedFloat
    run_length_m: SourcedFloat
    repeatability: SourcedFloat
    safety_marking_types: SourcedList
    safety_response_days: SourcedFloat
    category_order: SourcedList


def load_markings_policy(path: str | Path | None = None) -> MarkingsPolicy:
    """The validated markings policy (default: ``hierarchy/policies/markings.yaml``)."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_MARKINGS_POLICY
    if not p.is_file():
        raise InputNotFoundError("no such markings policy file", path=str(p))
    try:
        raw = yaml.safe_load(p.read_text())
        return MarkingsPolicy.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as err:
        first = str(err).splitlines()[:3]
        raise ConfigError(f"bad markings policy: {' '.join(first)}", path=str(p)) from err


def response_for(marking_type: str, policy: MarkingsPolicy) -> dict[str, Any]:
    """Planned maintenance, unless the policy names the marking type as a safety marking."""
    if marking_type in policy.safety_marking_types.value:
        return {"response": "safety", "response_days": policy.safety_response_days.value}
    return {"response": "planned", "response_days": None}


def _rank_key(row: dict[str, Any], order: tuple[str, ...]) -> tuple:
    cat = row.get("category") or ""
    cat_rank = order.index(cat) if cat in order else len(order)
    return (row["response"] != "safety", cat_rank, -row["wear"])


def relining_programme(
    runs: list[dict[str, Any]], categories: dict[str, str | None], policy: MarkingsPolicy
) -> dict[str, Any]:
    """The ranked programme and its comparison with cyclical re-lining (see module docstring)."""
    threshold = policy.wear_threshold.value
    rate = policy.cost_per_m_gbp.value
    measured_m = sum(r["end_m"] - r["start_m"] for r in runs)
    rows = []
    for r in runs:
        if r["wear"] < threshold:
            continue
        length = r["end_m"] - r["start_m"]
        rows.append(
            {
                "run_id": r.get("id"),
                "segment_id": r["segment_id"],
                "category": categories.get(r["segment_id"]),
                "line_offset_m": r["line_offset_m"],
                "line_kind": r["line_kind"],
                "marking_type": r.get("marking_type", "longitudinal"),
                "start_m": r["start_m"],
                "end_m": r["end_m"],
                "length_m": round(length, 2),
                "wear": r["wear"],
                "cost_gbp": round(length * rate, 2),
                "confirmed_by": r.get("confirmed_by"),
                "frames": r.get("frames", []),
                **response_for(r.get("marking_type", "longitudinal"), policy),
            }
        )
    rows.sort(key=lambda row: _rank_key(row, policy.category_order.value))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    programme_m = sum(r["length_m"] for r in rows)
    confirmed_m = sum(r["length_m"] for r in rows if r["confirmed_by"])
    cyclical_m = measured_m / policy.cycle_years.value if policy.cycle_years.value else 0.0
    return {
        "runs": rows,
        "totals": {
            "measured_line_km": round(measured_m / 1000, 3),
            "programme_km": round(programme_m / 1000, 3),
            "programme_gbp": round(programme_m * rate, 2),
            "confirmed_km": round(confirmed_m / 1000, 3),
            "confirmed_gbp": round(confirmed_m * rate, 2),
            "cyclical_km_per_year": round(cyclical_m / 1000, 3),
            "cyclical_gbp_per_year": round(cyclical_m * rate, 2),
            "saved_km": round((cyclical_m - programme_m) / 1000, 3),
            "saved_gbp": round((cyclical_m - programme_m) * rate, 2),
        },
        "policy": {
            "wear_threshold": threshold,
            "cost_per_m_gbp": rate,
            "cost_source": policy.cost_per_m_gbp.source,
            "cycle_years": policy.cycle_years.value,
            "cycle_source": policy.cycle_years.source,
        },
    }


def programme_csv_rows(programme: dict[str, Any]) -> list[dict[str, Any]]:
    """The programme's runs as flat CSV rows (frames joined)."""
    cols = (
        "rank segment_id category line_kind marking_type line_offset_m start_m end_m length_m "
        "wear cost_gbp response response_days confirmed_by"
    ).split()
    return [
        {**{c: r.get(c) for c in cols}, "frames": ";".join(f"{s}#{i}" for s, i in r["frames"])}
        for r in programme["runs"]
    ]
