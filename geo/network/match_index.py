"""The matcher's view of a road network: arrays, spatial index, CSR graph, and the
vectorised transition computation (bounded Dijkstra on local subgraphs).

Used by :mod:`geo.network.matching`; built once per :class:`~geo.network.roads.RoadNetwork`
(cached by identity, released with the network).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from roadcam.errors import NetworkError

ROUTE_NETWORK, ROUTE_DIRECT, ROUTE_UTURN = 0, 1, 2
CHUNK_TRANSITIONS = 32  # transitions routed together on one local subgraph
BLOCK_TRANSITIONS = 4096  # transitions whose pair arrays are held in memory at once
PRED_BUDGET_BYTES = 64 * 2**20  # Dijkstra predecessor rows kept per match; beyond, recomputed


class MatchIndex:
    """Per-network arrays for matching; node ids are 0..n_nodes-1."""

    def __init__(self, network: Any) -> None:
        from scipy.sparse import csr_matrix
        from shapely import STRtree, get_coordinates

        seg = network.segments
        if len(seg) == 0:
            raise NetworkError("the network has no segments")
        self.crs = network.crs
        self.crs_string = network.crs.to_string()
        self.geoms = np.asarray(seg.geometry.values, dtype=object)
        self.length = seg["length_m"].to_numpy(float)
        self.oneway = seg["oneway"].to_numpy(bool)
        self.segment_id = np.array([str(v) for v in seg["segment_id"].tolist()], dtype=object)
        self.source_id = np.array([str(v) for v in seg["source_id"].tolist()], dtype=object)
        nodes, inv = np.unique(
            np.array([str(v) for v in seg["u"].tolist() + seg["v"].tolist()]), return_inverse=True
        )
        n = len(seg)
        self.u, self.v = inv[:n].astype(np.int64), inv[n:].astype(np.int64)
        self.n_nodes = len(nodes)
        self.node_x = np.zeros(self.n_nodes)
        self.node_y = np.zeros(self.n_nodes)
        coords, which = get_coordinates(self.geoms, return_index=True)
        first = coords[np.searchsorted(which, np.arange(n), side="left")]
        last = coords[np.searchsorted(which, np.arange(n), side="right") - 1]
        self.node_x[self.u], self.node_y[self.u] = first[:, 0], first[:, 1]
        self.node_x[self.v], self.node_y[self.v] = last[:, 0], last[:, 1]
        self.tree = STRtree(self.geoms)
        # directed edges: forward for all, backward for two-way; no self-loops; shortest parallel kept
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
        uniq = np.ones(len(a), bool)
        uniq[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w, sidx, rev = a[uniq], b[uniq], w[uniq], sidx[uniq], rev[uniq]
        self.csr = csr_matrix((w, (a, b)), shape=(self.n_nodes, self.n_nodes))
        self.csr.sort_indices()
        self.edge_of = {
            (int(x), int(y)): (int(s), bool(r)) for x, y, s, r in zip(a, b, sidx, rev, strict=True)
        }

    def candidates(self, x: np.ndarray, y: np.ndarray, radius: float, k: int):
        """(fix, segment, distance, chainage) of the k nearest segments within radius, sorted by fix."""
        from shapely import distance, line_locate_point, points

        pts = points(x, y)
        pi, si = self.tree.query(pts, predicate="dwithin", distance=radius)
        if len(pi) == 0:
            return pi.astype(np.int64), si.astype(np.int64), np.zeros(0), np.zeros(0)
        d = distance(pts[pi], self.geoms[si])
        order = np.lexsort((si, d, pi))
        pi, si, d = pi[order], si[order], d[order]
        start = np.searchsorted(pi, pi, side="left")
        keep = (np.arange(len(pi)) - start) < k
        pi, si, d = pi[keep], si[keep], d[keep]
        s = line_locate_point(self.geoms[si], pts[pi])
        return pi.astype(np.int64), si.astype(np.int64), d, s

    def subgraph(self, nodes: np.ndarray, reach_m: float):
        """CSR of the nodes inside the bbox of ``nodes`` grown by ``reach_m``.

        Any path of length ≤ reach_m from one of ``nodes`` stays inside (edge
        lengths are at least the straight-line distance), so bounded searches on
        the subgraph equal those on the whole graph. Returns (csr, local, glob, bbox).
        """
        nx_, ny_ = self.node_x[nodes], self.node_y[nodes]
        bbox = (nx_.min() - reach_m, ny_.min() - reach_m, nx_.max() + reach_m, ny_.max() + reach_m)
        return (*self.subgraph_bbox(bbox), bbox)

    def subgraph_bbox(self, bbox: tuple[float, float, float, float]):
        """(csr, local index of each global node or -1, global index of each local node)."""
        m = (
            (self.node_x >= bbox[0])
            & (self.node_x <= bbox[2])
            & (self.node_y >= bbox[1])
            & (self.node_y <= bbox[3])
        )
        glob = np.flatnonzero(m)
        local = np.full(self.n_nodes, -1, dtype=np.int64)
        local[glob] = np.arange(len(glob))
        return self.csr[glob][:, glob], local, glob


_INDEXES: dict[int, tuple[Any, MatchIndex]] = {}


def index_for(network: Any) -> MatchIndex:
    """The cached :class:`MatchIndex` of ``network`` (built on first use)."""
    key = id(network)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is network:
        return hit[1]
    idx = MatchIndex(network)
    _INDEXES[key] = (weakref.ref(network, lambda _r, k=key: _INDEXES.pop(k, None)), idx)
    return idx


@dataclass
class Transitions:
    """Flat transition data: block ``i`` (prev × cur states of transition i) is
    ``value[start[i]:start[i+1]]`` (row-major); ``kind`` says how each route goes."""

    value: np.ndarray  # route distance (m), inf when unreachable
    kind: np.ndarray  # ROUTE_NETWORK / ROUTE_DIRECT / ROUTE_UTURN
    start: np.ndarray
    chunk_of: np.ndarray  # transition -> chunk number
    chunks: list  # per chunk: (bbox, search limit, (local, glob, sources, predecessors) or None), or None


def route_distances(
    idx: MatchIndex,
    st_seg: np.ndarray,
    st_s: np.ndarray,
    st_dir: np.ndarray,
    sb: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    limit: np.ndarray,
    backtrack_m: float,
    uturn_penalty_m: float,
    budget: list[int] | None = None,
) -> Transitions:
    """Route distances for every (prev state, cur state) pair of each transition a[i] → b[i].

    States of fix f are ``sb[f]:sb[f+1]``. Routes leave the previous state's
    segment in its direction, follow a bounded shortest path, and enter the
    current state's segment in its direction; on one segment a forward move is
    direct, a backward one under ``backtrack_m`` (GPS noise) counts three times
    its length, and a reversal is a U-turn costing ``uturn_penalty_m`` extra.
    """
    budget = budget if budget is not None else [PRED_BUDGET_BYTES]
    pairs = _state_pairs(idx, st_seg, st_s, st_dir, sb, a, b)
    route, chunk_of, chunks = _network_routes(idx, pairs, len(a), limit, budget)
    limit_pairs = np.repeat(limit, pairs.sizes) + pairs.exit_cost + pairs.entry_cost
    route = np.where(route <= limit_pairs, route, np.inf)
    route, kind = _same_segment_routes(pairs, route, backtrack_m, uturn_penalty_m)
    return Transitions(value=route, kind=kind, start=pairs.start, chunk_of=chunk_of, chunks=chunks)


@dataclass(frozen=True)
class _StatePairs:
    """Every (prev state, cur state) pair of every transition, flat (see :class:`Transitions`)."""

    start: np.ndarray  # first pair of each transition (and the total at the end)
    sizes: np.ndarray  # pairs per transition
    pseg: np.ndarray  # segment, direction and position (m along it) of the prev state
    pdir: np.ndarray
    ps: np.ndarray
    cseg: np.ndarray  # ... and of the cur state
    cdir: np.ndarray
    cs: np.ndarray
    exit_node: np.ndarray  # where a network route leaves the prev segment, and the cost to it (m)
    exit_cost: np.ndarray
    entry_node: np.ndarray  # where it enters the cur segment, and the cost from it (m)
    entry_cost: np.ndarray


def _state_pairs(idx: MatchIndex, st_seg, st_s, st_dir, sb, a, b) -> _StatePairs:
    n_prev = sb[a + 1] - sb[a]
    n_cur = sb[b + 1] - sb[b]
    sizes = n_prev * n_cur
    start = np.concatenate([[0], np.cumsum(sizes)])
    total = int(start[-1])
    tid = np.repeat(np.arange(len(a)), sizes)
    k = np.arange(total) - start[tid]
    pl, cl = k // n_cur[tid], k % n_cur[tid]
    p = sb[a][tid] + pl
    c = sb[b][tid] + cl
    pseg, cseg = st_seg[p], st_seg[c]
    pdir, cdir = st_dir[p], st_dir[c]
    ps, cs = st_s[p], st_s[c]
    return _StatePairs(
        start=start, sizes=sizes, pseg=pseg, pdir=pdir, ps=ps, cseg=cseg, cdir=cdir, cs=cs,
        exit_node=np.where(pdir > 0, idx.v[pseg], idx.u[pseg]),
        exit_cost=np.where(pdir > 0, idx.length[pseg] - ps, ps),
        entry_node=np.where(cdir > 0, idx.u[cseg], idx.v[cseg]),
        entry_cost=np.where(cdir > 0, cs, idx.length[cseg] - cs),
    )  # fmt: skip


def _network_routes(
    idx: MatchIndex, pairs: _StatePairs, n_transitions: int, limit: np.ndarray, budget: list[int]
) -> tuple[np.ndarray, np.ndarray, list]:
    """Network route distance (m) of every pair: one bounded Dijkstra per chunk of transitions.

    Keeps each chunk's predecessors while ``budget`` (bytes) lasts, for :func:`node_paths`.
    """
    from scipy.sparse.csgraph import dijkstra

    start, exit_node, entry_node = pairs.start, pairs.exit_node, pairs.entry_node
    route = np.full(int(start[-1]), np.inf)
    chunk_of = np.arange(n_transitions) // CHUNK_TRANSITIONS
    chunks = []
    for ch in range(int(chunk_of.max()) + 1 if n_transitions else 0):
        t0, t1 = ch * CHUNK_TRANSITIONS, min(n_transitions, (ch + 1) * CHUNK_TRANSITIONS)
        lo, hi = start[t0], start[t1]
        if hi == lo:
            chunks.append(None)
            continue
        lim = float(limit[t0:t1].max())
        ex, en = exit_node[lo:hi], entry_node[lo:hi]
        sub, local, glob, bbox = idx.subgraph(np.concatenate([ex, en]), lim)
        src, src_inv = np.unique(local[ex], return_inverse=True)
        keep = budget[0] > 0
        res = dijkstra(sub, directed=True, indices=src, limit=lim, return_predecessors=keep)
        D = np.atleast_2d(res[0] if keep else res)
        route[lo:hi] = pairs.exit_cost[lo:hi] + D[src_inv, local[en]] + pairs.entry_cost[lo:hi]
        if keep:
            pred = np.atleast_2d(res[1])
            budget[0] -= pred.nbytes + local.nbytes
            chunks.append((bbox, lim, (local, glob, src, pred)))
        else:
            chunks.append((bbox, lim, None))
    return route, chunk_of, chunks


def _same_segment_routes(
    pairs: _StatePairs, route: np.ndarray, backtrack_m: float, uturn_penalty_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs on one segment: a direct move or a U-turn where cheaper than the network route."""
    kind = np.zeros(len(route), np.int8)
    pdir, cdir = pairs.pdir, pairs.cdir
    same = pairs.pseg == pairs.cseg
    delta = pairs.cs - pairs.ps
    along = delta * pdir
    # a backward move (GPS noise) costs three times its length, so that a long
    # backward run is cheaper as a U-turn
    direct_len = np.where(along >= 0, along, -3.0 * along)
    direct = same & (pdir == cdir) & (along >= -backtrack_m) & (direct_len <= route)
    route = np.where(direct, direct_len, route)
    kind[direct] = ROUTE_DIRECT
    uturn = same & (pdir != cdir) & (np.abs(delta) + uturn_penalty_m < route)
    route = np.where(uturn, np.abs(delta) + uturn_penalty_m, route)
    kind[uturn] = ROUTE_UTURN
    return route, kind


