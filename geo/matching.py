"""Hidden-Markov map matching after Newson & Krumm (2009), vectorised per step.

States are *directed* candidates: a fix's projection onto a nearby segment,
travelling along (``+1``) or against (``-1``) the digitised direction (the latter
only on two-way segments). Per fix:

* candidates: every segment within ``max_distance_m`` (shapely STRtree, one
  vectorised query for the whole track), the ``k`` nearest kept;
* emission: ``-0.5 (d / sigma_m)^2`` (Gaussian on the fix-to-candidate distance;
  ``sigma_m=None`` estimates it as 1.4826 × median best-candidate distance, the
  MAD estimator of Newson & Krumm, clipped to ``[sigma_min_m, sigma_max_m]``),
  plus ``heading_kappa (cos Δ − 1)`` when a heading is given and the vehicle
  moves faster than ``min_speed_mps`` (parallel and dual-carriageway roads);
* transition: ``-|route − great-circle| / beta_m``; routes are bounded Dijkstra
  (scipy csgraph, ``limit = route_factor × great-circle + route_slack_m``) from
  the exit nodes of the previous states, one call per step; a reversal on the
  same segment (U-turn) costs ``uturn_penalty_m`` extra metres;
* Viterbi with numpy over the (previous × current) state matrix.

Breaks: a time gap over ``max_gap_s`` or no route (within the bounded search)
between consecutive matched fixes ends the current chain; the next fix starts a
new one. A fix with no candidate (an outlier, or off the network) is left
unmatched; the chain bridges it when the next fix is reachable.
Stationary fixes (within ``stationary_m`` of the last kept fix) are collapsed
onto it. Sparse fixes get proportionally longer route searches.
"""

from __future__ import annotations

import logging
import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roadcam.errors import MatchingError, NetworkError

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "max_distance_m": 50.0,  # candidate search radius (Valhalla's default)
    "k": 8,  # candidates per fix
    "sigma_m": None,  # None: estimate from the data (MAD); else fixed
    "sigma_default_m": 4.0,  # used when too few fixes to estimate
    "sigma_min_m": 2.0,
    "sigma_max_m": 20.0,
    "beta_m": 10.0,
    "route_factor": 2.0,
    "route_slack_m": 200.0,
    "max_gap_s": 60.0,
    "stationary_m": 2.0,
    "uturn_penalty_m": 50.0,
    "backtrack_m": 5.0,  # small backward moves on one segment are GPS noise
    "heading_kappa": 2.0,
    "min_speed_mps": 2.0,
}


@dataclass(frozen=True)
class Traversal:
    """Part of one segment travelled: chainages along the digitised direction."""

    segment_id: str
    reverse: bool
    start_m: float
    end_m: float
    chain: int

    def __post_init__(self) -> None:
        if self.chain < 0:
            raise ValueError("Traversal.chain must be >= 0")


@dataclass(frozen=True)
class MatchResult:
    """Per-fix arrays (length = number of input fixes) and the matched path.

    Unmatched fixes have ``matched`` False, ``segment_id`` "", NaN numbers.
    ``chainage_m`` is along the segment's digitised direction; ``reverse`` says
    the vehicle travelled against it. ``path`` lists segment traversals in order;
    ``chain`` numbers restart after each break.
    """

    segment_id: np.ndarray
    source_id: np.ndarray
    matched_x: np.ndarray
    matched_y: np.ndarray
    matched_lon: np.ndarray
    matched_lat: np.ndarray
    chainage_m: np.ndarray
    distance_m: np.ndarray
    reverse: np.ndarray
    matched: np.ndarray
    chain: np.ndarray
    path: tuple[Traversal, ...]
    n_breaks: int
    sigma_m: float
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.matched)
        for name in ("segment_id", "source_id", "matched_x", "matched_y", "matched_lon", "matched_lat",
                     "chainage_m", "distance_m", "reverse", "chain"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"MatchResult.{name} has length {len(getattr(self, name))}, expected {n}")

    @property
    def n_fixes(self) -> int:
        return int(len(self.matched))

    @property
    def n_matched(self) -> int:
        return int(self.matched.sum())

    @property
    def n_unmatched(self) -> int:
        return self.n_fixes - self.n_matched

    def path_segment_ids(self) -> list[str]:
        """Segment ids of the path in order, consecutive repeats removed."""
        out: list[str] = []
        for t in self.path:
            if not out or out[-1] != t.segment_id:
                out.append(t.segment_id)
        return out


