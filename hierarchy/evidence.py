"""Evidence per segment: road class, current category, traffic, bus/winter routes, camera.

Plain functions on GeoDataFrames (metric CRS, see docs/architecture.md). Each
returns a Series/DataFrame indexed like the segments so the review can join them.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from roadcam.errors import CRSError, NetworkError

from .policy import Policy

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

log = logging.getLogger(__name__)

_HIGHWAY_CLASS = {
    "motorway": "motorway",
    "motorway_link": "motorway",
    "trunk": "trunk",
    "trunk_link": "trunk",
    "primary": "A",
    "primary_link": "A",
    "secondary": "B",
    "secondary_link": "B",
    "tertiary": "C",
    "tertiary_link": "C",
}
_REF_CLASS = (("M", "motorway"), ("A", "A"), ("B", "B"), ("C", "C"))
_CATEGORY_ALIASES = {
    "3A": "3a",
    "3B": "3b",
    "4A": "4a",
    "4B": "4b",
    "MINOR": "minor",
    "LANE": "lane",
}
_CLOSED_STATUSES = {
    "repaired",
    "fixed",
    "closed",
    "resolved",
    "verified",
    "verified_fixed",
    "rejected",
}


def classify_road(highway: str | None, ref: str | None) -> str:
    """Road class (``motorway``, ``trunk``, ``A``, ``B``, ``C`` or the highway tag) from OSM tags.

    The first ``ref`` token wins (``"A2;A226"`` is an A road; ``"C123"`` a C road);
    otherwise the highway tag maps primary→A, secondary→B, tertiary→C, and any
    other tag (``unclassified``, ``residential``, ``service`` …) is kept as it is.
    """
    ref_s = (ref or "").strip().upper()
    if ref_s:
        token = re.split(r"[;,/]", ref_s)[0].replace(" ", "")
        for prefix, cls in _REF_CLASS:
            if re.match(rf"^{prefix}\d", token):
                return "motorway" if token.endswith("(M)") else cls
    hw = (highway or "").strip().lower()
    if hw in _HIGHWAY_CLASS:
        return _HIGHWAY_CLASS[hw]
    return hw or "unclassified"


def classification_from_road_class(road_class: str) -> str:
    """The statutory classification reported to people: M, A, B, C or unclassified."""
    if road_class == "motorway":
        return "M"
    if road_class == "trunk":
        return "A"
    if road_class in ("A", "B", "C"):
        return road_class
    return "unclassified"


def normalise_category(value: object, policy: Policy) -> str | None:
    """A category code from an authority's value (``3A``, ``4b``, ``2``, ``Minor``) or None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value).strip()
    if s.endswith(".0"):
        s = s[:-2]
    s = _CATEGORY_ALIASES.get(s.upper(), s)
    return s if s in policy.codes else None


def road_classes_from_segments(segments: gpd.GeoDataFrame) -> pd.Series:
    """The ``road_class`` column where set, else :func:`classify_road` of highway/ref."""
    given = segments["road_class"].fillna("").astype(str) if "road_class" in segments else None
    derived = [
        classify_road(h, r)
        for h, r in zip(
            segments.get("highway", pd.Series("", index=segments.index)).fillna(""),
            segments.get("ref", pd.Series("", index=segments.index)).fillna(""),
            strict=True,
        )
    ]
    out = pd.Series(derived, index=segments.index, dtype=object)
    if given is not None:
        out = given.where(given != "", out)
    return out


def current_categories_from_segments(
    segments: gpd.GeoDataFrame, road_class: pd.Series, policy: Policy
) -> tuple[pd.Series, pd.Series]:
    """Current category per segment and where it came from (``authority`` or ``road class``)."""
    given = (
        segments["hierarchy"] if "hierarchy" in segments else pd.Series(None, index=segments.index)
    )
    cats, sources = [], []
    for value, rc in zip(given, road_class, strict=True):
        code = normalise_category(value, policy)
        if code is None:
            cats.append(policy.category_for_road_class(rc))
            sources.append("road class")
        else:
            cats.append(code)
            sources.append("authority")
    return pd.Series(cats, index=segments.index), pd.Series(sources, index=segments.index)


