"""The hidden-Markov steps of map matching: directed states, emissions, Viterbi.

Plain numpy over arrays sorted by fix; :func:`geo.network.matching.match_xy`
strings them together with the routed transitions (see that module's docstring
for the model and its parameters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.network.match_index import MatchIndex


@dataclass(frozen=True)
class DirectedStates:
    """Candidate states sorted by kept fix; fix i owns ``bounds[i]:bounds[i + 1]``."""

    fix: np.ndarray
    seg: np.ndarray
    s: np.ndarray
    d: np.ndarray
    dir: np.ndarray  # +1 along the digitised direction, -1 against it
    bounds: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.fix)
        if not all(len(a) == n for a in (self.seg, self.s, self.d, self.dir)):
            raise ValueError("state arrays differ in length")


def directed_states_from_candidates(
    idx: MatchIndex, pi: np.ndarray, si: np.ndarray, d: np.ndarray, s: np.ndarray, n_fixes: int
) -> DirectedStates:
    """Each candidate along its segment, plus against it where the segment is two-way."""
    two = ~idx.oneway[si]
    fix = np.concatenate([pi, pi[two]])
    order = np.argsort(fix, kind="stable")
    fix = fix[order]
    direction = np.concatenate([np.ones(len(si), np.int8), -np.ones(int(two.sum()), np.int8)])
    return DirectedStates(
        fix=fix,
        seg=np.concatenate([si, si[two]])[order],
        s=np.concatenate([s, s[two]])[order],
        d=np.concatenate([d, d[two]])[order],
        dir=direction[order],
        bounds=np.searchsorted(fix, np.arange(n_fixes + 1)),
    )


def sigma_from_distances(pi: np.ndarray, d: np.ndarray, p: dict[str, Any]) -> float:
    """``sigma_m``, or 1.4826 x the median best-candidate distance (MAD), clipped."""
    if p["sigma_m"] is not None:
        return float(p["sigma_m"])
    first = np.searchsorted(pi, np.unique(pi))
    sigma = 1.4826 * float(np.median(d[first])) if len(first) >= 10 else p["sigma_default_m"]
    return float(np.clip(sigma, p["sigma_min_m"], p["sigma_max_m"]))


def emission_scores(
    st: DirectedStates,
    sigma_m: float,
    bearing_deg: Any,
    heading_deg: np.ndarray | None,
    speed_mps: np.ndarray | None,
    p: dict[str, Any],
) -> np.ndarray:
    """Gaussian on the distance, plus the heading term for moving fixes (per kept fix arrays).

    ``bearing_deg(seg, s)`` gives each segment's digitised bearing at chainage s.
    """
    emis = -0.5 * (st.d / sigma_m) ** 2
    if heading_deg is None or not len(st.fix):
        return emis
    h = heading_deg[st.fix]
    use = np.isfinite(h)
    if speed_mps is not None:
        use &= speed_mps[st.fix] >= p["min_speed_mps"]
    if use.any():
        flip = np.where(st.dir[use] > 0, 0.0, 180.0)
        bear = (bearing_deg(st.seg[use], st.s[use]) + flip) % 360.0
        emis[use] += p["heading_kappa"] * (np.cos(np.radians(bear - h[use])) - 1.0)
    return emis


def viterbi_chains(
    valid: np.ndarray,
    bounds: np.ndarray,
    emis: np.ndarray,
    tr_start: np.ndarray,
    logt: np.ndarray,
    gap: np.ndarray,
    n_fixes: int,
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Best state per kept fix, its chain, and the chains (positions in ``valid``).

    A gap, or a step no state can reach, closes the chain; the next fix starts one.
    """
    chosen = np.full(n_fixes, -1, dtype=np.int64)
    chain_of = np.full(n_fixes, -1, dtype=np.int64)
    chains: list[list[int]] = []
    back: list[np.ndarray | None] = [None] * len(valid)
    score: np.ndarray | None = None

    def close() -> None:
        if score is None:
            return
        bi = int(np.argmax(score))
        for j in reversed(chains[-1]):
            f = valid[j]
            chosen[f] = bounds[f] + bi
            chain_of[f] = len(chains) - 1
            if back[j] is not None:
                bi = int(back[j][bi])

    for j, f in enumerate(valid):
        e = emis[bounds[f] : bounds[f + 1]]
        if j > 0 and score is not None and not gap[j - 1]:
            step = logt[tr_start[j - 1] : tr_start[j]].reshape(len(score), len(e))
            total = score[:, None] + step
            bp = np.argmax(total, axis=0)
            best = total[bp, np.arange(len(e))]
            if np.isfinite(best).any():
                back[j] = bp
                score = best + e - (best + e).max()
                chains[-1].append(j)
                continue
        close()
        chains.append([j])
        score = e - e.max()
    close()
    return chosen, chain_of, chains