def node_paths(
    idx: MatchIndex, tr: Transitions, requests: list[tuple[int, int, int]]
) -> dict[tuple[int, int, int], list[int] | None]:
    """Global node paths for ``(transition, exit_node, entry_node)`` requests: one
    Dijkstra call with predecessors per chunk, from the requested exit nodes only."""
    from scipy.sparse.csgraph import dijkstra

    out: dict[tuple[int, int, int], list[int] | None] = {}
    by_chunk: dict[int, list[tuple[int, int, int]]] = {}
    for r in requests:
        by_chunk.setdefault(int(tr.chunk_of[r[0]]), []).append(r)
    for ch, reqs in by_chunk.items():
        bbox, lim, kept = tr.chunks[ch]
        if kept is not None:
            local, glob, src, pred = kept
        else:
            sub, local, glob = idx.subgraph_bbox(bbox)
            src = np.unique([local[r[1]] for r in reqs])
            _, pred = dijkstra(sub, directed=True, indices=src, limit=lim, return_predecessors=True)
            pred = np.atleast_2d(pred)
        for r in reqs:
            s_loc, d_loc = int(local[r[1]]), int(local[r[2]])
            if s_loc == d_loc:
                out[r] = [r[1]]
                continue
            pr = pred[int(np.searchsorted(src, s_loc))]
            if d_loc < 0 or pr[d_loc] < 0:
                out[r] = None
                continue
            path = [d_loc]
            while path[-1] != s_loc:
                path.append(int(pr[path[-1]]))
            out[r] = [int(glob[n]) for n in reversed(path)]
    return out


