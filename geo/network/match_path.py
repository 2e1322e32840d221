"""The matched path: ordered segment traversals from the states Viterbi chose.

:func:`geo.network.matching.match_xy` chooses one directed state per fix; between two
consecutive states of a chain the route is direct (one segment), a U-turn, or a network
route whose nodes come from :func:`geo.network.match_index.node_paths`.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.network.match_index import ROUTE_NETWORK, ROUTE_UTURN, node_paths


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


def path_from_states(idx, tr, chains, valid, chosen, st_seg, st_s, st_dir, sb) -> list[Traversal]:
    """Ordered segment traversals of each chain (consecutive parts of one segment merged)."""
    out: list[Traversal] = []

    def add(sg: int, rev: bool, a: float, b: float, ch: int) -> None:
        sid = str(idx.segment_id[sg])
        if out and out[-1].segment_id == sid and out[-1].reverse == rev and out[-1].chain == ch:
            out[-1] = Traversal(sid, rev, out[-1].start_m, float(b), ch)
        else:
            out.append(Traversal(sid, rev, float(a), float(b), ch))

    steps = []  # (chain, transition j-1, prev state, cur state, kind)
    requests = []
    for ch, members in enumerate(chains):
        for j in members[1:]:
            ps, cs = chosen[valid[j - 1]], chosen[valid[j]]
            nprev = sb[valid[j - 1] + 1] - sb[valid[j - 1]]
            ncur = sb[valid[j] + 1] - sb[valid[j]]
            flat = tr.start[j - 1] + (ps - sb[valid[j - 1]]) * ncur + (cs - sb[valid[j]])
            assert flat < tr.start[j] and nprev > 0
            kind = int(tr.kind[flat])
            steps.append((ch, j - 1, ps, cs, kind))
            if kind == ROUTE_NETWORK:
                ex = idx.v[st_seg[ps]] if st_dir[ps] > 0 else idx.u[st_seg[ps]]
                en = idx.u[st_seg[cs]] if st_dir[cs] > 0 else idx.v[st_seg[cs]]
                requests.append((j - 1, int(ex), int(en)))
    paths = node_paths(idx, tr, requests)
    it = iter(steps)
    for ch, members in enumerate(chains):
        f0 = chosen[valid[members[0]]]
        add(int(st_seg[f0]), bool(st_dir[f0] < 0), st_s[f0], st_s[f0], ch)
        for _ in members[1:]:
            _, tj, ps, cs, kind = next(it)
            sa, sbg = int(st_seg[ps]), int(st_seg[cs])
            da, db = int(st_dir[ps]), int(st_dir[cs])
            if kind != ROUTE_NETWORK:
                if kind == ROUTE_UTURN:
                    add(sa, da < 0, st_s[ps], st_s[ps], ch)
                add(sbg, db < 0, st_s[ps], st_s[cs], ch)
                continue
            add(sa, da < 0, st_s[ps], idx.length[sa] if da > 0 else 0.0, ch)
            ex = idx.v[sa] if da > 0 else idx.u[sa]
            en = idx.u[sbg] if db > 0 else idx.v[sbg]
            nodes = paths.get((tj, int(ex), int(en))) or []
            for n0, n1 in zip(nodes[:-1], nodes[1:], strict=False):
                sg, rev = idx.edge_of[(n0, n1)]
                add(sg, rev, idx.length[sg] if rev else 0.0, 0.0 if rev else idx.length[sg], ch)
            add(sbg, db < 0, 0.0 if db > 0 else idx.length[sbg], st_s[cs], ch)
    return out