def aadt_from_traffic(segments: gpd.GeoDataFrame, traffic: pd.DataFrame | None) -> pd.Series:
    """AADT per segment from a ``source_id,aadt`` table (NaN where none; max per source_id)."""
    out = pd.Series(np.nan, index=segments.index, dtype=float)
    if traffic is None or len(traffic) == 0:
        return out
    t = traffic.assign(source_id=traffic["source_id"].astype(str))
    by_source = t.groupby("source_id")["aadt"].max()
    return segments["source_id"].astype(str).map(by_source).astype(float)


def traffic_proxy_from_graph(
    segments: gpd.GeoDataFrame, graph: nx.MultiDiGraph, policy: Policy
) -> tuple[pd.Series, pd.Series]:
    """Edge-betweenness traffic proxy per segment and its percentile rank (0–100).

    Betweenness is computed on the routable (directed) graph with
    ``weight=length_m``; both directions of a two-way road are summed. Graphs
    bigger than ``traffic.proxy.exact_max_nodes`` use k-sampling with the
    policy's fixed seed, so a re-run gives the same numbers.
    """
    import networkx as nx

    proxy_cfg = policy.traffic.proxy
    n = graph.number_of_nodes()
    if n < 2:
        zero = pd.Series(0.0, index=segments.index)
        return zero, zero
    k = None
    if n > proxy_cfg.exact_max_nodes:
        k = min(proxy_cfg.sample_k, n)
        log.info("traffic proxy: sampling %d of %d nodes (seed %s)", k, n, proxy_cfg.seed)
    bc = nx.edge_betweenness_centrality(
        graph, k=k, normalized=True, weight="length_m", seed=proxy_cfg.seed
    )
    per_segment: dict[str, float] = {}
    for edge, value in bc.items():
        sid = graph.edges[edge].get("segment_id")
        if sid is None:
            continue
        per_segment[str(sid)] = per_segment.get(str(sid), 0.0) + float(value)
    values = segments["segment_id"].astype(str).map(per_segment).fillna(0.0).astype(float)
    pct = values.rank(method="average", pct=True) * 100.0  # ties share their mean rank
    return values, pct


def dead_ends_from_graph(segments: gpd.GeoDataFrame, open_end_margin_m: float = 0.0) -> pd.Series:
    """True where one end of the segment is a node no other segment touches (a cul-de-sac).

    A dead end within ``open_end_margin_m`` of the network's outline (the convex
    hull of all segment ends) is where the extract was cut, not a cul-de-sac,
    and does not count.
    """
    import shapely

    ends = pd.concat([segments["u"].astype(str), segments["v"].astype(str)])
    degree = ends.value_counts()
    u_deg = segments["u"].astype(str).map(degree)
    v_deg = segments["v"].astype(str).map(degree)
    loop = segments["u"].astype(str) == segments["v"].astype(str)
    u_end, v_end = u_deg == 1, v_deg == 1
    if open_end_margin_m > 0 and len(segments):
        firsts = shapely.points([shapely.get_coordinates(g)[0] for g in segments.geometry])
        lasts = shapely.points([shapely.get_coordinates(g)[-1] for g in segments.geometry])
        outline = shapely.multipoints(np.concatenate([firsts, lasts])).convex_hull.boundary
        u_end = u_end & pd.Series(
            shapely.distance(firsts, outline) > open_end_margin_m, index=segments.index
        )
        v_end = v_end & pd.Series(
            shapely.distance(lasts, outline) > open_end_margin_m, index=segments.index
        )
    return (u_end | v_end) & ~loop


def junction_nodes_from_segments(segments: gpd.GeoDataFrame) -> set[str]:
    """Nodes where three or more segment ends meet."""
    ends = pd.concat([segments["u"].astype(str), segments["v"].astype(str)])
    degree = ends.value_counts()
    return set(degree[degree >= 3].index)