def route_distances_blocked(
    idx: MatchIndex,
    st_seg,
    st_s,
    st_dir,
    sb,
    a,
    b,
    limit,
    backtrack_m: float,
    uturn_penalty_m: float,
    block: int | None = None,
) -> Transitions:
    """:func:`route_distances` in blocks of ``block`` transitions (bounded memory on long tracks)."""
    block = block or BLOCK_TRANSITIONS
    budget = [PRED_BUDGET_BYTES]
    parts = [
        route_distances(
            idx,
            st_seg,
            st_s,
            st_dir,
            sb,
            a[i : i + block],
            b[i : i + block],
            limit[i : i + block],
            backtrack_m,
            uturn_penalty_m,
            budget,
        )
        for i in range(0, len(a), block)
    ]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return route_distances(
            idx, st_seg, st_s, st_dir, sb, a, b, limit, backtrack_m, uturn_penalty_m
        )
    value = np.concatenate([t.value for t in parts])
    kind = np.concatenate([t.kind for t in parts])
    starts, chunk_of, chunks = [np.zeros(1, np.int64)], [], []
    off = 0
    for t in parts:
        starts.append(t.start[1:] + off)
        off += int(t.start[-1])
        chunk_of.append(t.chunk_of + len(chunks))
        chunks.extend(t.chunks)
    return Transitions(
        value=value,
        kind=kind,
        start=np.concatenate(starts),
        chunk_of=np.concatenate(chunk_of),
        chunks=chunks,
    )
