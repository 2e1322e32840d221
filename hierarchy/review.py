"""The network hierarchy review: a pure function on GeoDataFrames.

:func:`review_hierarchy` gathers the evidence for each segment (road class,
traffic from AADT or a labelled betweenness proxy, key-site routes, bus and
winter-service routes, camera defects), turns it into a recommended category
with readable reasons, applies engineers' overrides, and recomputes the
inspection frequency (with a bounded risk-based adjustment) and an indicative
condition category. No database and no file I/O here.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.network.roads import graph_from_segments
from roadcam.errors import CRSError, NetworkError

from . import evidence as ev
from .policy import Policy, RouteLayer
from .risk import condition_from_evidence
from .routes import routes_from_sites

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = [
    "segment_id",
    "source_id",
    "name",
    "road_class",
    "current_category",
    "recommended_category",
    "current_frequency",
    "recommended_frequency",
    "condition",
    "reasons",
]


def _check_segments(segments: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if segments.crs is None:
        raise CRSError("segments have no CRS")
    if segments.crs.is_geographic:
        raise CRSError(
            f"segments are in {segments.crs.to_string()}; the review needs a metric CRS (EPSG:27700 in GB)"
        )
    if len(segments) == 0:
        raise NetworkError("the network has no segments")
    missing = [c for c in ("segment_id", "u", "v") if c not in segments]
    if missing:
        raise NetworkError(f"segments miss columns: {', '.join(missing)}")
    seg = segments.copy()
    if "length_m" not in seg:
        seg["length_m"] = seg.geometry.length
    for col in ("source_id", "name", "ref", "highway"):
        if col not in seg:
            seg[col] = ""
        seg[col] = seg[col].fillna("").astype(str)
    seg["segment_id"] = seg["segment_id"].astype(str)
    return seg.reset_index(drop=True)


def _fmt_int(x: float) -> str:
    return f"{int(round(x)):,}"


def _traffic_floor(aadt: float, pct: float, policy: Policy) -> tuple[str | None, str]:
    tcfg = policy.traffic
    if not np.isnan(aadt):
        for band in sorted(tcfg.aadt_bands, key=lambda b: -b.min_aadt):
            if aadt >= band.min_aadt:
                return (
                    band.category,
                    f"AADT {_fmt_int(aadt)} (counted) >= {_fmt_int(band.min_aadt)}, "
                    f"typical of {band.category} roads",
                )
        return None, f"AADT {_fmt_int(aadt)} (counted)"
    for band in sorted(tcfg.proxy.top_percent_bands, key=lambda b: b.top_percent):
        if pct > 100.0 - band.top_percent + 1e-9:
            why = f"traffic proxy (betweenness centrality) in the top {band.top_percent:g} %"
            return band.category, why
    return None, ""


def _low_traffic(aadt: float, pct: float, dead_end: bool, current: str, policy: Policy) -> str:
    tcfg = policy.traffic
    if not np.isnan(aadt):
        return (
            f"AADT {_fmt_int(aadt)} (counted) below {_fmt_int(tcfg.low_aadt)}"
            if aadt < tcfg.low_aadt
            else ""
        )
    low = tcfg.proxy.low_percent
    lowers = set(tcfg.proxy.lowers_only)
    if dead_end and pct <= low and current in lowers:
        return f"cul-de-sac; traffic proxy (betweenness centrality) in the bottom {low:g} %"
    return ""


def _adjust_frequency(base: str, code: str, row: pd.Series, policy: Policy) -> tuple[str, str]:
    """Risk-based adjustment of ``base`` within the category's limits; returns (frequency, reason)."""
    adj = policy.adjustment
    if not bool(row.get("surveyed", False)) or pd.isna(row.get("defects_per_km_month")):
        return base, ""
    ladder = list(policy.frequency_ladder)
    cat = policy.category(code)
    lo, hi = ladder.index(cat.most_frequent), ladder.index(cat.least_frequent)
    i = ladder.index(base)
    rate = float(row["defects_per_km_month"])
    passes = row.get("passes")
    months = float(row.get("months_observed", 0) or 0)
    if rate >= adj.fast_defects_per_km_month or row.get("trend") == "worsening":
        j = max(i - 1, lo)
        if j != i:
            why = f"{rate:.2f} defects/km/month" + (
                ", worsening" if row.get("trend") == "worsening" else ""
            )
            return ladder[j], f"inspected {ladder[j]} not {base}: cameras saw {why}"
    stable_passes = pd.notna(passes) and float(passes) >= adj.stable_min_passes
    if (
        stable_passes
        and months >= adj.stable_min_months
        and rate <= adj.stable_max_defects_per_km_month
    ):
        j = min(i + 1, hi)
        if j != i:
            return (
                ladder[j],
                f"inspected {ladder[j]} not {base}: stable, {int(passes)} camera passes in {months:.0f} months, no new defects",
            )
    return base, ""


