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

Breaks: a time gap over ``max_gap_s``, a jump over ``breakage_m``, or no route
(within the bounded search)
between consecutive matched fixes ends the current chain; the next fix starts a
new one. A fix with no candidate (an outlier, or off the network) is left
unmatched; the chain bridges it when the next fix is reachable.
Stationary fixes (within ``stationary_m`` of the last kept fix) are collapsed
onto it. Sparse fixes get proportionally longer route searches.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo.network.match_hmm import (
    directed_states_from_candidates,
    emission_scores,
    sigma_from_distances,
    viterbi_chains,
)
from geo.network.match_index import MatchIndex, index_for, route_distances_blocked
from geo.network.match_path import Traversal, path_from_states
from roadcam.errors import MatchingError

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "max_distance_m": 50.0,  # candidate search radius (Valhalla's default)
    "k": 4,  # candidate segments per fix (a two-way segment gives two directed states)
    "sigma_m": None,  # None: estimate from the data (MAD); else fixed
    "sigma_default_m": 4.0,  # used when too few fixes to estimate
    "sigma_min_m": 4.0,
    "sigma_max_m": 20.0,
    "beta_m": 10.0,
    "route_factor": 2.0,
    "route_slack_m": 200.0,
    "max_gap_s": 60.0,  # None: never break on time (tracks sparser than this)
    "breakage_m": 2000.0,  # consecutive fixes further apart than this always break (Valhalla's default)
    "stationary_m": 2.0,
    "uturn_penalty_m": 50.0,
    "backtrack_m": None,  # backward moves on one segment up to this are GPS noise (None: 3 sigma)
    "heading_kappa": 2.0,
    "min_speed_mps": 2.0,
}


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
        for name in (
            "segment_id",
            "source_id",
            "matched_x",
            "matched_y",
            "matched_lon",
            "matched_lat",
            "chainage_m",
            "distance_m",
            "reverse",
            "chain",
        ):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"MatchResult.{name} has length {len(getattr(self, name))}, expected {n}"
                )

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
        if any(
            len(a) != n
            for a in (
                self.chainage_m,
                self.offset_m,
                self.distance_m,
                self.snapped_x,
                self.snapped_y,
            )
        ):
            raise ValueError("SnapResult arrays must have equal lengths")


# --------------------------------------------------------------------------- helpers


def _seconds(time: Any, n: int) -> np.ndarray | None:
    if time is None:
        return None
    t = np.asarray(time)
    if len(t) != n:
        raise ValueError(f"time has {len(t)} values for {n} fixes")
    if np.issubdtype(t.dtype, np.datetime64):
        ns = t.astype("datetime64[ns]").astype(np.int64)
        return (ns - ns[0]) / 1e9
    return t.astype(float)


def _bearing_at(idx: MatchIndex, seg: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Compass bearing (deg) of each segment's digitised direction at chainage s."""
    from shapely import get_coordinates, line_interpolate_point

    g = idx.geoms[seg]
    s0 = np.clip(s - 1.0, 0, idx.length[seg])
    s1 = np.clip(s + 1.0, 0, idx.length[seg])
    p0 = get_coordinates(line_interpolate_point(g, s0))
    p1 = get_coordinates(line_interpolate_point(g, s1))
    return np.degrees(np.arctan2(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])) % 360.0


