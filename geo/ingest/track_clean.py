"""Turn raw GPS fixes from any reader into one clean :class:`~geo.types.Track`.

Every reader in :mod:`geo` ends with :func:`track_from_fixes`, which

1. sorts the fixes by time and merges fixes that share a time (for example an
   NMEA RMC and GGA for the same epoch, or a GoPro clip that repeats a
   timestamp) and counts the merges;
2. drops position jumps that imply more than ``max_speed_kmh`` (default
   200 km/h, far beyond a refuse truck) and counts them;
3. derives speed (m/s) and heading (degrees clockwise from true north) where the
   source lacks them, from the neighbouring valid fixes.

Distances and bearings here are WGS84 geodesics (pyproj ``Geod``), in metres
and degrees from true north, never distances in degrees.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from geo.crs import bearing_deg, geodesic_m
from geo.types import Track

log = logging.getLogger(__name__)

MAX_SPEED_KMH = 200.0
STATIONARY_M = 0.5  # below this distance between fixes, heading is carried over
JUMP_RESET_RUN = 5  # after this many consecutive rejects, accept the new position


def _as_float(values: Sequence | np.ndarray | None, n: int, fill: float = math.nan) -> np.ndarray:
    if values is None:
        return np.full(n, fill, dtype=float)
    return np.asarray(values, dtype=float).reshape(n)


def _to_ns(time: Sequence | np.ndarray) -> np.ndarray:
    """Times (datetime64 of any unit, or aware datetimes) as int64 UTC nanoseconds."""
    arr = np.asarray(time)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").astype("int64")
    out = np.empty(len(arr), dtype="int64")
    for i, t in enumerate(arr):
        if getattr(t, "tzinfo", None) is None:
            raise ValueError("fix times must be timezone-aware datetimes or datetime64 UTC")
        out[i] = round(t.timestamp() * 1e6) * 1000
    return out


def _merge_duplicates(
    ns, cols: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Merge fixes with equal times: mean position of the valid ones, first known speed/heading."""
    uniq, start = np.unique(ns, return_index=True)
    if len(uniq) == len(ns):
        return ns, cols, 0
    bounds = list(start) + [len(ns)]
    out = {k: np.empty(len(uniq), dtype=v.dtype) for k, v in cols.items()}
    for j in range(len(uniq)):
        sl = slice(bounds[j], bounds[j + 1])
        fix = cols["fix_quality"][sl]
        good = fix > 0
        pick = good if good.any() else np.ones_like(good)
        for k in ("lon", "lat"):
            vals = cols[k][sl][pick]
            out[k][j] = np.nanmean(vals) if np.isfinite(vals).any() else math.nan
        for k in ("speed_mps", "heading_deg"):
            vals = cols[k][sl][pick]
            finite = vals[np.isfinite(vals)]
            out[k][j] = finite[0] if len(finite) else math.nan
        out["fix_quality"][j] = fix.max()
        hd = cols["hdop"][sl]
        out["hdop"][j] = np.nanmin(hd) if np.isfinite(hd).any() else math.nan
    return uniq, out, len(ns) - len(uniq)


def _drop_jumps(ns, lon, lat, valid, max_speed_mps: float) -> np.ndarray:
    """Mask of valid fixes to reject because reaching them implies > max_speed_mps.

    Greedy from the first valid fix: a fix is compared with the last kept one.
    After :data:`JUMP_RESET_RUN` consecutive rejects the vehicle really is
    somewhere else (or the first fix was the outlier), so the run is re-examined
    from its first member.
    """
    idx = np.flatnonzero(valid)
    reject = np.zeros(len(ns), dtype=bool)
    if len(idx) < 2:
        return reject

    def ok(a: int, b: int) -> bool:
        dt = (ns[b] - ns[a]) / 1e9
        return float(geodesic_m(lon[a], lat[a], lon[b], lat[b])) <= max(dt, 1e-3) * max_speed_mps

    # the anchor must agree with the fix after it: leading fixes that agree with nothing are outliers
    start = 0
    while (
        start + 2 < len(idx)
        and not ok(idx[start], idx[start + 1])
        and ok(idx[start + 1], idx[start + 2])
    ):
        reject[idx[start]] = True
        start += 1
    last = idx[start]
    run: list[int] = []
    k = start + 1
    while k < len(idx):
        i = idx[k]
        if ok(last, i):
            last = i
            run = []
        else:
            run.append(i)
            reject[i] = True
            if len(run) >= JUMP_RESET_RUN:
                # the rejected run agrees with itself: accept it from its start
                first = run[0]
                reject[run] = False
                last = first
                k = int(np.searchsorted(idx, first))
                run = []
        k += 1
    return reject


