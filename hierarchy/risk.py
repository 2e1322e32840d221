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
    resp = policy.section("risk")["responses"][category]
    if "hours" in resp:
        return found + timedelta(hours=float(resp["hours"]))
    if "working_days" in resp:
        return add_working_days(found, int(resp["working_days"]))
    if "days" in resp:
        return found + timedelta(days=float(resp["days"]))
    if resp.get("next_inspection"):
        return found + timedelta(days=float(next_inspection_days or 365.0))
    raise ValueError(f"response for {category!r} has no hours/working_days/days/next_inspection")


def category_from_risk(risk: int, policy: Policy) -> str:
    """The risk category of a risk factor (highest band whose ``min_risk`` it reaches)."""
    for band in sorted(policy.section("risk")["bands"], key=lambda b: -b["min_risk"]):
        if risk >= band["min_risk"]:
            return str(band["category"])
    return str(policy.section("risk")["bands"][-1]["category"])


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
    cfg = policy.section("risk")
    out = pd.DataFrame(defects).copy()
    if len(out) == 0:
        for c in (
            "impact",
            "probability",
            "risk",
            "risk_category",
            "response_due",
            "to_confirm",
            "risk_reasons",
        ):
            out[c] = pd.Series(dtype=object)
        return out
    asof = asof or datetime.now(UTC)
    class_col = next((c for c in ("class", "defect_class", "class_name") if c in out.columns), None)
    cat_col = category_column if category_column in segments else "current_category"
    seg = segments.set_index(segments["segment_id"].astype(str))
    junctions = junction_nodes_from_segments(segments)
    speeds = cfg.get("speed_mph_by_road_class", {})
    ladder_days = {name: 365.0 / per for name, per in policy.section("frequencies").items()}
    impacts, probs, risks, cats, dues, confirm, reasons = [], [], [], [], [], [], []
    for _, d in out.iterrows():
        why: list[str] = []
        cls = str(d[class_col]) if class_col else "default"
        impact = int(cfg["impact_by_class"].get(cls, cfg["impact_by_class"].get("default", 2)))
        width = float(d["width_m"]) if "width_m" in out and pd.notna(d.get("width_m")) else np.nan
        if not np.isnan(width) and width >= float(cfg.get("impact_size_width_m", 0.3)):
            impact += 1
            why.append(f"width {width:.2f} m")
        sid = str(d["segment_id"])
        s = seg.loc[sid] if sid in seg.index else None
        if isinstance(s, pd.DataFrame):
            s = s.iloc[0]
        if s is not None:
            rc = str(s.get("road_class", ""))
            speed = s.get("maxspeed_mph") if "maxspeed_mph" in seg else None
            speed = (
                float(speed)
                if speed is not None and pd.notna(speed)
                else float(speeds.get(rc, speeds.get("default", 30)))
            )
            if speed >= float(cfg.get("impact_speed_mph", 40)):
                impact += 1
                why.append(f"road speed {speed:.0f} mph")
            category = str(s.get(cat_col))
        else:
            category = policy.codes[-1]
            why.append("segment unknown")
        prob = int(cfg["probability_by_category"].get(category, 1))
        why.append(f"category {category}")
        wheel = d.get("in_wheel_track") if "in_wheel_track" in out else None
        if (wheel is None or pd.isna(wheel)) and "offset_m" in out and pd.notna(d.get("offset_m")):
            off = abs(float(d["offset_m"]))
            wheel = any(lo <= off <= hi for lo, hi in cfg.get("wheel_track_offsets_m", []))
        if wheel is not None and not pd.isna(wheel) and bool(wheel):
            prob += 1
            why.append("wheel track")
        if s is not None and "chainage_m" in out and pd.notna(d.get("chainage_m")):
            ch = float(d["chainage_m"])
            near = float(cfg.get("junction_distance_m", 20))
            if (ch <= near and str(s["u"]) in junctions) or (
                float(s["length_m"]) - ch <= near and str(s["v"]) in junctions
            ):
                prob += 1
                why.append("near a junction")
        impact, prob = min(max(impact, 1), 4), min(max(prob, 1), 4)
        risk = impact * prob
        cat = category_from_risk(risk, policy)
        found = (
            pd.to_datetime(d["first_seen"], utc=True).to_pydatetime()
            if "first_seen" in out and pd.notna(d.get("first_seen"))
            else asof
        )
        freq = (
            policy.frequency_for(category)
            if category in policy.codes
            else policy.frequency_ladder[-1]
        )
        dues.append(response_due_from_category(cat, found, policy, ladder_days.get(freq)))
        to_conf = (
            cls == "pothole"
            and not np.isnan(width)
            and width >= float(cfg.get("intervention_width_m", 0.3))
        )
        if to_conf:
            why.append(
                f"intervention-level candidate: confirm depth >= {cfg.get('confirm_depth_mm', 40)} mm on site"
            )
        impacts.append(impact)
        probs.append(prob)
        risks.append(risk)
        cats.append(cat)
        confirm.append(bool(to_conf))
        reasons.append("; ".join(why))
    out["impact"] = impacts
    out["probability"] = probs
    out["risk"] = risks
    out["risk_category"] = cats
    out["response_due"] = pd.to_datetime(dues, utc=True)
    out["to_confirm"] = confirm
    out["risk_reasons"] = reasons
    return out


def condition_from_evidence(
    weighted_open_per_km: float, surveyed: bool, policy: Policy
) -> int | None:
    """Indicative condition category 1–5 (PAS 2161:2024 spirit) from weighted open defects per km.

    None where the cameras never surveyed the segment. The rule (weights and
    bands) is roadcam's own and lives in the policy's ``condition`` section.
    """
    if not surveyed or weighted_open_per_km is None or np.isnan(weighted_open_per_km):
        return None
    cfg = policy.section("condition")
    for band in sorted(cfg["bands"], key=lambda b: b["max_per_km"]):
        if weighted_open_per_km <= float(band["max_per_km"]) + 1e-12:
            return int(band["category"])
    return int(cfg.get("worst", 5))
