"""Defect risk (impact × probability → category and response date) and condition 1–5.

risk = impact (1–4) × probability (1–4), as councils apply the WMHI Code
(C: Buckinghamshire). Impact comes from the defect class, its estimated size
and the road speed; probability from the segment's hierarchy category and the
defect's position (wheel track, junction). The bands that turn a risk into
emergency / Cat 1 / Cat 2 high-medium-low are inferred and live in the policy.
A camera cannot measure depth, so a pothole at least the intervention width is
flagged "to confirm", never asserted as an intervention-level defect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .evidence import junction_nodes_from_segments
from .policy import Policy

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

RISK_CATEGORIES = ("emergency", "cat1", "cat2_high", "cat2_medium", "cat2_low")


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Mon–Fri; bank holidays are not known here)."""
    out = start
    added = 0
    while added < days:
        out += timedelta(days=1)
        if out.weekday() < 5:
            added += 1
    return out


def response_due_from_category(
    category: str, found: datetime, policy: Policy, next_inspection_days: float | None = None
) -> datetime:
    """The response deadline for a risk category (policy ``risk.responses``)."""
    resp = policy.risk.responses[category]
    if resp.hours is not None:
        return found + timedelta(hours=resp.hours)
    if resp.working_days is not None:
        return add_working_days(found, resp.working_days)
    if resp.days is not None:
        return found + timedelta(days=resp.days)
    if next_inspection_days is None:
        raise ValueError(f"response for {category!r} is the next inspection: give its interval")
    return found + timedelta(days=next_inspection_days)


def category_from_risk(risk: int, policy: Policy) -> str:
    """The risk category of a risk factor (highest band whose ``min_risk`` it reaches)."""
    bands = sorted(policy.risk.bands, key=lambda b: -b.min_risk)
    for band in bands:
        if risk >= band.min_risk:
            return band.category
    return bands[-1].category


RISK_COLUMNS = (
    "impact",
    "probability",
    "risk",
    "risk_category",
    "response_due",
    "to_confirm",
    "risk_reasons",
)


def score_defect_risk(
    defects: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    policy: Policy,
    category_column: str = "recommended_category",
    asof: datetime | None = None,
) -> pd.DataFrame:
    """Score each defect: impact, probability, risk, risk_category, response_due, to_confirm.

    ``defects`` needs ``segment_id`` and a class column (``class``,
    ``defect_class`` or ``class_name``); optional ``width_m``, ``chainage_m``,
    ``offset_m`` (metres from the centreline), ``in_wheel_track``,
    ``first_seen``. ``segments`` gives the category (``category_column``, or
    ``current_category``), ``road_class``, ``u``, ``v``, ``length_m`` and, if
    present, ``maxspeed_mph``. The response runs from ``first_seen`` (or
    ``asof``). Re-run it after a hierarchy change: the probability follows the
    category. Returns a copy of ``defects`` with the new columns.
    """
    out = pd.DataFrame(defects).copy()
    if len(out) == 0:
        for c in RISK_COLUMNS:
            out[c] = pd.Series(dtype=object)
        return out
    ctx = _RiskContext(
        policy=policy,
        segments=segments.set_index(segments["segment_id"].astype(str)),
        category_column=(category_column if category_column in segments else "current_category"),
        junctions=junction_nodes_from_segments(segments),
        asof=asof or datetime.now(UTC),
    )
    rows = [_score_one(d, ctx) for _, d in out.iterrows()]
    for i, c in enumerate(RISK_COLUMNS):
        out[c] = [r[i] for r in rows]
    out["response_due"] = pd.to_datetime(out["response_due"], utc=True)
    return out


@dataclass(frozen=True)
class _RiskContext:
    policy: Policy
    segments: pd.DataFrame  # indexed by segment_id
    category_column: str
    junctions: set
    asof: datetime


def _value(d: pd.Series, column: str) -> float:
    """A defect's number in ``column``, NaN when the column or the value is missing."""
    v = d.get(column)
    return float(v) if v is not None and pd.notna(v) else np.nan


