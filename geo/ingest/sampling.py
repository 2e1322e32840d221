"""Frames chosen by distance travelled: ``sample_frames`` (video) and ``sample_images`` (JPEGs).

How targets are chosen (see docs/ingest.md):

* the valid fixes are projected to a metric CRS (EPSG:27700 in Great Britain,
  else the local UTM zone) and accumulated into distance travelled; a segment
  slower than ``min_speed_mps`` counts as standing still, so a refuse truck
  stopping every 20 m (or GPS jitter at a stop) adds no distance and yields
  no new frames;
* the first frame is at the start of the footage's overlap with the track,
  then one every ``spacing_m`` metres: the target time is when the
  (piecewise-linear) distance first reaches each multiple;
* a target inside a gap between fixes longer than ``max_gap_s`` is dropped
  and counted, never interpolated across; it is not decoded either;
* the frame nearest each target time is decoded (:func:`geo.ingest.video.iter_frames_at`),
  its position and speed interpolated linearly at the frame's own time, its
  heading circularly (350° → 10° passes through 0°, not 180°).

Counters are written to ``stats`` (a :class:`SamplingStats`, or a dict that
receives :meth:`SamplingStats.as_dict`) when the generator ends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from geo.crs import metric_crs_for_lonlat
from geo.ingest.quality import QualityThresholds, measure_quality
from geo.types import SampledFrame, Track

log = logging.getLogger(__name__)

MAX_GAP_S = 3.0
MIN_SPEED_MPS = 0.5


@dataclass
class SamplingStats:
    """What sampling did; complete once the generator is exhausted (or closed)."""

    targets: int = 0  # frame positions chosen by distance
    sampled: int = 0  # frames yielded
    dropped_gap: int = 0  # targets inside a GPS gap > max_gap_s (not decoded)
    unusable: int = 0  # yielded, but below the quality thresholds
    duplicates: int = 0  # images closer than spacing_m to the previous one (sample_images)
    no_gps: int = 0  # images without an EXIF GPS fix (sample_images)
    decoded: int = 0  # frames through the decoder
    converted: int = 0  # frames converted to BGR arrays
    seeks: int = 0
    distance_m: float = 0.0  # distance travelled during the footage
    video_start: str = ""  # ISO UTC
    time_sync: str = ""  # method, see geo.ingest.timesync
    time_correction_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Flat counters for a run summary (keys do not clash with the batch runner's)."""
        d = asdict(self)
        return {
            "target_frames": d["targets"], "sampled_frames": d["sampled"],
            "gap_dropped_frames": d["dropped_gap"], "quality_unusable_frames": d["unusable"],
            "duplicate_images": d["duplicates"], "images_without_gps": d["no_gps"],
            "decoded_frames": d["decoded"], "converted_frames": d["converted"], "seeks": d["seeks"],
            "sampled_distance_m": round(d["distance_m"], 2), "video_start": d["video_start"],
            "time_sync": d["time_sync"], "time_correction_s": d["time_correction_s"],
        }  # fmt: skip


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


def _publish(stats_obj: SamplingStats, stats: SamplingStats | dict | None) -> None:
    if isinstance(stats, dict):
        stats.update(stats_obj.as_dict())


