"""Turn raw GPS fixes from any reader into one clean :class:`~geo.types.Track`.

Every reader in :mod:`geo` ends with :func:`track_from_fixes`, which

1. drops coordinates out of range, sorts the fixes by time and merges fixes that
   share a time and lie within 50 m (one fix written twice: a GoPro clip that
   repeats a timestamp, a receiver that repeats an epoch); a fix sharing a time
   with an earlier one but far from it (two tracks in one file, route points
   with one time) is dropped: the first in file order is kept, as averaging
   would put the fix where neither was;
2. drops position jumps that imply more than ``max_speed_kmh`` (default
   200 km/h, far beyond a refuse truck), but only where the track itself says
   which fixes are wrong: a detour of fewer than 5 fixes between two fixes that
   agree with each other, or a short run at either end next to a longer one.
   A track of a few far-apart fixes (every step too fast, none more suspect
   than another) is kept as it is;
3. derives speed (m/s) and heading (degrees clockwise from true north) where the
   source lacks them, from the neighbouring valid fixes.

Each drop and merge is counted by reason in ``Track.ingest_counts``, with the
reader's own counts; :data:`COUNT_REASONS` says what each reason means.

Distances and bearings here are WGS84 geodesics (pyproj ``Geod``), in metres
and degrees from true north, never distances in degrees.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from geo.crs import bearing_deg, geodesic_m
from geo.types import Track

log = logging.getLogger(__name__)

MAX_SPEED_KMH = 200.0
STATIONARY_M = 0.5  # below this distance between fixes, heading is carried over
JUMP_RESET_RUN = 5  # this many fixes that agree with each other are never outliers
SAME_TIME_SPREAD_M = 50.0  # fixes sharing a time closer than this are one fix reported twice

# every count a reader or the cleaning may put in Track.ingest_counts, and why
COUNT_REASONS = {
    "skipped_bad_checksum": "NMEA sentence whose *hh checksum does not match",
    "skipped_unparsed": "NMEA sentence of a known type whose fields do not parse "
    "(truncated, or without checksum and not the standard field count)",
    "accepted_no_checksum": "NMEA sentence without checksum, read because it parses cleanly",
    "skipped_no_exif_gps": "JPEG without an EXIF GPS position and time",
    "dropped_status_v": "the receiver marked the fix not valid (RMC/GLL status V or mode N)",
    "dropped_no_fix_quality": "GGA fix quality 0, 6, 7 or 8 (no fix, dead reckoning, "
    "manual, simulator) and no RMC at that time",
    "dropped_no_position": "a fix sentence marked valid but with an empty position",
    "dropped_out_of_range": "latitude beyond 90, longitude beyond 180 or minutes >= 60",
    "dropped_undated": "time of day but no date (no RMC, ZDA, dated neighbour or prefix)",
    "dropped_untimed": "GPX point without <time>",
    "dropped_bad_point": "GPX point whose time or coordinates do not parse",
    "read_route_points": "GPX route points read (the file has no timed track point): "
    "route times are not a drive's timeline, so no jump filter",
    "skipped_gll_redundant": "NMEA GLL in a log with RMC or GGA: the same fix again, "
    "sometimes stamped a few ms or a second apart, so only RMC/GGA are used",
    "dropped_conflicting_time": f"same time as an earlier fix but more than "
    f"{SAME_TIME_SPREAD_M:.0f} m from it (two tracks or route points sharing a time): "
    "the first in file order is kept",
    "merged_same_time": f"same time as another fix within {SAME_TIME_SPREAD_M:.0f} m "
    "(one fix written twice): averaged into one",
    "dropped_jump_spike": f"fewer than {JUMP_RESET_RUN} fixes reachable only above "
    "max_speed_kmh, between fixes that agree with each other",
    "dropped_jump_end": f"fewer than {JUMP_RESET_RUN} fixes at the start or end reachable "
    "only above max_speed_kmh from the longer part of the track next to them",
}


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
) -> tuple[np.ndarray, dict[str, np.ndarray], int, int]:
    """Fixes sharing a time: those within :data:`SAME_TIME_SPREAD_M` of the first valid one
    are merged (mean position, first known speed/heading, best fix and HDOP); the others
    are conflicting readings of that instant and dropped. Returns (ns, cols, merged, dropped).
    """
    uniq, start = np.unique(ns, return_index=True)
    if len(uniq) == len(ns):
        return ns, cols, 0, 0
    bounds = list(start) + [len(ns)]
    out = {k: np.empty(len(uniq), dtype=v.dtype) for k, v in cols.items()}
    merged = conflicting = 0
    for j in range(len(uniq)):
        sl = slice(bounds[j], bounds[j + 1])
        fix = cols["fix_quality"][sl]
        good = fix > 0
        pick = good if good.any() else np.ones_like(good)
        first = int(np.flatnonzero(pick)[0])
        near = geodesic_m(cols["lon"][sl][first], cols["lat"][sl][first],
                           cols["lon"][sl], cols["lat"][sl]) <= SAME_TIME_SPREAD_M  # fmt: skip
        pick = pick & near
        conflicting += int((~near).sum())
        merged += int(near.sum()) - 1
        for k in ("lon", "lat"):
            out[k][j] = np.mean(cols[k][sl][pick])
        for k in ("speed_mps", "heading_deg"):
            vals = cols[k][sl][pick]
            finite = vals[np.isfinite(vals)]
            out[k][j] = finite[0] if len(finite) else math.nan
        out["fix_quality"][j] = fix[pick].max()
        hd = cols["hdop"][sl][pick]
        out["hdop"][j] = np.nanmin(hd) if np.isfinite(hd).any() else math.nan
    return uniq, out, merged, conflicting


def _heal_breaks(keep: list[int], ok, dist) -> list[int]:
    """Take detours out of ``keep`` (positions of valid fixes, in time order).

    At each break (two consecutive fixes too far apart for their times), the fewest
    fixes, fewer than :data:`JUMP_RESET_RUN`, whose removal joins the fixes either side
    into a plausible step are dropped: those after the break (a spike) or those before
    it (a fix out of place, e.g. stamped with a wrong time). When either would do, the
    ones whose removal shortens the path more (the bigger detour) go. Where no such
    removal exists the break stays: a real relocation, or a short run at an end
    (:func:`_end_runs`). ``dist(a, b)``: metres between two fixes. Returns the dropped.
    """

    def detour_m(lo: int, hi: int) -> float:  # keep[lo] .. keep[hi], dropping those between
        path = sum(dist(keep[j], keep[j + 1]) for j in range(lo, hi))
        return path - dist(keep[lo], keep[hi])

    dropped: list[int] = []
    i = 0
    while i < len(keep) - 1:
        if ok(keep[i], keep[i + 1]):
            i += 1
            continue
        for k in range(1, JUMP_RESET_RUN):
            fwd = i + k + 1 < len(keep) and ok(keep[i], keep[i + k + 1])
            bwd = i - k >= 0 and ok(keep[i - k], keep[i + 1])
            if fwd and bwd:
                fwd = detour_m(i, i + k + 1) >= detour_m(i - k, i + 1)
            if fwd:
                dropped += keep[i + 1 : i + k + 1]
                del keep[i + 1 : i + k + 1]
                break
            if bwd:
                dropped += keep[i - k + 1 : i + 1]
                del keep[i - k + 1 : i + 1]
                i -= k
                break
        else:
            i += 1
    return dropped


def _end_runs(keep: list[int], ok) -> list[int]:
    """Short runs at either end that an established run next to them contradicts.

    The fixes of ``keep`` split into runs at the breaks that remain. At each end, the
    end runs holding together fewer than :data:`JUMP_RESET_RUN` fixes are dropped when
    the run after them holds at least :data:`JUMP_RESET_RUN` (fixes that agree with each
    other that long are where the vehicle is): a cold-start fix before a drive, or a
    last glitch after it. Where every run is short (a track of a few far-apart fixes)
    nothing is dropped, as nothing says which fixes are the wrong ones.
    """
    runs: list[list[int]] = [[keep[0]]] if keep else []
    for a, b in itertools.pairwise(keep):
        if ok(a, b):
            runs[-1].append(b)
        else:
            runs.append([b])
    drop: list[int] = []
    for seq in (runs, runs[::-1]):
        total = 0
        for m in range(1, len(seq)):
            total += len(seq[m - 1])
            if total >= JUMP_RESET_RUN:
                break
            if len(seq[m]) >= JUMP_RESET_RUN:
                drop.extend(p for r in seq[:m] for p in r)
                break
    return drop


def _drop_jumps(ns, lon, lat, valid, max_speed_mps: float | None) -> tuple[np.ndarray, int, int]:
    """Valid fixes to reject because reaching them implies > ``max_speed_mps``.

    Only with evidence of which fixes are wrong (:func:`_heal_breaks`,
    :func:`_end_runs`). ``max_speed_mps`` None: no filter. Returns (mask, detour
    fixes, end fixes).
    """
    idx = np.flatnonzero(valid)
    reject = np.zeros(len(ns), dtype=bool)
    if len(idx) < 2 or max_speed_mps is None:
        return reject, 0, 0

    def dist(a: int, b: int) -> float:
        return float(geodesic_m(lon[a], lat[a], lon[b], lat[b]))

    def ok(a: int, b: int) -> bool:
        return dist(a, b) <= max(abs(ns[b] - ns[a]) / 1e9, 1e-3) * max_speed_mps

    keep = [int(i) for i in idx]
    spikes = _heal_breaks(keep, ok, dist)
    ends = _end_runs(keep, ok)
    reject[spikes] = True
    reject[ends] = True
    return reject, len(spikes), len(ends)


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


def _columns(n: int, lon, lat, speed_mps, heading_deg, fix_quality, hdop) -> dict[str, np.ndarray]:
    lon_a = _as_float(lon, n)
    lat_a = _as_float(lat, n)
    has_pos = np.isfinite(lon_a) & np.isfinite(lat_a)
    fix = (
        np.asarray(fix_quality, dtype=np.int16).reshape(n)
        if fix_quality is not None
        else has_pos.astype(np.int16)
    )
    return {
        "lon": lon_a,
        "lat": lat_a,
        "speed_mps": _as_float(speed_mps, n),
        "heading_deg": _as_float(heading_deg, n),
        "fix_quality": np.where(has_pos, fix, 0).astype(np.int16),
        "hdop": _as_float(hdop, n),
    }


def _placed_in_order(
    ns: np.ndarray, cols: dict[str, np.ndarray], tally: Counter[str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Fixes with a time and coordinates in range, in time order (file order within a time)."""
    has_pos = np.isfinite(cols["lon"]) & np.isfinite(cols["lat"])
    in_range = (np.abs(np.where(has_pos, cols["lat"], 0)) <= 90) & (
        np.abs(np.where(has_pos, cols["lon"], 0)) <= 180
    )
    tally["dropped_out_of_range"] += int((has_pos & ~in_range).sum())
    keep = has_pos & in_range & (ns > np.iinfo("int64").min)
    order = np.flatnonzero(keep)[np.argsort(ns[keep], kind="stable")]
    return ns[order], {k: v[order] for k, v in cols.items()}


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
    max_speed_kmh: float | None = MAX_SPEED_KMH,
    counts: Mapping[str, int] | None = None,
) -> Track:
    """Build a clean :class:`Track` from raw fixes in any order.

    ``time``: datetime64 (UTC) or timezone-aware datetimes. ``fix_quality``
    defaults to 1 (valid) where lon/lat are finite, else 0. Fixes without
    coordinates are dropped; so are coordinates out of range
    (``dropped_out_of_range``). Fixes sharing a time are merged or, when far
    apart, the later ones dropped (:func:`_merge_duplicates`; counted in
    ``Track.merged_duplicates`` too); valid fixes that imply more than
    ``max_speed_kmh`` are dropped where the track says which ones are wrong
    (:func:`_drop_jumps`; counted in ``Track.dropped_outliers`` too; None: no
    jump filter). ``counts``:
    the reader's own counts (``dropped_status_v`` ...), kept in
    ``Track.ingest_counts`` with these; :data:`COUNT_REASONS` says what each means.
    """
    tally: Counter[str] = Counter(counts or {})
    ns = _to_ns(time)
    cols = _columns(len(ns), lon, lat, speed_mps, heading_deg, fix_quality, hdop)
    ns, cols = _placed_in_order(ns, cols, tally)
    ns, cols, merged, conflicting = _merge_duplicates(ns, cols)
    tally["merged_same_time"] += merged
    tally["dropped_conflicting_time"] += conflicting
    reject, spikes, ends = _drop_jumps(
        ns, cols["lon"], cols["lat"], cols["fix_quality"] > 0,
        None if max_speed_kmh is None else max_speed_kmh / 3.6,
    )  # fmt: skip
    tally["dropped_jump_spike"] += spikes
    tally["dropped_jump_end"] += ends
    ns = ns[~reject]
    cols = {k: v[~reject] for k, v in cols.items()}
    speed, heading = _derive(ns, cols["lon"], cols["lat"], cols["speed_mps"],
                             cols["heading_deg"], cols["fix_quality"] > 0)  # fmt: skip
    ingest_counts = {k: int(v) for k, v in sorted(tally.items()) if v}
    if ingest_counts:
        log.debug("%s: %s", source or "track", ingest_counts)
    return Track(
        time=ns.astype("datetime64[ns]"),
        lon=cols["lon"],
        lat=cols["lat"],
        speed_mps=speed,
        heading_deg=heading,
        fix_quality=cols["fix_quality"].astype(np.int16),
        hdop=cols["hdop"],
        source=source,
        dropped_outliers=spikes + ends,
        merged_duplicates=merged,
        ingest_counts=ingest_counts,
    )


def track_length_m(track: Track) -> float:
    """Length in metres along the valid fixes of a track."""
    v = track.valid
    if v.sum() < 2:
        return 0.0
    return float(
        geodesic_m(track.lon[v][:-1], track.lat[v][:-1], track.lon[v][1:], track.lat[v][1:]).sum()
    )