def _score_one(d: pd.Series, ctx: _RiskContext) -> tuple:
    """One defect's (impact, probability, risk, category, due, to_confirm, reasons)."""
    cfg, policy = ctx.policy.risk, ctx.policy
    why: list[str] = []
    cls = next((str(d[c]) for c in ("class", "defect_class", "class_name") if c in d), "default")
    width = _value(d, "width_m")
    s = _segment_of(d, ctx)
    impact = _impact(cls, width, s, ctx, why)
    category = str(s.get(ctx.category_column)) if s is not None else policy.codes[-1]
    if s is None:
        why.append("segment unknown")
    prob = _probability(d, s, category, ctx, why)
    risk = impact * prob
    cat = category_from_risk(risk, policy)
    found = (
        pd.to_datetime(d["first_seen"], utc=True).to_pydatetime()
        if pd.notna(d.get("first_seen"))
        else ctx.asof
    )
    freq = policy.frequency_for(category) if category in policy.codes else None
    freq = freq or policy.frequency_ladder[-1]
    due = response_due_from_category(cat, found, policy, 365.0 / policy.per_year(freq))
    to_confirm = cls == "pothole" and not np.isnan(width) and width >= cfg.intervention_width_m
    if to_confirm:
        why.append(
            f"intervention-level candidate: confirm depth >= {cfg.confirm_depth_mm:g} mm on site"
        )
    return impact, prob, risk, cat, due, to_confirm, "; ".join(why)


def _segment_of(d: pd.Series, ctx: _RiskContext) -> pd.Series | None:
    sid = str(d["segment_id"])
    if sid not in ctx.segments.index:
        return None
    s = ctx.segments.loc[sid]
    return s.iloc[0] if isinstance(s, pd.DataFrame) else s


def _impact(cls: str, width: float, s: pd.Series | None, ctx: _RiskContext, why: list[str]) -> int:
    """Impact 1-4: the class's base impact, +1 when wide, +1 on a fast road."""
    cfg = ctx.policy.risk
    impact = cfg.impact_of_class(cls)
    if not np.isnan(width) and width >= cfg.impact_size_width_m:
        impact += 1
        why.append(f"width {width:.2f} m")
    if s is not None:
        speed = _value(s, "maxspeed_mph")
        if np.isnan(speed):
            speed = cfg.speed_of_road_class(str(s.get("road_class", "")))
        if speed >= cfg.impact_speed_mph:
            impact += 1
            why.append(f"road speed {speed:.0f} mph")
    return min(max(impact, 1), 4)


def _probability(
    d: pd.Series, s: pd.Series | None, category: str, ctx: _RiskContext, why: list[str]
) -> int:
    """Probability 1-4: from the hierarchy category, +1 in a wheel track, +1 near a junction."""
    cfg = ctx.policy.risk
    prob = cfg.probability_by_category[category]
    why.append(f"category {category}")
    wheel = d.get("in_wheel_track")
    offset = _value(d, "offset_m")
    if (wheel is None or pd.isna(wheel)) and not np.isnan(offset):
        wheel = any(lo <= abs(offset) <= hi for lo, hi in cfg.wheel_track_offsets_m)
    if wheel is not None and not pd.isna(wheel) and bool(wheel):
        prob += 1
        why.append("wheel track")
    chainage = _value(d, "chainage_m")
    if s is not None and not np.isnan(chainage):
        near = cfg.junction_distance_m
        at_start = chainage <= near and str(s["u"]) in ctx.junctions
        at_end = float(s["length_m"]) - chainage <= near and str(s["v"]) in ctx.junctions
        if at_start or at_end:
            prob += 1
            why.append("near a junction")
    return min(max(prob, 1), 4)


def condition_from_evidence(
    weighted_open_per_km: float, surveyed: bool, policy: Policy
) -> int | None:
    """Indicative condition category 1–5 (PAS 2161:2024 spirit) from weighted open defects per km.

    None where the cameras never surveyed the segment. The rule (weights and
    bands) is roadcam's own and lives in the policy's ``condition`` section.
    """
    if not surveyed or weighted_open_per_km is None or np.isnan(weighted_open_per_km):
        return None
    cfg = policy.condition
    for band in sorted(cfg.bands, key=lambda b: b.max_per_km):
        if weighted_open_per_km <= band.max_per_km + 1e-12:
            return band.category
    return cfg.worst