def segments_along_lines(
    segments: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, buffer_m: float, min_overlap: float
) -> pd.Series:
    """Label of the route(s) each segment runs along ('' where none).

    A segment is on a route when at least ``min_overlap`` of its length lies
    within ``buffer_m`` of the route's line. ``lines`` may carry ``name`` or
    ``ref`` for the label. A table with ``source_id`` and no geometry marks
    those segments directly.
    """
    out = pd.Series("", index=segments.index, dtype=object)
    if lines is None or len(lines) == 0:
        return out
    if "geometry" not in lines or lines.geometry.isna().all():
        ids = lines["source_id"].astype(str)
        labels = lines.get("name", ids).astype(str)
        table = dict(zip(ids, labels, strict=True))
        return segments["source_id"].astype(str).map(table).fillna("")
    if lines.crs is None:
        raise CRSError("route lines have no CRS")
    routes = lines.to_crs(segments.crs)
    label_col = next((c for c in ("name", "ref", "route", "id") if c in routes.columns), None)
    buffers = routes.geometry.buffer(buffer_m)
    seg_idx, route_idx = segments.sindex.query(buffers, predicate="intersects")[::-1]
    hits: dict[int, list[str]] = {}
    for si, ri in zip(seg_idx, route_idx, strict=True):
        seg_geom = segments.geometry.iloc[si]
        length = seg_geom.length
        if length <= 0:
            continue
        inside = seg_geom.intersection(buffers.iloc[ri]).length
        if inside / length >= min_overlap:
            label = str(routes[label_col].iloc[ri]) if label_col else f"route {ri + 1}"
            hits.setdefault(si, [])
            if label not in hits[si]:
                hits[si].append(label)
    for si, labels in hits.items():
        out.iloc[si] = ", ".join(labels)
    return out


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).total_seconds() / (86400.0 * 30.44), 0.0)


def _defects_frame(defects: pd.DataFrame | None, policy: Policy) -> pd.DataFrame:
    """Defects normalised: str segment_id, ``_cls``, UTC first/last seen, ``_open``, ``_w``."""
    d = (
        pd.DataFrame(defects)
        if defects is not None
        else pd.DataFrame(columns=["segment_id", "class", "first_seen"])
    )
    class_col = next((c for c in ("class", "defect_class", "class_name") if c in d.columns), None)
    if len(d) and class_col is None:
        raise NetworkError("defects have no class column (class, defect_class or class_name)")
    d = d.assign(
        segment_id=d["segment_id"].astype(str),
        _cls=d[class_col].astype(str) if class_col else "",
        first_seen=pd.to_datetime(d["first_seen"], utc=True)
        if len(d)
        else pd.Series(dtype="datetime64[ns, UTC]"),
    )
    d["last_seen"] = (
        pd.to_datetime(d["last_seen"], utc=True) if "last_seen" in d and len(d) else d["first_seen"]
    )
    status = (
        d["status"].astype(str).str.lower() if "status" in d else pd.Series("open", index=d.index)
    )
    d["_open"] = ~status.isin(_CLOSED_STATUSES)
    d["_w"] = d["_cls"].map(policy.condition.weight_of_class)
    return d


def _observe_passes(ev: pd.DataFrame, sid: pd.Series, passes: pd.DataFrame | None) -> None:
    """Fill passes, surveyed and (where passes give dates) months_observed in place."""
    if passes is None or not len(passes):
        ev["surveyed"] = True
        return
    p = (
        pd.DataFrame(passes)
        .assign(segment_id=lambda x: x["segment_id"].astype(str))
        .set_index("segment_id")
    )
    ev["passes"] = sid.map(p["passes"]).astype(float).values
    ev["surveyed"] = (ev["passes"].fillna(0) > 0).values
    if "first_pass" in p and "last_pass" in p:
        fp = sid.map(pd.to_datetime(p["first_pass"], utc=True))
        lp = sid.map(pd.to_datetime(p["last_pass"], utc=True))
        ev["months_observed"] = [
            max(_months_between(a, b), 1.0) if pd.notna(a) and pd.notna(b) else np.nan
            for a, b in zip(fp, lp, strict=True)
        ]


