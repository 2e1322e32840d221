"""A track's valid fixes in metres and seconds, interpolated at any time (frame sampling).

Distance travelled counts only segments at or above ``min_speed_mps`` (a stop, or GPS
jitter at a stop, adds none); a gap between fixes longer than ``max_gap_s`` is never
interpolated across by the sampler (:meth:`TrackKinematics.in_gap`).
"""

from __future__ import annotations

import math

import numpy as np

from geo.crs import metric_crs_for_lonlat
from geo.types import Track

MAX_GAP_S = 3.0
MIN_SPEED_MPS = 0.5


class TrackKinematics:
    """A track's valid fixes in metres and seconds from a reference time, ready to interpolate."""

    def __init__(self, track: Track, ref_time, *, max_gap_s: float = MAX_GAP_S,
                 min_speed_mps: float = MIN_SPEED_MPS, metric_crs: str | None = None) -> None:  # fmt: skip
        from pyproj import Transformer

        from geo.crs import bearing_deg

        v = track.valid
        self.lon, self.lat = track.lon[v], track.lat[v]
        ref_ns = np.datetime64(ref_time.replace(tzinfo=None), "ns").astype("int64")
        self.t = (track.time[v].astype("int64") - ref_ns) / 1e9
        self.crs = metric_crs or metric_crs_for_lonlat(
            float(np.median(self.lon)), float(np.median(self.lat))
        )
        self._fwd = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        self._inv = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        self.x, self.y = self._fwd.transform(self.lon, self.lat)
        self.speed = track.speed_mps[v]
        self.hdop = track.hdop[v]
        self.fix = track.fix_quality[v]
        dx, dy, dt = np.diff(self.x), np.diff(self.y), np.diff(self.t)
        seg = np.hypot(dx, dy)
        bearing = bearing_deg(
            self.lon[:-1], self.lat[:-1], self.lon[1:], self.lat[1:]
        )  # true north
        h = track.heading_deg[v].copy()
        if len(seg):
            fill = np.r_[bearing, bearing[-1]]
            h = np.where(np.isfinite(h), h, fill)
        self.heading = h
        moving = seg >= min_speed_mps * np.maximum(dt, 1e-9)
        self.cum = np.r_[0.0, np.cumsum(np.where(moving, seg, 0.0))]
        self.gap = dt > max_gap_s

    def distance_at(self, t: float | np.ndarray) -> np.ndarray:
        return np.interp(t, self.t, self.cum)

    def time_at_distance(self, d: np.ndarray) -> np.ndarray:
        """The first time the distance travelled reaches each ``d`` (within the track)."""
        # within 1 mm counts as reached: rounding in the input must not push a target past a stop
        i = np.clip(
            np.searchsorted(self.cum, np.asarray(d) - 1e-3, side="left"), 1, len(self.cum) - 1
        )
        c0, c1 = self.cum[i - 1], self.cum[i]
        w = np.where(c1 > c0, (d - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0)
        return self.t[i - 1] + np.clip(w, 0, 1) * (self.t[i] - self.t[i - 1])

    def segment(self, t: float) -> int:
        return int(np.clip(np.searchsorted(self.t, t, side="right") - 1, 0, len(self.t) - 2))

    def in_gap(self, t: float) -> bool:
        """True strictly inside a gap between fixes longer than ``max_gap_s`` (a fix time is not)."""
        if len(self.t) < 2:
            return True
        j = self.segment(t)
        return bool(self.gap[j]) and self.t[j] + 1e-3 < t < self.t[j + 1] - 1e-3

    def at(self, t: float) -> dict[str, float]:
        """Position, heading, speed and GPS precision interpolated at time ``t``."""
        j = self.segment(t)
        t0, t1 = self.t[j], self.t[j + 1]
        w = float(np.clip((t - t0) / (t1 - t0), 0.0, 1.0)) if t1 > t0 else 0.0
        x = self.x[j] + w * (self.x[j + 1] - self.x[j])
        y = self.y[j] + w * (self.y[j + 1] - self.y[j])
        lon, lat = self._inv.transform(x, y)
        h0, h1 = self.heading[j], self.heading[j + 1]
        if math.isfinite(h0) and math.isfinite(h1):
            heading = (h0 + w * ((h1 - h0 + 180.0) % 360.0 - 180.0)) % 360.0
        else:
            heading = h0 if math.isfinite(h0) else h1
        s0, s1 = self.speed[j], self.speed[j + 1]
        hd = np.array([self.hdop[j], self.hdop[j + 1]])
        return {
            "lon": float(lon), "lat": float(lat),
            "heading_deg": float(heading) % 360.0 if math.isfinite(heading) else math.nan,
            "speed_mps": float(s0 + w * (s1 - s0)),
            "hdop": float(np.nanmax(hd)) if np.isfinite(hd).any() else math.nan,
            "fix_quality": int(min(self.fix[j], self.fix[j + 1])),
            "distance_m": float(self.distance_at(t)),
        }  # fmt: skip
