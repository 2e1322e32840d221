"""Key-site routes: the shortest and the best alternative route from a site to the network.

For each site (hospital, school, fire or ambulance station) the site is
snapped to its nearest segment. The shortest route runs from the site to the
nearest node of the distributor network (``sites.target_categories``); the
alternative route is the shortest one that shares no edge with it
(edge-disjoint), or, where none exists, the shortest with shared edges made
``overlap_penalty`` times longer, so it shares as little as possible.
Routing is on the undirected road graph (``weight=length_m``): an emergency
route to or from a site may use either direction of a street.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from roadcam.errors import CRSError

from .policy import Policy

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

log = logging.getLogger(__name__)

_SITE = "__site__"
_SINK = "__network__"


@dataclass(frozen=True)
class SiteRoute:
    """The routes found for one site (segment ids in route order)."""

    site_name: str
    kind: str
    snapped_segment_id: str | None
    snap_distance_m: float
    shortest: tuple[str, ...]
    alternative: tuple[str, ...]
    alternative_disjoint: bool
    note: str = ""

    def __post_init__(self) -> None:
        if self.snap_distance_m < 0:
            raise ValueError("snap_distance_m must be >= 0")


def routing_graph_from_segments(segments: gpd.GeoDataFrame) -> nx.Graph:
    """Undirected simple graph of the segments (parallel segments: the shortest kept)."""
    import networkx as nx

    g = nx.Graph()
    for sid, u, v, length in zip(
        segments["segment_id"].astype(str),
        segments["u"].astype(str),
        segments["v"].astype(str),
        segments["length_m"].astype(float),
        strict=True,
    ):
        if u == v:
            continue
        if g.has_edge(u, v) and g.edges[u, v]["length_m"] <= length:
            continue
        g.add_edge(u, v, segment_id=sid, length_m=max(length, 0.01))
    return g


def _route_segments(g: nx.Graph, path: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for a, b in zip(path[:-1], path[1:], strict=True):
        sid = g.edges[a, b].get("segment_id")
        if sid is not None and sid not in out:
            out.append(sid)
    return tuple(out)


def _target_nodes(segments: gpd.GeoDataFrame, current: pd.Series, policy: Policy) -> set[str]:
    """Nodes of the distributor network (or of the highest category present, if none)."""
    targets_cats = set(policy.sites.target_categories)
    target_mask = current.astype(str).isin(targets_cats)
    if not target_mask.any():
        # No distributor road in this network: fall back to its highest category present.
        best = min(current.astype(str), key=policy.rank)
        target_mask = current.astype(str) == best
        log.info(
            "no segment in %s; routing sites to the highest category present (%s)",
            sorted(targets_cats),
            best,
        )
    return set(segments.loc[target_mask, "u"].astype(str)) | set(
        segments.loc[target_mask, "v"].astype(str)
    )


def _site_label(pts: gpd.GeoDataFrame, i: int) -> tuple[str, str]:
    name_ok = "name" in pts and pd.notna(pts["name"].iloc[i])
    name = str(pts["name"].iloc[i]) if name_ok else f"site {i + 1}"
    kind = str(pts["kind"].iloc[i]) if "kind" in pts else ""
    return name, kind


def _graph_with_site(g: nx.Graph, seg: pd.Series, point, target_nodes: set[str]) -> nx.Graph:
    """A copy of ``g`` with the site on ``seg`` (split in two halves) and a sink on the targets."""
    sid, u, v = str(seg["segment_id"]), str(seg["u"]), str(seg["v"])
    frac = float(seg.geometry.project(point)) / max(seg.geometry.length, 1e-9)
    length = float(seg["length_m"])
    h = g.copy()
    h.add_edge(_SITE, u, segment_id=sid, length_m=max(frac * length, 0.01))
    if not h.has_edge(_SITE, v):  # else a loop segment: u == v
        h.add_edge(_SITE, v, segment_id=sid, length_m=max((1 - frac) * length, 0.01))
    if h.has_edge(u, v) and h.edges[u, v]["segment_id"] == sid:
        h.remove_edge(u, v)  # the snapped segment is now two halves
    for t in target_nodes:
        if t in h:
            h.add_edge(t, _SINK, segment_id=None, length_m=0.0)
    return h


def _alternative_path(
    h: nx.Graph, path1: list[str], max_route_m: float, penalty: float
) -> tuple[list[str], bool]:
    """The edge-disjoint alternative, else the least-shared one (``[]`` if none); disjoint?"""
    import networkx as nx

    used = [(a, b) for a, b in zip(path1[:-1], path1[1:], strict=True) if _SINK not in (a, b)]
    h2 = h.copy()
    h2.remove_edges_from(used)
    try:
        _, path2 = nx.single_source_dijkstra(
            h2, _SITE, _SINK, weight="length_m", cutoff=max_route_m
        )
        return path2, True
    except nx.NetworkXNoPath:
        pass
    h3 = h.copy()
    for a, b in used:
        h3.edges[a, b]["length_m"] = h3.edges[a, b]["length_m"] * penalty
    try:
        _, path2 = nx.single_source_dijkstra(
            h3, _SITE, _SINK, weight="length_m", cutoff=max_route_m * penalty
        )
    except nx.NetworkXNoPath:
        path2 = []
    return path2, False


def _route_site(h: nx.Graph, name: str, kind: str, sid: str, d: float, policy: Policy) -> SiteRoute:
    """Shortest and alternative route of one snapped site over the prepared graph ``h``."""
    import networkx as nx

    cfg = policy.sites
    try:
        length1, path1 = nx.single_source_dijkstra(
            h, _SITE, _SINK, weight="length_m", cutoff=cfg.max_route_m
        )
    except nx.NetworkXNoPath:
        note = f"no route to the network within {cfg.max_route_m:.0f} m"
        return SiteRoute(name, kind, sid, d, (sid,), (), False, note)
    first = _route_segments(h, path1)
    path2, disjoint = _alternative_path(h, path1, cfg.max_route_m, cfg.overlap_penalty)
    second = tuple(s for s in _route_segments(h, path2) if s not in first) if path2 else ()
    if path2 and not disjoint and list(path2) == list(path1):
        second = ()
    note = ""
    if not disjoint:
        note = (
            "no edge-disjoint alternative; least-shared route used"
            if second
            else "no alternative route"
        )
    log.debug(
        "site %s: shortest %.0f m over %d segments, alternative %d segments",
        name,
        length1,
        len(first),
        len(second),
    )
    return SiteRoute(name, kind, sid, d, first, second, disjoint, note)


def routes_from_sites(
    segments: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, current: pd.Series, policy: Policy
) -> list[SiteRoute]:
    """Shortest and alternative routes from each site to the distributor network.

    ``current`` is the current category per segment (same index). Sites whose
    ``kind`` the policy does not list, or further than ``max_snap_distance_m``
    from any segment, are reported with an empty route and a note.
    """
    cfg = policy.sites
    if sites.crs is None:
        raise CRSError("sites have no CRS (GeoJSON is EPSG:4326)")
    pts = sites.to_crs(segments.crs)
    g = routing_graph_from_segments(segments)
    targets_cats = set(cfg.target_categories)
    target_nodes = _target_nodes(segments, current, policy)
    results: list[SiteRoute] = []
    for i in range(len(pts)):
        name, kind = _site_label(pts, i)
        point = pts.geometry.iloc[i]
        if kind not in cfg.kinds:
            results.append(
                SiteRoute(name, kind, None, 0.0, (), (), False, f"kind {kind!r} not in policy")
            )
            continue
        if point is None or point.is_empty:
            results.append(SiteRoute(name, kind, None, 0.0, (), (), False, "no geometry"))
            continue
        near_idx, dist = segments.sindex.nearest(point, return_distance=True, return_all=False)
        si, d = int(near_idx[1][0]), float(dist[0])
        seg = segments.iloc[si]
        sid = str(seg["segment_id"])
        if d > cfg.max_snap_distance_m:
            note = f"{d:.0f} m from the nearest road (> {cfg.max_snap_distance_m:.0f} m)"
            results.append(SiteRoute(name, kind, None, d, (), (), False, note))
        elif str(current.iloc[si]) in targets_cats or (
            str(seg["u"]) in target_nodes and str(seg["v"]) in target_nodes
        ):
            note = "site is on the distributor network"
            results.append(SiteRoute(name, kind, sid, d, (sid,), (), False, note))
        else:
            h = _graph_with_site(g, seg, point, target_nodes)
            results.append(_route_site(h, name, kind, sid, d, policy))
    return results