@dataclass(frozen=True)
class SnapResult:
    """Nearest-segment snapping: ``offset_m`` is + left of the digitised direction."""

    segment_id: np.ndarray
    chainage_m: np.ndarray
    offset_m: np.ndarray
    distance_m: np.ndarray
    snapped_x: np.ndarray
    snapped_y: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.segment_id)
        if any(len(a) != n for a in (self.chainage_m, self.offset_m, self.distance_m, self.snapped_x, self.snapped_y)):
            raise ValueError("SnapResult arrays must have equal lengths")


# --------------------------------------------------------------------------- network index


class _Index:
    """Arrays, spatial index and CSR graph of a network, built once per network."""

    def __init__(self, network: Any) -> None:
        from scipy.sparse import csr_matrix
        from shapely import STRtree

        seg = network.segments
        if len(seg) == 0:
            raise NetworkError("the network has no segments")
        self.crs = network.crs
        self.geoms = np.asarray(seg.geometry.values, dtype=object)
        self.length = seg["length_m"].to_numpy(float)
        self.oneway = seg["oneway"].to_numpy(bool)
        self.segment_id = seg["segment_id"].astype(str).to_numpy(object)
        self.source_id = seg["source_id"].astype(str).to_numpy(object)
        nodes, inv = np.unique(np.concatenate([seg["u"].astype(str), seg["v"].astype(str)]), return_inverse=True)
        n = len(seg)
        self.u, self.v = inv[:n].astype(np.int64), inv[n:].astype(np.int64)
        self.n_nodes = len(nodes)
        self.tree = STRtree(self.geoms)
        # directed edges: forward for all, backward for two-way; drop self-loops, keep the shortest parallel
        two = ~self.oneway
        a = np.concatenate([self.u, self.v[two]])
        b = np.concatenate([self.v, self.u[two]])
        w = np.maximum(np.concatenate([self.length, self.length[two]]), 1e-3)
        sidx = np.concatenate([np.arange(n), np.arange(n)[two]])
        rev = np.concatenate([np.zeros(n, bool), np.ones(int(two.sum()), bool)])
        keep = a != b
        a, b, w, sidx, rev = a[keep], b[keep], w[keep], sidx[keep], rev[keep]
        order = np.lexsort((w, b, a))
        a, b, w, sidx, rev = a[order], b[order], w[order], sidx[order], rev[order]
        first = np.ones(len(a), bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w, sidx, rev = a[first], b[first], w[first], sidx[first], rev[first]
        self.csr = csr_matrix((w, (a, b)), shape=(self.n_nodes, self.n_nodes))
        self.edge_of = {(int(x), int(y)): (int(s), bool(r)) for x, y, s, r in zip(a, b, sidx, rev, strict=True)}
        self._pred_cache: dict[tuple[int, float], np.ndarray] = {}

    def dijkstra(self, sources: np.ndarray, limit: float) -> np.ndarray:
        from scipy.sparse.csgraph import dijkstra

        return np.atleast_2d(dijkstra(self.csr, directed=True, indices=sources, limit=limit))

    def node_path(self, src: int, dst: int, limit: float) -> list[int] | None:
        from scipy.sparse.csgraph import dijkstra

        if src == dst:
            return [src]
        key = (src, limit)
        pred = self._pred_cache.get(key)
        if pred is None:
            _, pred = dijkstra(self.csr, directed=True, indices=[src], limit=limit, return_predecessors=True)
            pred = pred[0]
            if len(self._pred_cache) > 256:
                self._pred_cache.clear()
            self._pred_cache[key] = pred
        if pred[dst] < 0:
            return None
        out = [dst]
        while out[-1] != src:
            out.append(int(pred[out[-1]]))
        return out[::-1]


_INDEXES: dict[int, tuple[Any, _Index]] = {}


def _index_for(network: Any) -> _Index:
    key = id(network)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is network:
        return hit[1]
    idx = _Index(network)
    _INDEXES[key] = (weakref.ref(network, lambda _r, k=key: _INDEXES.pop(k, None)), idx)
    return idx


# --------------------------------------------------------------------------- helpers


def _seconds(time: Any, n: int) -> np.ndarray | None:
    if time is None:
        return None
    t = np.asarray(time)
    if len(t) != n:
        raise ValueError(f"time has {len(t)} values for {n} fixes")
    if np.issubdtype(t.dtype, np.datetime64):
        return (t.astype("datetime64[ns]").astype(np.int64) - t.astype("datetime64[ns]").astype(np.int64)[0]) / 1e9
    return t.astype(float)


def _bearing_at(idx: _Index, seg: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Compass bearing (deg) of each segment's digitised direction at chainage s."""
    from shapely import get_coordinates, line_interpolate_point

    g = idx.geoms[seg]
    s0 = np.clip(s - 1.0, 0, idx.length[seg])
    s1 = np.clip(s + 1.0, 0, idx.length[seg])
    p0 = get_coordinates(line_interpolate_point(g, s0))
    p1 = get_coordinates(line_interpolate_point(g, s1))
    return np.degrees(np.arctan2(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])) % 360.0


def _candidates(idx: _Index, x: np.ndarray, y: np.ndarray, radius: float, k: int):
    """(fix, segment, distance, chainage) of the k nearest segments within radius of each fix."""
    from shapely import distance, line_locate_point, points

    pts = points(x, y)
    pi, si = idx.tree.query(pts, predicate="dwithin", distance=radius)
    if len(pi) == 0:
        return pi, si, np.zeros(0), np.zeros(0)
    d = distance(pts[pi], idx.geoms[si])
    order = np.lexsort((si, d, pi))
    pi, si, d = pi[order], si[order], d[order]
    start = np.searchsorted(pi, pi, side="left")
    keep = (np.arange(len(pi)) - start) < k
    pi, si, d = pi[keep], si[keep], d[keep]
    s = line_locate_point(idx.geoms[si], pts[pi])
    return pi, si, d, s


# --------------------------------------------------------------------------- matching


def _states(pi, si, d, s, idx: _Index, fix: int, lo: int, hi: int):
    seg = si[lo:hi]
    two = ~idx.oneway[seg]
    seg2 = np.concatenate([seg, seg[two]])
    return (
        seg2,
        np.concatenate([s[lo:hi], s[lo:hi][two]]),
        np.concatenate([d[lo:hi], d[lo:hi][two]]),
        np.concatenate([np.ones(len(seg), np.int8), -np.ones(int(two.sum()), np.int8)]),
    )


def _route_matrix(idx: _Index, prev, cur, gc: float, p: dict[str, Any]) -> np.ndarray:
    """Route distances (metres) from each previous state to each current state."""
    pseg, ps, _, pdir = prev
    cseg, cs, _, cdir = cur
    L_p, L_c = idx.length[pseg], idx.length[cseg]
    exit_node = np.where(pdir > 0, idx.v[pseg], idx.u[pseg])
    exit_cost = np.where(pdir > 0, L_p - ps, ps)
    entry_node = np.where(cdir > 0, idx.u[cseg], idx.v[cseg])
    entry_cost = np.where(cdir > 0, cs, L_c - cs)
    limit = p["route_factor"] * gc + p["route_slack_m"]
    src, src_inv = np.unique(exit_node, return_inverse=True)
    D = idx.dijkstra(src, limit)
    route = exit_cost[:, None] + D[src_inv][:, entry_node] + entry_cost[None, :]
    same = pseg[:, None] == cseg[None, :]
    if same.any():
        delta = cs[None, :] - ps[:, None]
        fwd = (pdir[:, None] > 0) & (cdir[None, :] > 0)
        bwd = (pdir[:, None] < 0) & (cdir[None, :] < 0)
        along = np.where(fwd, delta, np.where(bwd, -delta, np.nan))
        ok = same & ~np.isnan(along) & (along >= -p["backtrack_m"])
        route = np.where(ok, np.minimum(route, np.abs(np.nan_to_num(along))), route)
        uturn = same & (pdir[:, None] != cdir[None, :])
        route = np.where(uturn, np.minimum(route, np.abs(delta) + p["uturn_penalty_m"]), route)
    return route


def match_xy(
    network: Any,
    x: Any,
    y: Any,
    time: Any = None,
    heading_deg: Any = None,
    speed_mps: Any = None,
    **params: Any,
) -> MatchResult:
    """Match fixes given in the network's metric CRS (see :func:`match_track`)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown matching parameters: {sorted(unknown)}")
    p = {**DEFAULTS, **params}
    idx = _index_for(network)
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if len(y) != n:
        raise ValueError("x and y differ in length")
    t = _seconds(time, n)
    hdg = None if heading_deg is None else np.asarray(heading_deg, float)
    spd = None if speed_mps is None else np.asarray(speed_mps, float)
    if spd is None and t is not None and n > 1:
        step = np.hypot(np.diff(x), np.diff(y)) / np.maximum(np.diff(t), 1e-3)
        spd = np.concatenate([[step[0]], step])

    # collapse stationary fixes onto the last kept fix
    rep = np.arange(n)
    keep = np.ones(n, bool)
    last = 0
    for i in range(1, n):
        gap_ok = t is None or t[i] - t[last] <= p["max_gap_s"]
        if gap_ok and math.hypot(x[i] - x[last], y[i] - y[last]) < p["stationary_m"] and np.isfinite(x[i]):
            keep[i] = False
            rep[i] = last
        else:
            last = i
    kept = np.flatnonzero(keep & np.isfinite(x) & np.isfinite(y))

    pi, si, d, s = _candidates(idx, x[kept], y[kept], p["max_distance_m"], int(p["k"]))
    bounds = np.searchsorted(pi, np.arange(len(kept) + 1))
    sigma = p["sigma_m"]
    if sigma is None:
        best = d[bounds[:-1][np.diff(bounds) > 0]]
        sigma = 1.4826 * float(np.median(best)) if len(best) >= 10 else p["sigma_default_m"]
        sigma = float(np.clip(sigma, p["sigma_min_m"], p["sigma_max_m"]))
    beta = float(p["beta_m"])

    # Viterbi, chain by chain
    chosen: list[tuple | None] = [None] * len(kept)  # (seg, s, d, dir) per kept fix
    chain_of = np.full(len(kept), -1)
    chains: list[list[int]] = []
    back: list[np.ndarray | None] = [None] * len(kept)
    states: list[tuple | None] = [None] * len(kept)
    score = None
    prev_j = -1

    def close_chain() -> None:
        if prev_j < 0 or score is None:
            return
        members = chains[-1]
        b = int(np.argmax(score))
        for j in reversed(members):
            st = states[j]
            chosen[j] = (st[0][b], st[1][b], st[2][b], st[3][b])
            chain_of[j] = len(chains) - 1
            if back[j] is not None:
                b = int(back[j][b])

    for j in range(len(kept)):
        lo, hi = bounds[j], bounds[j + 1]
        if hi == lo:  # no candidate: unmatched; the chain goes on if the next fix is reachable
            continue
        st = _states(pi, si, d, s, idx, j, lo, hi)
        emis = -0.5 * (st[2] / sigma) ** 2
        i_fix = kept[j]
        if hdg is not None and np.isfinite(hdg[i_fix]) and (spd is None or spd[i_fix] >= p["min_speed_mps"]):
            bear = (_bearing_at(idx, st[0], st[1]) + np.where(st[3] > 0, 0.0, 180.0)) % 360.0
            emis = emis + p["heading_kappa"] * (np.cos(np.radians(bear - hdg[i_fix])) - 1.0)
        states[j] = st
        new_chain = score is None or (t is not None and t[i_fix] - t[kept[prev_j]] > p["max_gap_s"])
        if not new_chain:
            gc = math.hypot(x[i_fix] - x[kept[prev_j]], y[i_fix] - y[kept[prev_j]])
            route = _route_matrix(idx, states[prev_j], st, gc, p)
            trans = -np.abs(route - gc) / beta
            total = score[:, None] + trans
            bp = np.argmax(total, axis=0)
            best = total[bp, np.arange(total.shape[1])]
            if np.all(~np.isfinite(best)):
                new_chain = True
            else:
                back[j] = bp
                score = best + emis
                score = score - np.max(score)
                chains[-1].append(j)
                prev_j = j
                continue
        close_chain()
        chains.append([j])
        back[j] = None
        score = emis - np.max(emis)
        prev_j = j
    close_chain()
    n_chains = len(chains)
    return _assemble(idx, network, x, y, rep, kept, chosen, chain_of, chains, n_chains, sigma, p)


def _assemble(idx, network, x, y, rep, kept, chosen, chain_of, chains, n_chains, sigma, p) -> MatchResult:
    from shapely import get_coordinates, line_interpolate_point

    from geo.crs import lonlat_from_xy

    n = len(x)
    seg_k = np.array([c[0] if c is not None else -1 for c in chosen], dtype=np.int64)
    s_k = np.array([c[1] if c is not None else np.nan for c in chosen], dtype=float)
    d_k = np.array([c[2] if c is not None else np.nan for c in chosen], dtype=float)
    dir_k = np.array([c[3] if c is not None else 0 for c in chosen], dtype=np.int8)
    pos = np.full(n, -1)
    pos[kept] = np.arange(len(kept))
    pos = pos[rep]  # collapsed fixes take their representative's match
    has = pos >= 0
    kk = np.where(has, pos, 0)
    seg = np.where(has, seg_k[kk] if len(kept) else -1, -1)
    matched = seg >= 0
    segment_id = np.full(n, "", dtype=object)
    source_id = np.full(n, "", dtype=object)
    segment_id[matched] = idx.segment_id[seg[matched]]
    source_id[matched] = idx.source_id[seg[matched]]
    chain_m = np.where(matched, s_k[kk] if len(kept) else np.nan, np.nan)
    mx = np.full(n, np.nan)
    my = np.full(n, np.nan)
    if matched.any():
        c = get_coordinates(line_interpolate_point(idx.geoms[seg[matched]], chain_m[matched]))
        mx[matched], my[matched] = c[:, 0], c[:, 1]
    dist = np.where(matched, np.hypot(x - mx, y - my), np.nan)
    mlon, mlat = np.full(n, np.nan), np.full(n, np.nan)
    if matched.any():
        crs = idx.crs.to_string()
        mlon[matched], mlat[matched] = lonlat_from_xy(mx[matched], my[matched], crs)
    chain_arr = np.where(matched, chain_of[kk] if len(kept) else -1, -1)
    path = _build_path(idx, chains, seg_k, s_k, dir_k, x[kept], y[kept], p)
    return MatchResult(
        segment_id=segment_id,
        source_id=source_id,
        matched_x=mx,
        matched_y=my,
        matched_lon=mlon,
        matched_lat=mlat,
        chainage_m=chain_m,
        distance_m=dist,
        reverse=np.where(matched, dir_k[kk] < 0 if len(kept) else False, False),
        matched=matched,
        chain=chain_arr,
        path=tuple(path),
        n_breaks=max(0, n_chains - 1),
        sigma_m=float(sigma),
        params=dict(p),
    )


def _build_path(idx, chains, seg_k, s_k, dir_k, xk, yk, p) -> list[Traversal]:
    """Ordered segment traversals for each chain (consecutive repeats merged)."""
    out: list[Traversal] = []

    def add(sg: int, rev: bool, a: float, b: float, ch: int) -> None:
        sid = str(idx.segment_id[sg])
        if out and out[-1].segment_id == sid and out[-1].reverse == rev and out[-1].chain == ch:
            last = out[-1]
            out[-1] = Traversal(sid, rev, last.start_m, b, ch)
        else:
            out.append(Traversal(sid, rev, float(a), float(b), ch))

    for ch, members in enumerate(chains):
        first = members[0]
        add(int(seg_k[first]), bool(dir_k[first] < 0), s_k[first], s_k[first], ch)
        for a, b in zip(members[:-1], members[1:], strict=True):
            sa, sb = int(seg_k[a]), int(seg_k[b])
            da, db = int(dir_k[a]), int(dir_k[b])
            if sa == sb and da == db and (s_k[b] - s_k[a]) * da >= -p["backtrack_m"]:
                add(sb, db < 0, s_k[a], s_k[b], ch)
                continue
            if sa == sb and da != db:  # U-turn on the segment
                add(sb, db < 0, s_k[a], s_k[b], ch)
                continue
            L_a, L_b = idx.length[sa], idx.length[sb]
            add(sa, da < 0, s_k[a], L_a if da > 0 else 0.0, ch)
            exit_node = idx.v[sa] if da > 0 else idx.u[sa]
            entry_node = idx.u[sb] if db > 0 else idx.v[sb]
            gc = math.hypot(xk[b] - xk[a], yk[b] - yk[a])
            nodes = idx.node_path(int(exit_node), int(entry_node), p["route_factor"] * gc + p["route_slack_m"])
            for n0, n1 in zip(nodes[:-1], nodes[1:], strict=True) if nodes else ():
                sg, rev = idx.edge_of[(n0, n1)]
                add(sg, rev, idx.length[sg] if rev else 0.0, 0.0 if rev else idx.length[sg], ch)
            add(sb, db < 0, 0.0 if db > 0 else L_b, s_k[b], ch)
    return out


def match_track(
    network: Any,
    lon: Any,
    lat: Any = None,
    time: Any = None,
    heading_deg: Any = None,
    **params: Any,
) -> MatchResult:
    """Map-match a GPS track (lon/lat EPSG:4326 arrays, or a :class:`geo.types.Track`).

    ``time`` (datetime64 or seconds) enables gap breaks and speeds; ``heading_deg``
    (compass, fix direction of travel) enables the heading term. ``params``
    override :data:`DEFAULTS`. Raises MatchingError when no fix can be matched.
    """
    from geo.crs import xy_from_lonlat

    speed = params.pop("speed_mps", None)
    if lat is None:  # a Track
        track = lon
        lon, lat, time = track.lon, track.lat, track.time
        heading_deg = track.heading_deg
        speed = track.speed_mps
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    if len(lon) == 0:
        raise MatchingError("the track has no fixes")
    x, y = xy_from_lonlat(lon, lat, network.crs.to_string())
    res = match_xy(network, x, y, time=time, heading_deg=heading_deg, speed_mps=speed, **params)
    if res.n_matched == 0:
        raise MatchingError(
            f"no fix lies within {res.params['max_distance_m']:.0f} m of the network "
            f"(track and network do not overlap?)"
        )
    log.info("matched %d/%d fixes, %d breaks, sigma %.1f m", res.n_matched, res.n_fixes, res.n_breaks, res.sigma_m)
    return res


def snap_points_to_network(network: Any, x: Any, y: Any, max_distance_m: float | None = None) -> SnapResult:
    """Snap points (network CRS metres) to their nearest segment.

    Returns segment id ("" when none within ``max_distance_m``), chainage along the
    digitised direction, signed offset (+ = left of the digitised direction).
    """
    from shapely import get_coordinates, line_interpolate_point, line_locate_point, points

    idx = _index_for(network)
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    pts = points(x, y)
    (pi, si), dist = idx.tree.query_nearest(
        pts, max_distance=max_distance_m, return_distance=True, all_matches=False
    )
    n = len(x)
    seg = np.full(n, -1)
    seg[pi] = si
    ok = seg >= 0
    sid = np.full(n, "", dtype=object)
    ch = np.full(n, np.nan)
    off = np.full(n, np.nan)
    dd = np.full(n, np.nan)
    sx, sy = np.full(n, np.nan), np.full(n, np.nan)
    if ok.any():
        g = idx.geoms[seg[ok]]
        s = line_locate_point(g, pts[ok])
        c = get_coordinates(line_interpolate_point(g, s))
        bear = np.radians(_bearing_at(idx, seg[ok], s))
        dx, dy = x[ok] - c[:, 0], y[ok] - c[:, 1]
        cross = np.sin(bear) * dy - np.cos(bear) * dx  # direction (sin b, cos b) × (dx, dy)
        sid[ok] = idx.segment_id[seg[ok]]
        ch[ok] = s
        dd[pi] = dist
        off[ok] = np.sign(cross) * dd[ok]
        sx[ok], sy[ok] = c[:, 0], c[:, 1]
    return SnapResult(segment_id=sid, chainage_m=ch, offset_m=off, distance_m=dd, snapped_x=sx, snapped_y=sy)