def sample_frames(
    video_path: str | Path,
    track: Track,
    spacing_m: float = 5.0,
    time_offset_s: float | None = None,
    max_gap_s: float = MAX_GAP_S,
    quality_thresholds: QualityThresholds | None = None,
    *,
    stats: SamplingStats | dict | None = None,
    min_speed_mps: float = MIN_SPEED_MPS,
    max_clock_error_s: float | None = None,
    seek_threshold_s: float | None = None,
    metric_crs: str | None = None,
) -> Iterator[SampledFrame]:
    """Yield a :class:`SampledFrame` every ``spacing_m`` metres travelled in ``video_path``.

    ``time_offset_s``: camera clock minus GPS time, overriding the automatic
    sync (see :mod:`geo.ingest.timesync`).

    Raises (on first iteration) :class:`InputNotFoundError`/:class:`CorruptInputError`
    for a bad video and :class:`TimeSyncError` when it does not overlap ``track``.
    """
    from geo.ingest.timesync import MAX_CLOCK_ERROR_S, sync_video_to_track
    from geo.ingest.video import SEEK_THRESHOLD_S, DecodeCounters, iter_frames_at, probe_video

    if spacing_m <= 0:
        raise ValueError("spacing_m must be > 0")
    st = stats if isinstance(stats, SamplingStats) else SamplingStats()
    try:
        info = probe_video(video_path)
        sync = sync_video_to_track(
            info, track, time_offset_s=time_offset_s,
            max_clock_error_s=MAX_CLOCK_ERROR_S if max_clock_error_s is None else max_clock_error_s,
        )  # fmt: skip
        st.video_start, st.time_sync = sync.video_start.isoformat(), sync.method
        st.time_correction_s = round(sync.correction_s, 3)
        kin = TrackKinematics(track, sync.video_start, max_gap_s=max_gap_s,
                              min_speed_mps=min_speed_mps, metric_crs=metric_crs)  # fmt: skip
        ts = max(0.0, float(kin.t[0]))
        te = min(info.duration_s - 1.0 / info.fps, float(kin.t[-1]))  # the last frame's time
        if len(kin.t) < 2 or te < ts:
            return
        d0, d1 = float(kin.distance_at(ts)), float(kin.distance_at(te))
        st.distance_m = d1 - d0
        n_more = int(math.floor((d1 - d0) / spacing_m + 1e-9))
        targets = np.r_[ts, kin.time_at_distance(d0 + spacing_m * np.arange(1, n_more + 1))]
        st.targets = len(targets)
        keep = []
        for t in targets:
            if kin.in_gap(float(t)):
                st.dropped_gap += 1
            else:
                keep.append(float(t))
        if st.dropped_gap:
            log.info(
                "%s: %d frames fall in GPS gaps > %.1f s and are dropped",
                video_path,
                st.dropped_gap,
                max_gap_s,
            )
        counters = DecodeCounters()
        thresholds = quality_thresholds or QualityThresholds()
        frames = iter_frames_at(
            video_path, keep, counters=counters,
            seek_threshold_s=SEEK_THRESHOLD_S if seek_threshold_s is None else seek_threshold_s,
        )  # fmt: skip
        try:
            for index, t, image in frames:
                p = kin.at(t)
                quality = measure_quality(
                    image, hdop=p["hdop"], fix_quality=p["fix_quality"], thresholds=thresholds
                )
                st.sampled += 1
                st.unusable += int(not quality.usable)
                st.decoded, st.converted, st.seeks = (
                    counters.decoded,
                    counters.converted,
                    counters.seeks,
                )
                yield SampledFrame(
                    frame_index=index, video_time_s=round(t, 6),
                    time=sync.video_start + timedelta(seconds=t),
                    lon=p["lon"], lat=p["lat"], heading_deg=p["heading_deg"], speed_mps=p["speed_mps"],
                    distance_m=p["distance_m"], image=image, quality=quality, source=str(video_path),
                )  # fmt: skip
        finally:
            st.decoded, st.converted, st.seeks = (
                counters.decoded,
                counters.converted,
                counters.seeks,
            )
    finally:
        _publish(st, stats)


def sample_images(
    folder_or_paths: str | Path | Iterable[str | Path],
    spacing_m: float = 5.0,
    quality_thresholds: QualityThresholds | None = None,
    *,
    stats: SamplingStats | dict | None = None,
    utc_offset_h: float = 0.0,
    load_images: bool = True,
) -> Iterator[SampledFrame]:
    """Yield a :class:`SampledFrame` per geotagged JPEG, in time order.

    An image closer than ``spacing_m`` to the last one yielded is skipped
    (counted in ``duplicates``); images without EXIF GPS are counted in
    ``no_gps``. ``frame_index`` is the image's position in time order;
    ``video_time_s`` is seconds since the first image. EXIF orientation is applied.
    """
    from geo.crs import bearing_deg, geodesic_m
    from geo.ingest.exif import list_images, read_exif_fix

    st = stats if isinstance(stats, SamplingStats) else SamplingStats()
    thresholds = quality_thresholds or QualityThresholds()
    try:
        paths = list_images(folder_or_paths)
        fixes = []
        for p in paths:
            fix = read_exif_fix(p, utc_offset_h=utc_offset_h)
            if fix is None:
                st.no_gps += 1
            else:
                fixes.append(fix)
        fixes.sort(key=lambda f: (f.time, str(f.path)))
        st.targets = len(fixes)
        last = None
        travelled = 0.0
        for i, fix in enumerate(fixes):
            heading = fix.heading_deg
            if last is not None:
                step = float(geodesic_m(last.lon, last.lat, fix.lon, fix.lat))
                if step < spacing_m:
                    st.duplicates += 1
                    continue
                travelled += step
                if not math.isfinite(heading):
                    heading = float(bearing_deg(last.lon, last.lat, fix.lon, fix.lat))
            image = _load_bgr(fix.path) if load_images else None
            quality = None
            if image is not None:
                quality = measure_quality(image, hdop=fix.dop, fix_quality=1, thresholds=thresholds)
                st.unusable += int(not quality.usable)
            st.sampled += 1
            st.distance_m = travelled
            yield SampledFrame(
                frame_index=i, video_time_s=(fix.time - fixes[0].time).total_seconds(), time=fix.time,
                lon=fix.lon, lat=fix.lat, heading_deg=heading % 360.0 if math.isfinite(heading) else math.nan,
                speed_mps=fix.speed_mps, distance_m=travelled, image=image, quality=quality,
                source=str(fix.path),
            )  # fmt: skip
            last = fix
    finally:
        _publish(st, stats)


def _load_bgr(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    from roadcam.errors import CorruptInputError

    try:
        with Image.open(path) as img:
            rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except OSError as err:
        raise CorruptInputError(f"cannot decode image ({err})", path=str(path)) from None
    return np.ascontiguousarray(rgb[:, :, ::-1])