def _derive(ns, lon, lat, speed, heading, valid) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing speed/heading from neighbouring valid fixes (central differences)."""
    speed = speed.copy()
    heading = heading.copy()
    idx = np.flatnonzero(valid)
    if len(idx) >= 2:
        t = ns[idx] / 1e9
        x, y = lon[idx], lat[idx]
        prev = np.r_[0, np.arange(len(idx) - 1)]
        nxt = np.r_[np.arange(1, len(idx)), len(idx) - 1]
        dist = geodesic_m(x[prev], y[prev], x[nxt], y[nxt])
        dt = t[nxt] - t[prev]
        v = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0), 0.0)
        brg = bearing_deg(x[prev], y[prev], x[nxt], y[nxt])
        brg = np.where(dist >= STATIONARY_M, brg, np.nan)
        # carry the last moving heading over stops
        for j in range(1, len(brg)):
            if np.isnan(brg[j]):
                brg[j] = brg[j - 1]
        for j in range(len(brg) - 2, -1, -1):
            if np.isnan(brg[j]):
                brg[j] = brg[j + 1]
        miss_s = ~np.isfinite(speed[idx])
        speed[idx[miss_s]] = v[miss_s]
        miss_h = ~np.isfinite(heading[idx])
        heading[idx[miss_h]] = brg[miss_h]
    heading = np.where(np.isfinite(heading), np.mod(heading, 360.0), np.nan)
    return speed, heading


def track_from_fixes(
    time: Sequence | np.ndarray,
    lon: Sequence | np.ndarray,
    lat: Sequence | np.ndarray,
    *,
    speed_mps: Sequence | np.ndarray | None = None,
    heading_deg: Sequence | np.ndarray | None = None,
    fix_quality: Sequence | np.ndarray | None = None,
    hdop: Sequence | np.ndarray | None = None,
    source: str = "",
    max_speed_kmh: float = MAX_SPEED_KMH,
) -> Track:
    """Build a clean :class:`Track` from raw fixes in any order.

    ``time``: datetime64 (UTC) or timezone-aware datetimes. ``fix_quality``
    defaults to 1 (valid) where lon/lat are finite, else 0. Fixes without
    coordinates are dropped; valid fixes that imply more than ``max_speed_kmh``
    are dropped and counted in ``Track.dropped_outliers``; fixes sharing a time
    are merged and counted in ``Track.merged_duplicates``.
    """
    ns = _to_ns(time)
    n = len(ns)
    lon_a = _as_float(lon, n)
    lat_a = _as_float(lat, n)
    has_pos = np.isfinite(lon_a) & np.isfinite(lat_a)
    fix = (
        np.asarray(fix_quality, dtype=np.int16).reshape(n)
        if fix_quality is not None
        else has_pos.astype(np.int16)
    )
    fix = np.where(has_pos, fix, 0).astype(np.int16)
    cols = {
        "lon": lon_a,
        "lat": lat_a,
        "speed_mps": _as_float(speed_mps, n),
        "heading_deg": _as_float(heading_deg, n),
        "fix_quality": fix,
        "hdop": _as_float(hdop, n),
    }
    keep = has_pos & (ns > np.iinfo("int64").min)
    ns = ns[keep]
    cols = {k: v[keep] for k, v in cols.items()}
    order = np.argsort(ns, kind="stable")
    ns = ns[order]
    cols = {k: v[order] for k, v in cols.items()}
    ns, cols, merged = _merge_duplicates(ns, cols)

    valid = cols["fix_quality"] > 0
    reject = _drop_jumps(ns, cols["lon"], cols["lat"], valid, max_speed_kmh / 3.6)
    dropped = int(reject.sum())
    if dropped:
        log.info(
            "%s: dropped %d fixes implying > %.0f km/h", source or "track", dropped, max_speed_kmh
        )
        ns = ns[~reject]
        cols = {k: v[~reject] for k, v in cols.items()}
        valid = cols["fix_quality"] > 0
    speed, heading = _derive(
        ns, cols["lon"], cols["lat"], cols["speed_mps"], cols["heading_deg"], valid
    )
    return Track(
        time=ns.astype("datetime64[ns]"),
        lon=cols["lon"],
        lat=cols["lat"],
        speed_mps=speed,
        heading_deg=heading,
        fix_quality=cols["fix_quality"].astype(np.int16),
        hdop=cols["hdop"],
        source=source,
        dropped_outliers=dropped,
        merged_duplicates=merged,
    )


def track_length_m(track: Track) -> float:
    """Length in metres along the valid fixes of a track."""
    v = track.valid
    if v.sum() < 2:
        return 0.0
    return float(
        geodesic_m(track.lon[v][:-1], track.lat[v][:-1], track.lon[v][1:], track.lat[v][1:]).sum()
    )