def _trend_of(r: float, b: float, recent_months: float, before_months: float, ratio: float) -> str:
    """New defects per month in the recent window against before it."""
    if before_months <= 0:
        return "new" if r else "stable"
    if r == 0 and b == 0:
        return "stable"
    if r / recent_months >= ratio * max(b / before_months, 1e-9):
        return "worsening"
    if r / recent_months * ratio <= b / before_months:
        return "improving"
    return "steady"


def _trends(d: pd.DataFrame, sid: pd.Series, surveyed: pd.Series, policy: Policy) -> list[str]:
    adj = policy.adjustment
    start, end = d["first_seen"].min(), max(d["first_seen"].max(), d["last_seen"].max())
    cut = end - pd.Timedelta(days=adj.trend_window_days)
    recent_months = max(_months_between(max(cut, start), end), 1e-6)
    before_months = _months_between(start, cut) if cut > start else 0.0
    recent = sid.map(d[d["first_seen"] > cut].groupby("segment_id").size()).fillna(0)
    before = sid.map(d[d["first_seen"] <= cut].groupby("segment_id").size()).fillna(0)
    return [
        _trend_of(r, b, recent_months, before_months, adj.worsening_ratio) if s else ""
        for r, b, s in zip(recent, before, surveyed, strict=True)
    ]


def camera_evidence_from_defects(
    segments: gpd.GeoDataFrame,
    defects: pd.DataFrame | None,
    policy: Policy,
    passes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Camera evidence per segment: defects, defects per km per month, trend, passes.

    ``defects`` has ``segment_id``, a class column (``class``, ``defect_class``
    or ``class_name``), ``first_seen`` and optionally ``last_seen``, ``status``.
    ``passes`` (optional) has ``segment_id``, ``passes`` and optionally
    ``first_pass``/``last_pass``. Without ``passes``, every segment counts as
    surveyed over the whole defect period (documented in docs/hierarchy.md).
    Columns: surveyed, months_observed, passes, passes_per_month, defects,
    open_defects, defects_per_km_month, weighted_open_per_km, trend.
    """
    sid = segments["segment_id"].astype(str)
    km = (segments["length_m"].astype(float) / 1000.0).clip(lower=1e-3)
    ev = pd.DataFrame(
        {
            "surveyed": False,
            "months_observed": np.nan,
            "passes": np.nan,
            "passes_per_month": np.nan,
            "defects": 0,
            "open_defects": 0,
            "defects_per_km_month": np.nan,
            "weighted_open_per_km": np.nan,
            "trend": "",
        },
        index=segments.index,
    )
    if defects is None and passes is None:
        return ev
    d = _defects_frame(defects, policy)
    _observe_passes(ev, sid, passes)
    global_months = 1.0
    if len(d):
        end = max(d["first_seen"].max(), d["last_seen"].max())
        global_months = max(_months_between(d["first_seen"].min(), end), 1.0)
    ev["months_observed"] = ev["months_observed"].fillna(global_months)
    ev["passes_per_month"] = ev["passes"] / ev["months_observed"]

    grouped = d.groupby("segment_id")
    ev["defects"] = sid.map(grouped.size()).fillna(0).astype(int).values
    ev["open_defects"] = sid.map(grouped["_open"].sum()).fillna(0).astype(int).values
    weighted = sid.map(d[d["_open"]].groupby("segment_id")["_w"].sum()).fillna(0.0)
    surveyed = ev["surveyed"].astype(bool)
    ev["defects_per_km_month"] = np.where(
        surveyed, ev["defects"] / km / ev["months_observed"], np.nan
    )
    ev["weighted_open_per_km"] = np.where(surveyed, weighted / km, np.nan)
    ev["trend"] = _trends(d, sid, surveyed, policy) if len(d) else np.where(surveyed, "stable", "")
    return ev