def _collapse_stationary(
    x, y, t, stationary_m: float, max_gap_s: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Representative fix of each fix (itself, or the last kept fix it sits on) and the kept fixes."""
    n = len(x)
    rep = np.arange(n)
    finite = np.isfinite(x) & np.isfinite(y)
    last = -1
    for i in range(n):
        if not finite[i]:
            continue
        if (
            last >= 0
            and (t is None or max_gap_s is None or t[i] - t[last] <= max_gap_s)
            and math.hypot(x[i] - x[last], y[i] - y[last]) < stationary_m
        ):
            rep[i] = last
        else:
            last = i
    kept = np.flatnonzero((rep == np.arange(n)) & finite)
    return rep, kept


# --------------------------------------------------------------------------- matching


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
    idx = index_for(network)
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
    rep, kept = _collapse_stationary(x, y, t, p["stationary_m"], p["max_gap_s"])
    xk, yk = x[kept], y[kept]
    m = len(kept)

    pi, si, d, s = idx.candidates(xk, yk, p["max_distance_m"], int(p["k"]))
    sigma = sigma_from_distances(pi, d, p)
    st = directed_states_from_candidates(idx, pi, si, d, s, m)
    emis = emission_scores(
        st,
        sigma,
        lambda seg, s_m: _bearing_at(idx, seg, s_m),
        None if hdg is None else hdg[kept],
        None if spd is None else spd[kept],
        p,
    )

    valid, tr, logt, gap, backtrack = _transitions(
        idx, st, xk, yk, None if t is None else t[kept], sigma, p
    )
    chosen, chain_of, chains = viterbi_chains(valid, st.bounds, emis, tr.start, logt, gap, m)
    st_seg, st_s, st_dir, sb = st.seg, st.s, st.dir, st.bounds
    path = path_from_states(idx, tr, chains, valid, chosen, st_seg, st_s, st_dir, sb)
    p["backtrack_m"] = backtrack
    return _assemble(
        idx, x, y, rep, kept, chosen, chain_of, st_seg, st_s, st_dir, path, len(chains), sigma, p
    )


def _transitions(idx: MatchIndex, st, xk, yk, tk, sigma: float, p: dict[str, Any]):
    """Routes and log transition scores between consecutive kept fixes that have candidates.

    Returns ``(valid, routes, log_scores, breaks, backtrack_m)``: ``valid`` the fixes with
    candidates, ``breaks`` the transitions that end a chain (a jump or a time gap).
    """
    valid = np.flatnonzero(np.diff(st.bounds) > 0)
    a, b = valid[:-1], valid[1:]
    gc = np.hypot(xk[b] - xk[a], yk[b] - yk[a])
    limit = p["route_factor"] * gc + p["route_slack_m"]
    backtrack = 3.0 * sigma if p["backtrack_m"] is None else float(p["backtrack_m"])
    tr = route_distances_blocked(
        idx, st.seg, st.s, st.dir, st.bounds, a, b, limit, backtrack, p["uturn_penalty_m"]
    )
    logt = -np.abs(tr.value - np.repeat(gc, np.diff(tr.start))) / float(p["beta_m"])
    gap = gc > p["breakage_m"]
    if tk is not None and p["max_gap_s"] is not None:
        gap |= (tk[b] - tk[a]) > p["max_gap_s"]
    return valid, tr, logt, gap, backtrack


def _assemble(
    idx, x, y, rep, kept, chosen, chain_of, st_seg, st_s, st_dir, path, n_chains, sigma, p
) -> MatchResult:
    from shapely import get_coordinates, line_interpolate_point

    from geo.crs import lonlat_from_xy

    n = len(x)
    pos = np.full(n, -1, dtype=np.int64)
    pos[kept] = np.arange(len(kept))
    pos = pos[rep]  # collapsed fixes take their representative's match
    state = np.where(pos >= 0, chosen[np.maximum(pos, 0)] if len(kept) else -1, -1)
    matched = state >= 0
    st = state[matched]
    seg = st_seg[st]
    segment_id = np.full(n, "", dtype=object)
    source_id = np.full(n, "", dtype=object)
    segment_id[matched] = idx.segment_id[seg]
    source_id[matched] = idx.source_id[seg]
    chain_m = np.full(n, np.nan)
    chain_m[matched] = st_s[st]
    mx, my = np.full(n, np.nan), np.full(n, np.nan)
    mlon, mlat = np.full(n, np.nan), np.full(n, np.nan)
    reverse = np.zeros(n, bool)
    chain = np.full(n, -1, dtype=np.int64)
    if matched.any():
        c = get_coordinates(line_interpolate_point(idx.geoms[seg], st_s[st]))
        mx[matched], my[matched] = c[:, 0], c[:, 1]
        mlon[matched], mlat[matched] = lonlat_from_xy(c[:, 0], c[:, 1], idx.crs_string)
        reverse[matched] = st_dir[st] < 0
        chain[matched] = chain_of[pos[matched]]
    return MatchResult(
        segment_id=segment_id,
        source_id=source_id,
        matched_x=mx,
        matched_y=my,
        matched_lon=mlon,
        matched_lat=mlat,
        chainage_m=chain_m,
        distance_m=np.where(matched, np.hypot(x - mx, y - my), np.nan),
        reverse=reverse,
        matched=matched,
        chain=chain,
        path=tuple(path),
        n_breaks=max(0, n_chains - 1),
        sigma_m=float(sigma),
        params=dict(p),
    )


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
    log.info(
        "matched %d/%d fixes, %d breaks, sigma %.1f m",
        res.n_matched,
        res.n_fixes,
        res.n_breaks,
        res.sigma_m,
    )
    return res


TILED_FROM_POINTS = 20_000  # from this many points, snap in numpy (geo.network.snap_tiled)


def _snap_tiled(idx, x: np.ndarray, y: np.ndarray, max_distance_m: float) -> SnapResult:
    from geo.network.snap_tiled import bearing_at_tiled, snap_points_tiled

    seg, ch, dd, sx, sy = snap_points_tiled(idx, x, y, max_distance_m)
    ok = seg >= 0
    sid = np.full(len(x), "", dtype=object)
    off = np.full(len(x), np.nan)
    if ok.any():
        bear = np.radians(bearing_at_tiled(idx, seg[ok], ch[ok]))
        cross = np.sin(bear) * (y[ok] - sy[ok]) - np.cos(bear) * (x[ok] - sx[ok])
        sid[ok] = idx.segment_id[seg[ok]]
        off[ok] = np.sign(cross) * dd[ok]
    return SnapResult(
        segment_id=sid, chainage_m=ch, offset_m=off, distance_m=dd, snapped_x=sx, snapped_y=sy
    )


def snap_points_to_network(
    network: Any, x: Any, y: Any, max_distance_m: float | None = None
) -> SnapResult:
    """Snap points (network CRS metres) to their nearest segment.

    Returns segment id ("" when none within ``max_distance_m``), chainage along the
    digitised direction, signed offset (+ = left of the digitised direction).
    """
    from shapely import get_coordinates, line_interpolate_point, line_locate_point, points

    idx = index_for(network)
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    if max_distance_m is not None and len(x) >= TILED_FROM_POINTS:
        return _snap_tiled(idx, x, y, max_distance_m)
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
    return SnapResult(
        segment_id=sid, chainage_m=ch, offset_m=off, distance_m=dd, snapped_x=sx, snapped_y=sy
    )
