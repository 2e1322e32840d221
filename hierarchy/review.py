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
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from roadcam.errors import CRSError, NetworkError

from . import evidence as ev
from .policy import Policy
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


def graph_from_segments(segments: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """A routable MultiDiGraph from segments (``u``, ``v``, ``oneway``, ``length_m``).

    Same shape as ``geo.network.roads.RoadNetwork.graph``: two-way segments get both
    directions, edges carry ``segment_id``, ``length_m`` and ``reverse``.
    """
    import networkx as nx

    g = nx.MultiDiGraph()
    oneway = (
        segments["oneway"].fillna(False).astype(bool)
        if "oneway" in segments
        else pd.Series(False, index=segments.index)
    )
    for sid, u, v, length, one in zip(
        segments["segment_id"].astype(str),
        segments["u"].astype(str),
        segments["v"].astype(str),
        segments["length_m"].astype(float),
        oneway,
        strict=True,
    ):
        g.add_edge(u, v, segment_id=sid, length_m=length, reverse=False)
        if not one:
            g.add_edge(v, u, segment_id=sid, length_m=length, reverse=True)
    return g


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
    tcfg = policy.section("traffic")
    if not np.isnan(aadt):
        for band in sorted(tcfg.get("aadt_bands", []), key=lambda b: -b["min_aadt"]):
            if aadt >= band["min_aadt"]:
                return (
                    str(band["category"]),
                    f"AADT {_fmt_int(aadt)} (counted) >= {_fmt_int(band['min_aadt'])}, typical of {band['category']} roads",
                )
        return None, f"AADT {_fmt_int(aadt)} (counted)"
    for band in sorted(tcfg["proxy"].get("top_percent_bands", []), key=lambda b: b["top_percent"]):
        if pct > 100.0 - float(band["top_percent"]) + 1e-9:
            return str(
                band["category"]
            ), f"traffic proxy (betweenness centrality) in the top {band['top_percent']:g} %"
    return None, ""


def _low_traffic(aadt: float, pct: float, dead_end: bool, current: str, policy: Policy) -> str:
    tcfg = policy.section("traffic")
    if not np.isnan(aadt):
        return (
            f"AADT {_fmt_int(aadt)} (counted) below {_fmt_int(tcfg['low_aadt'])}"
            if aadt < float(tcfg["low_aadt"])
            else ""
        )
    low = float(tcfg["proxy"].get("low_percent", 25))
    lowers = {str(c) for c in tcfg["proxy"].get("lowers_only", policy.codes)}
    if dead_end and pct <= low and current in lowers:
        return f"cul-de-sac; traffic proxy (betweenness centrality) in the bottom {low:g} %"
    return ""


def _adjust_frequency(base: str, code: str, row: pd.Series, policy: Policy) -> tuple[str, str]:
    """Risk-based adjustment of ``base`` within the category's limits; returns (frequency, reason)."""
    adj = policy.section("adjustment")
    if not bool(row.get("surveyed", False)) or pd.isna(row.get("defects_per_km_month")):
        return base, ""
    ladder = list(policy.frequency_ladder)
    cat = policy.category(code)
    lo, hi = ladder.index(cat.most_frequent), ladder.index(cat.least_frequent)
    i = ladder.index(base)
    rate = float(row["defects_per_km_month"])
    passes = row.get("passes")
    months = float(row.get("months_observed", 0) or 0)
    if rate >= float(adj["fast_defects_per_km_month"]) or row.get("trend") == "worsening":
        j = max(i - 1, lo)
        if j != i:
            why = f"{rate:.2f} defects/km/month" + (
                ", worsening" if row.get("trend") == "worsening" else ""
            )
            return ladder[j], f"inspected {ladder[j]} not {base}: cameras saw {why}"
    stable_passes = pd.notna(passes) and float(passes) >= float(adj["stable_min_passes"])
    if (
        stable_passes
        and months >= float(adj["stable_min_months"])
        and rate <= float(adj["stable_max_defects_per_km_month"])
    ):
        j = min(i + 1, hi)
        if j != i:
            return (
                ladder[j],
                f"inspected {ladder[j]} not {base}: stable, {int(passes)} camera passes in {months:.0f} months, no new defects",
            )
    return base, ""


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
    n = len(seg)
    road_class = ev.road_classes_from_segments(seg)
    seg["road_class"] = road_class
    seg["classification"] = road_class.map(ev.classification_from_road_class)
    current, source = ev.current_categories_from_segments(seg, road_class, policy)
    seg["current_category"] = current
    seg["current_category_source"] = source

    # Traffic: counted AADT where given, else the betweenness proxy.
    seg["aadt"] = ev.aadt_from_traffic(seg, traffic)
    if seg["aadt"].isna().any():
        g = graph if graph is not None else graph_from_segments(seg)
        proxy, pct = ev.traffic_proxy_from_graph(seg, g, policy)
    else:
        proxy, pct = pd.Series(np.nan, index=seg.index), pd.Series(np.nan, index=seg.index)
    seg["traffic_proxy"] = proxy
    seg["traffic_proxy_pct"] = pct.round(1)
    seg["dead_end"] = ev.dead_ends_from_graph(
        seg, float(policy.section("changes").get("open_end_margin_m", 0.0))
    )

    floors: list[list[tuple[str, str]]] = [[] for _ in range(n)]  # (category, reason)
    notes: list[list[str]] = [[] for _ in range(n)]
    support = {k: [""] * n for k in ("traffic", "sites", "bus", "winter")}
    for i, (a, p) in enumerate(zip(seg["aadt"], seg["traffic_proxy_pct"].fillna(0.0), strict=True)):
        cat, why = _traffic_floor(float(a), float(p), policy)
        if cat and np.isnan(float(a)):  # a proxy alone moves a road at most max_raise_steps
            cap = policy.step(
                current.iloc[i], -int(policy.section("traffic")["proxy"].get("max_raise_steps", 1))
            )
            cat = cat if policy.rank(cat) >= policy.rank(cap) else cap
        if cat:
            floors[i].append((cat, why))
            support["traffic"][i] = cat
        elif why:
            notes[i].append(why)

    site_routes = (
        routes_from_sites(seg, sites, current, policy) if sites is not None and len(sites) else []
    )
    pos = {sid: i for i, sid in enumerate(seg["segment_id"])}
    seg["site_routes"] = ""
    site_labels: list[list[str]] = [[] for _ in range(n)]
    for r in site_routes:
        cat = (
            str(policy.section("sites")["kinds"].get(r.kind, ""))
            if r.kind in policy.section("sites")["kinds"]
            else None
        )
        for role, ids in (("shortest route", r.shortest), ("alternative route", r.alternative)):
            for sid in ids:
                i = pos[sid]
                why = f"{role} to {r.site_name}"
                site_labels[i].append(why)
                if cat:
                    floors[i].append((cat, why))
                    support["sites"][i] = (
                        policy.higher(cat, support["sites"][i]) if support["sites"][i] else cat
                    )
    seg["site_routes"] = ["; ".join(x) for x in site_labels]

    for key, lines, section in (
        ("bus", bus_routes, "bus_routes"),
        ("winter", winter_routes, "winter_routes"),
    ):
        cfg = policy.section(section)
        col = "bus_route" if key == "bus" else "winter_route"
        labels = (
            ev.segments_along_lines(seg, lines, float(cfg["buffer_m"]), float(cfg["min_overlap"]))
            if lines is not None
            else pd.Series("", index=seg.index)
        )
        seg[col] = labels.values
        what = "bus route" if key == "bus" else "winter-service route"
        for i, label in enumerate(labels):
            if label:
                floors[i].append((str(cfg["category"]), f"{what} {label}".strip()))
                support[key][i] = str(cfg["category"])
    for key, values in support.items():
        seg[f"support_{key}"] = values

    # Recommended category from the floors (raise) or the lowering rule.
    chg = policy.section("changes")
    protected = {str(c) for c in chg.get("protected_road_classes", [])}
    lowered_to = {str(k): str(v) for k, v in chg.get("lowered_to", {}).items()}
    auto, change, reasons = [], [], []
    for i in range(n):
        cur = current.iloc[i]
        cur_rank = policy.rank(cur)
        higher = [(c, w) for c, w in floors[i] if policy.rank(c) < cur_rank]
        supporting = [(c, w) for c, w in floors[i] if policy.rank(c) <= cur_rank]
        if higher:
            best = min((c for c, _ in higher), key=policy.rank)
            cap = policy.step(cur, -int(chg.get("max_raise_steps", 2)))
            rec = best if policy.rank(best) >= policy.rank(cap) else cap
            auto.append(rec)
            change.append("raised")
            reasons.append(
                f"raised from {cur} to {rec}: " + "; ".join(dict.fromkeys(w for _, w in higher))
            )
            continue
        low = _low_traffic(
            float(seg["aadt"].iloc[i]),
            float(seg["traffic_proxy_pct"].fillna(100).iloc[i]),
            bool(seg["dead_end"].iloc[i]),
            cur,
            policy,
        )
        if not supporting and low and road_class.iloc[i] not in protected and cur in lowered_to:
            target = lowered_to[cur]
            max_steps = int(chg.get("max_lower_steps", 1))
            if policy.rank(target) - cur_rank > max_steps:
                target = policy.step(cur, max_steps)
            if policy.rank(target) > cur_rank:
                auto.append(target)
                change.append("lowered")
                reasons.append(f"lowered from {cur} to {target}: {low}")
                continue
        auto.append(cur)
        change.append("unchanged")
        why = "; ".join(dict.fromkeys([w for _, w in supporting] + notes[i]))
        reasons.append(f"unchanged ({cur})" + (f": {why}" if why else ""))
    seg["auto_category"] = auto
    seg["recommended_category"] = auto
    seg["change"] = change
    seg["override"] = ""
    _apply_overrides(seg, overrides, policy, reasons)

    # Camera evidence, frequencies, condition.
    cam = ev.camera_evidence_from_defects(seg, defects, policy, passes)
    for col in cam.columns:
        seg[col] = cam[col].values
    seg["current_frequency"] = [policy.frequency_for(c) for c in seg["current_category"]]
    rec_freq, cond = [], []
    for i in range(n):
        row = seg.iloc[i]
        base = policy.frequency_for(row["recommended_category"])
        freq, why = _adjust_frequency(base, row["recommended_category"], row, policy)
        rec_freq.append(freq)
        if why:
            reasons[i] += f"; {why}"
        c = condition_from_evidence(
            float(row["weighted_open_per_km"]), bool(row["surveyed"]), policy
        )
        cond.append(c)
    seg["recommended_frequency"] = rec_freq
    seg["condition"] = pd.array(cond, dtype="Int64")
    seg["reasons"] = reasons
    km = seg["length_m"].astype(float) / 1000.0
    seg["current_inspection_km_per_year"] = km * seg["current_frequency"].map(policy.per_year)
    seg["recommended_inspection_km_per_year"] = km * seg["recommended_frequency"].map(
        policy.per_year
    )
    seg.attrs["site_routes"] = [asdict(r) for r in site_routes]
    seg.attrs["policy"] = policy.source
    seg.attrs["traffic_source"] = (
        "AADT"
        if seg["aadt"].notna().all()
        else ("AADT + proxy" if seg["aadt"].notna().any() else "proxy")
    )
    front = OUTPUT_COLUMNS + ["change", "auto_category", "override"]
    rest = [c for c in seg.columns if c not in front and c != "geometry"]
    log.info(
        "hierarchy review: %d segments, %d raised, %d lowered, %d overridden",
        n,
        int((seg["change"] == "raised").sum()),
        int((seg["change"] == "lowered").sum()),
        int((seg["override"] != "").sum()),
    )
    return seg[front + rest + ["geometry"]]


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