@dataclass
class _Evidence:
    """What supports each segment's category, gathered phase by phase.

    ``floors[i]`` lists (category, reason) pairs that support at least that category;
    ``notes[i]`` are reasons that support nothing; ``support`` is the strongest
    category per kind of evidence (written out as the ``support_*`` columns).
    """

    n: int
    floors: list[list[tuple[str, str]]] = field(init=False)
    notes: list[list[str]] = field(init=False)
    support: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.floors = [[] for _ in range(self.n)]
        self.notes = [[] for _ in range(self.n)]
        self.support = {k: [""] * self.n for k in ("traffic", "sites", "bus", "winter")}


def review_hierarchy(
    segments: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph | None,
    policy: Policy,
    sites: gpd.GeoDataFrame | None = None,
    traffic: pd.DataFrame | None = None,
    bus_routes: gpd.GeoDataFrame | pd.DataFrame | None = None,
    winter_routes: gpd.GeoDataFrame | pd.DataFrame | None = None,
    defects: pd.DataFrame | None = None,
    passes: pd.DataFrame | None = None,
    overrides: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Review every segment's hierarchy category and inspection frequency.

    ``segments`` follows the geo.network.roads contract (metric CRS; segment_id,
    source_id, name, ref, highway, road_class, u, v, length_m, hierarchy).
    ``graph`` is the routable graph (built from the segments when None).
    ``traffic`` has ``source_id, aadt``; ``sites`` are points with ``kind`` and
    ``name``; ``overrides`` has ``segment_id, category, reason, author,
    created_at`` (the latest per segment wins). Returns the segments with
    :data:`OUTPUT_COLUMNS` plus the score breakdown (``support_*`` columns,
    ``aadt``, ``traffic_proxy_pct``, camera evidence, ``change``, inspection-km).
    ``result.attrs["site_routes"]`` lists what was found for each site.
    """
    seg = _check_segments(segments)
    _add_current_categories(seg, policy)
    evidence = _Evidence(len(seg))
    _add_traffic_evidence(seg, graph, traffic, policy, evidence)
    site_routes = _add_site_evidence(seg, sites, policy, evidence)
    _add_route_layer_evidence(seg, "bus", bus_routes, policy.bus_routes, evidence)
    _add_route_layer_evidence(seg, "winter", winter_routes, policy.winter_routes, evidence)
    for key, values in evidence.support.items():
        seg[f"support_{key}"] = values
    reasons = _recommend_categories(seg, evidence, policy)
    _apply_overrides(seg, overrides, policy, reasons)
    _add_frequencies_and_condition(seg, defects, passes, policy, reasons)
    seg.attrs["site_routes"] = [asdict(r) for r in site_routes]
    seg.attrs["policy"] = policy.source
    has_aadt = seg["aadt"].notna()
    seg.attrs["traffic_source"] = (
        "AADT" if has_aadt.all() else ("AADT + proxy" if has_aadt.any() else "proxy")
    )
    log.info(
        "hierarchy review: %d segments, %d raised, %d lowered, %d overridden",
        len(seg),
        int((seg["change"] == "raised").sum()),
        int((seg["change"] == "lowered").sum()),
        int((seg["override"] != "").sum()),
    )
    front = OUTPUT_COLUMNS + ["change", "auto_category", "override"]
    rest = [c for c in seg.columns if c not in front and c != "geometry"]
    return seg[front + rest + ["geometry"]]


def _add_current_categories(seg: gpd.GeoDataFrame, policy: Policy) -> None:
    road_class = ev.road_classes_from_segments(seg)
    seg["road_class"] = road_class
    seg["classification"] = road_class.map(ev.classification_from_road_class)
    current, source = ev.current_categories_from_segments(seg, road_class, policy)
    seg["current_category"] = current
    seg["current_category_source"] = source


def _add_traffic_evidence(
    seg: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph | None,
    traffic: pd.DataFrame | None,
    policy: Policy,
    evidence: _Evidence,
) -> None:
    """Counted AADT where given, else the betweenness proxy (which raises a road at most
    ``traffic.proxy.max_raise_steps``); dead ends for the lowering rule."""
    seg["aadt"] = ev.aadt_from_traffic(seg, traffic)
    if seg["aadt"].isna().any():
        g = graph if graph is not None else graph_from_segments(seg)
        proxy, pct = ev.traffic_proxy_from_graph(seg, g, policy)
    else:
        proxy, pct = pd.Series(np.nan, index=seg.index), pd.Series(np.nan, index=seg.index)
    seg["traffic_proxy"] = proxy
    seg["traffic_proxy_pct"] = pct.round(1)
    seg["dead_end"] = ev.dead_ends_from_graph(seg, policy.changes.open_end_margin_m)
    current = seg["current_category"]
    proxy_pct = seg["traffic_proxy_pct"].fillna(0.0)
    for i, (a, p) in enumerate(zip(seg["aadt"], proxy_pct, strict=True)):
        cat, why = _traffic_floor(float(a), float(p), policy)
        if cat and np.isnan(float(a)):  # a proxy alone moves a road at most max_raise_steps
            cap = policy.step(current.iloc[i], -policy.traffic.proxy.max_raise_steps)
            cat = cat if policy.rank(cat) >= policy.rank(cap) else cap
        if cat:
            evidence.floors[i].append((cat, why))
            evidence.support["traffic"][i] = cat
        elif why:
            evidence.notes[i].append(why)


def _add_site_evidence(
    seg: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None, policy: Policy, evidence: _Evidence
) -> list:
    """Segments on the routes from key sites to the distributor network."""
    has_sites = sites is not None and len(sites)
    site_routes = (
        routes_from_sites(seg, sites, seg["current_category"], policy) if has_sites else []
    )
    pos = {sid: i for i, sid in enumerate(seg["segment_id"])}
    site_labels: list[list[str]] = [[] for _ in range(len(seg))]
    for r in site_routes:
        cat = policy.sites.kinds.get(r.kind)
        for role, ids in (("shortest route", r.shortest), ("alternative route", r.alternative)):
            for sid in ids:
                i = pos[sid]
                why = f"{role} to {r.site_name}"
                site_labels[i].append(why)
                if cat:
                    evidence.floors[i].append((cat, why))
                    prev = evidence.support["sites"][i]
                    evidence.support["sites"][i] = policy.higher(cat, prev) if prev else cat
    seg["site_routes"] = ["; ".join(x) for x in site_labels]
    return site_routes


def _add_route_layer_evidence(
    seg: gpd.GeoDataFrame,
    key: str,
    lines: gpd.GeoDataFrame | pd.DataFrame | None,
    cfg: RouteLayer,
    evidence: _Evidence,
) -> None:
    """Bus or winter-service routes along a segment support ``cfg.category``."""
    labels = (
        ev.segments_along_lines(seg, lines, cfg.buffer_m, cfg.min_overlap)
        if lines is not None
        else pd.Series("", index=seg.index)
    )
    seg["bus_route" if key == "bus" else "winter_route"] = labels.values
    what = "bus route" if key == "bus" else "winter-service route"
    for i, label in enumerate(labels):
        if label:
            evidence.floors[i].append((cfg.category, f"{what} {label}".strip()))
            evidence.support[key][i] = cfg.category


def _recommend_categories(seg: gpd.GeoDataFrame, evidence: _Evidence, policy: Policy) -> list[str]:
    """The review's own recommendation per segment (before overrides), with its reason."""
    auto, change, reasons = [], [], []
    for i in range(len(seg)):
        cat, kind, why = _recommend_one(seg, i, evidence, policy)
        auto.append(cat)
        change.append(kind)
        reasons.append(why)
    seg["auto_category"] = auto
    seg["recommended_category"] = auto
    seg["change"] = change
    seg["override"] = ""
    return reasons


def _recommend_one(
    seg: gpd.GeoDataFrame, i: int, evidence: _Evidence, policy: Policy
) -> tuple[str, str, str]:
    """Raise to the strongest floor (capped), else lower a lightly used road, else keep."""
    chg = policy.changes
    cur = seg["current_category"].iloc[i]
    cur_rank = policy.rank(cur)
    higher = [(c, w) for c, w in evidence.floors[i] if policy.rank(c) < cur_rank]
    supporting = [(c, w) for c, w in evidence.floors[i] if policy.rank(c) <= cur_rank]
    if higher:
        best = min((c for c, _ in higher), key=policy.rank)
        cap = policy.step(cur, -chg.max_raise_steps)
        rec = best if policy.rank(best) >= policy.rank(cap) else cap
        why = "; ".join(dict.fromkeys(w for _, w in higher))
        return rec, "raised", f"raised from {cur} to {rec}: {why}"
    low = _low_traffic(
        float(seg["aadt"].iloc[i]),
        float(seg["traffic_proxy_pct"].fillna(100).iloc[i]),
        bool(seg["dead_end"].iloc[i]),
        cur,
        policy,
    )
    protected = seg["road_class"].iloc[i] in chg.protected_road_classes
    if not supporting and low and not protected and cur in chg.lowered_to:
        target = chg.lowered_to[cur]
        if policy.rank(target) - cur_rank > chg.max_lower_steps:
            target = policy.step(cur, chg.max_lower_steps)
        if policy.rank(target) > cur_rank:
            return target, "lowered", f"lowered from {cur} to {target}: {low}"
    why = "; ".join(dict.fromkeys([w for _, w in supporting] + evidence.notes[i]))
    return cur, "unchanged", f"unchanged ({cur})" + (f": {why}" if why else "")


def _add_frequencies_and_condition(
    seg: gpd.GeoDataFrame,
    defects: pd.DataFrame | None,
    passes: pd.DataFrame | None,
    policy: Policy,
    reasons: list[str],
) -> None:
    """Camera evidence, the (risk-adjusted) frequencies, condition and inspection-km."""
    cam = ev.camera_evidence_from_defects(seg, defects, policy, passes)
    for col in cam.columns:
        seg[col] = cam[col].values
    seg["current_frequency"] = [policy.frequency_for(c) for c in seg["current_category"]]
    rec_freq, cond = [], []
    for i in range(len(seg)):
        row = seg.iloc[i]
        base = policy.frequency_for(row["recommended_category"])
        freq, why = _adjust_frequency(base, row["recommended_category"], row, policy)
        rec_freq.append(freq)
        if why:
            reasons[i] += f"; {why}"
        weighted = float(row["weighted_open_per_km"])
        cond.append(condition_from_evidence(weighted, bool(row["surveyed"]), policy))
    seg["recommended_frequency"] = rec_freq
    seg["condition"] = pd.array(cond, dtype="Int64")
    seg["reasons"] = reasons
    km = seg["length_m"].astype(float) / 1000.0
    seg["current_inspection_km_per_year"] = km * seg["current_frequency"].map(policy.per_year)
    seg["recommended_inspection_km_per_year"] = km * seg["recommended_frequency"].map(
        policy.per_year
    )


def _apply_overrides(
    seg: gpd.GeoDataFrame, overrides: pd.DataFrame | None, policy: Policy, reasons: list[str]
) -> None:
    """Replace the recommendation where an engineer recorded an override (latest wins)."""
    if overrides is None or len(overrides) == 0:
        return
    o = pd.DataFrame(overrides).copy()
    o["segment_id"] = o["segment_id"].astype(str)
    if "created_at" in o:
        o["_t"] = pd.to_datetime(o["created_at"], utc=True, errors="coerce")
        o = o.sort_values("_t", kind="stable")
    latest = o.groupby("segment_id").tail(1).set_index("segment_id")
    pos = {sid: i for i, sid in enumerate(seg["segment_id"])}
    for sid, row in latest.iterrows():
        if sid not in pos:
            log.warning("override for unknown segment %s ignored", sid)
            continue
        code = ev.normalise_category(row["category"], policy)
        if code is None:
            log.warning("override for %s has unknown category %r; ignored", sid, row["category"])
            continue
        i = pos[sid]
        auto = seg.at[i, "auto_category"]
        who = str(row.get("author", "") or "engineer")
        when = str(row.get("created_at", "") or "")[:10]
        seg.at[i, "recommended_category"] = code
        seg.at[i, "override"] = code
        cur = seg.at[i, "current_category"]
        d = policy.rank(code) - policy.rank(cur)
        seg.at[i, "change"] = "raised" if d < 0 else ("lowered" if d > 0 else "unchanged")
        reasons[i] = (
            f"override to {code} (from {cur}) by {who}{' on ' + when if when else ''}: {row.get('reason', '')}"
            f" [review alone: {reasons[i] if auto != code else 'agrees'}]"
        )
