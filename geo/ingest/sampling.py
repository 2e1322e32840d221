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

import dataclasses
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from geo.ingest.kinematics import MAX_GAP_S, MIN_SPEED_MPS, TrackKinematics
from geo.ingest.quality import QualityThresholds, measure_quality
from geo.types import SampledFrame, Track

log = logging.getLogger(__name__)


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


def _publish(stats_obj: SamplingStats, stats: SamplingStats | dict | None) -> None:
    if isinstance(stats, dict):
        stats.update(stats_obj.as_dict())


DECODE_MODES = ("exact", "nonref", "keyframes", "auto")


@dataclass(frozen=True)
class DecodeSettings:
    """How the frames chosen by distance are decoded (measured in docs/performance.md).

    * ``exact``: the reference: every frame from the keyframe before a target is decoded,
      and the frame nearest the target is kept;
    * ``nonref``: as exact, but frames no other frame refers to are not decoded
      (``skip_frame = "NONREF"``); identical on streams without B-frames;
    * ``keyframes``: a target is answered by the nearest keyframe when that keyframe is
      within ``keyframe_snap_m`` metres of travel (default: the spacing), decoded alone
      (``skip_frame = "NONKEY"``); other targets as ``exact``;
    * ``auto``: ``keyframes`` when the keyframes are dense enough for the spacing (one
      keyframe interval at the median moving speed covers at most two spacings),
      else ``exact`` (``nonref`` moves a target on a skipped B-frame to the next decoded
      frame, which changed 3 of 23 defects on the sample; it stays a choice).
    """

    mode: str = "auto"
    skip_loop_filter: bool = False
    threads: str = "AUTO"
    thread_count: int = 0  # decoder threads (0: FFmpeg's choice, one per core)
    keyframe_snap_m: float | None = None
    seek_threshold_s: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in DECODE_MODES:
            raise ValueError(f"decode mode must be one of {', '.join(DECODE_MODES)}")


@dataclass
class FramePlan:
    """The frames of one video to decode, chosen by distance: made once, decoded whole or in chunks."""

    video_path: str
    video_start: Any  # datetime (UTC) of the video's first frame
    times_s: np.ndarray  # video seconds, non-decreasing
    keyframe_only: np.ndarray  # bool per time
    decode: DecodeSettings
    mode: str  # the decode mode in force ("auto" resolved)
    stats: SamplingStats
    max_gap_s: float = MAX_GAP_S
    min_speed_mps: float = MIN_SPEED_MPS
    metric_crs: str | None = None
    keyframe_interval_s: float | None = None  # median, where keyframe times were read

    def __len__(self) -> int:
        return len(self.times_s)

    def split(self, n_chunks: int) -> list[tuple[int, int]]:
        """``[start, stop)`` index ranges of about equal size, in time order."""
        n = len(self.times_s)
        k = max(1, min(n_chunks, n))
        edges = np.linspace(0, n, k + 1).round().astype(int)
        return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _resolve_mode(settings: DecodeSettings, kin, keyframes: np.ndarray, spacing_m: float) -> str:
    if settings.mode != "auto":
        return settings.mode
    moving = kin.speed[np.isfinite(kin.speed) & (kin.speed >= 1.0)]
    if len(keyframes) < 2 or not len(moving):
        return "exact"
    interval_s = float(np.median(np.diff(keyframes)))
    return "keyframes" if interval_s * float(np.median(moving)) <= 2 * spacing_m else "exact"


def _snap_to_keyframes(kin, times: np.ndarray, keyframes: np.ndarray, snap_m: float):
    """Each target's nearest keyframe (by time) where it lies within ``snap_m`` of travel."""
    if not len(times) or not len(keyframes):
        return times, np.zeros(len(times), bool)
    i = np.clip(np.searchsorted(keyframes, times), 1, max(len(keyframes) - 1, 1))
    lo, hi = keyframes[np.maximum(i - 1, 0)], keyframes[np.minimum(i, len(keyframes) - 1)]
    near = np.where(np.abs(times - lo) <= np.abs(hi - times), lo, hi)
    ok = np.abs(kin.distance_at(near) - kin.distance_at(times)) <= snap_m + 1e-9
    ok &= np.array([not kin.in_gap(float(t)) for t in near], bool) if len(near) else ok
    out = np.where(ok, near, times)
    order = np.argsort(out, kind="stable")
    out, ok = out[order], ok[order]
    keep = np.r_[True, np.diff(out) > 1e-6] if len(out) else np.zeros(0, bool)
    return out[keep], ok[keep]


def plan_drive_frames(
    videos: Sequence[str | Path],
    track: Track,
    spacing_m: float = 5.0,
    time_offset_s: float | None = None,
    max_gap_s: float = MAX_GAP_S,
    *,
    min_speed_mps: float = MIN_SPEED_MPS,
    max_clock_error_s: float | None = None,
    metric_crs: str | None = None,
    decode: DecodeSettings | None = None,
) -> list[FramePlan]:
    """Plan the frames of consecutive videos of one drive as one: one distance grid over them all.

    A drive cut into several files gets the frames the whole file would get (targets
    that fall between two files' frames go to the nearer file); one video is a drive of one.
    """
    from geo.ingest.timesync import MAX_CLOCK_ERROR_S, sync_video_to_track
    from geo.ingest.video import probe_video

    if spacing_m <= 0:
        raise ValueError("spacing_m must be > 0")
    decode = decode or DecodeSettings()
    max_err = MAX_CLOCK_ERROR_S if max_clock_error_s is None else max_clock_error_s
    infos = [probe_video(v) for v in videos]
    syncs = [
        sync_video_to_track(i, track, time_offset_s=time_offset_s, max_clock_error_s=max_err)
        for i in infos
    ]
    ref = syncs[0].video_start
    kin = TrackKinematics(track, ref, max_gap_s=max_gap_s, min_speed_mps=min_speed_mps,
                          metric_crs=metric_crs)  # fmt: skip
    offsets = [(s.video_start - ref).total_seconds() for s in syncs]
    ends = [o + i.duration_s - 1.0 / i.fps for o, i in zip(offsets, infos, strict=True)]
    window = (max(offsets[0], float(kin.t[0])), min(ends[-1], float(kin.t[-1])))
    targets = _target_times_by_distance(kin, window, spacing_m)
    # the file of each target: the last one starting at or before it (within half a frame)
    half = [0.5 / i.fps for i in infos]
    owner = np.searchsorted(np.array(offsets) - np.array(half), targets, side="right") - 1
    plans = []
    for k, (video, sync) in enumerate(zip(videos, syncs, strict=True)):
        st = SamplingStats(video_start=sync.video_start.isoformat(), time_sync=sync.method,
                           time_correction_s=round(sync.correction_s, 3))  # fmt: skip
        local = _video_times_of_targets(
            video, kin, targets[owner == k], st, offset_s=offsets[k], end_s=ends[k],
            half_frame_s=half[k], window=window, max_gap_s=max_gap_s,
        )  # fmt: skip
        fkin = TrackKinematics(track, sync.video_start, max_gap_s=max_gap_s,
                               min_speed_mps=min_speed_mps, metric_crs=kin.crs)  # fmt: skip
        plans.append(_plan_video_decoding(
            video, sync.video_start, fkin, local, st, decode, spacing_m,
            max_gap_s=max_gap_s, min_speed_mps=min_speed_mps,
        ))  # fmt: skip
    return plans


def _target_times_by_distance(
    kin: TrackKinematics, window: tuple[float, float], spacing_m: float
) -> np.ndarray:
    """Drive times (s) of the first instant and of every ``spacing_m`` travelled after it."""
    ts, te = window
    targets = np.zeros(0)
    if len(kin.t) >= 2 and te >= ts:
        d0, d1 = float(kin.distance_at(ts)), float(kin.distance_at(te))
        n_more = int(math.floor((d1 - d0) / spacing_m + 1e-9))
        targets = np.r_[ts, kin.time_at_distance(d0 + spacing_m * np.arange(1, n_more + 1))]
    return targets


def _video_times_of_targets(
    video, kin: TrackKinematics, mine: np.ndarray, st: SamplingStats, *, offset_s: float,
    end_s: float, half_frame_s: float, window: tuple[float, float], max_gap_s: float,
) -> np.ndarray:  # fmt: skip
    """One file's targets in its own seconds, less those in GPS gaps or after its last frame.

    Counts the file's distance, targets and dropped targets in ``st``.
    """
    lo, hi = max(offset_s, window[0]), min(end_s, window[1])
    st.distance_m = max(0.0, float(kin.distance_at(hi) - kin.distance_at(lo))) if hi > lo else 0.0  # fmt: skip
    st.targets = len(mine)
    gap = np.array([kin.in_gap(float(t)) for t in mine], bool)
    outside = mine > end_s + half_frame_s  # between this file's last frame and the next file
    st.dropped_gap = int((gap | outside).sum())
    if st.dropped_gap:
        log.info("%s: %d frames fall in GPS gaps > %.1f s (or between files) and are dropped",
                 video, st.dropped_gap, max_gap_s)  # fmt: skip
    return mine[~gap & ~outside] - offset_s


def _plan_video_decoding(
    video, video_start, fkin: TrackKinematics, local: np.ndarray, st: SamplingStats,
    decode: DecodeSettings, spacing_m: float, *, max_gap_s: float, min_speed_mps: float,
) -> FramePlan:  # fmt: skip
    """How one file's targets are decoded: the mode in force, and keyframe snapping."""
    from geo.ingest.video import keyframe_times

    keyframes = keyframe_times(video) if decode.mode in ("keyframes", "auto") else np.zeros(0)
    mode = _resolve_mode(decode, fkin, keyframes, spacing_m)
    flags = np.zeros(len(local), bool)
    if mode == "keyframes":
        snap = spacing_m if decode.keyframe_snap_m is None else decode.keyframe_snap_m
        local, flags = _snap_to_keyframes(fkin, np.clip(local, 0, None), keyframes, snap)
    interval = float(np.median(np.diff(keyframes))) if len(keyframes) > 1 else None
    return FramePlan(str(video), video_start, np.asarray(local, float), flags, decode, mode, st,
                     max_gap_s, min_speed_mps, fkin.crs, interval)  # fmt: skip


def _keyframe_seek_s(plan: FramePlan) -> float | None:
    """Keyframe-only targets more than 1.5 keyframe intervals apart are reached by seeking: the
    keyframes between them are not decoded (a truck slowing down, or a stop shorter than the seek
    threshold: 43 of 365 keyframes decoded on the 9-minute bench drive were not wanted)."""
    return None if plan.keyframe_interval_s is None else 1.5 * plan.keyframe_interval_s


def frames_from_plan(
    plan: FramePlan,
    track: Track,
    start: int = 0,
    stop: int | None = None,
    quality_thresholds: QualityThresholds | None = None,
    *,
    counters=None,
) -> Iterator[SampledFrame]:
    """Decode ``plan.times_s[start:stop]`` and yield them as :class:`SampledFrame`."""
    from geo.ingest.video import SEEK_THRESHOLD_S, DecodeCounters, iter_frames_at

    kin = TrackKinematics(track, plan.video_start, max_gap_s=plan.max_gap_s,
                          min_speed_mps=plan.min_speed_mps, metric_crs=plan.metric_crs)  # fmt: skip
    counters = counters if counters is not None else DecodeCounters()
    thresholds = quality_thresholds or QualityThresholds()
    d = plan.decode
    frames = iter_frames_at(
        plan.video_path, plan.times_s[start:stop].tolist(),
        keyframe_only=plan.keyframe_only[start:stop].tolist(), counters=counters,
        seek_threshold_s=SEEK_THRESHOLD_S if d.seek_threshold_s is None else d.seek_threshold_s,
        threads=d.threads, thread_count=d.thread_count, skip_nonref=plan.mode == "nonref",
        skip_loop_filter=d.skip_loop_filter, keyframe_seek_s=_keyframe_seek_s(plan),
    )  # fmt: skip
    for index, t, image in frames:
        p = kin.at(t)
        quality = measure_quality(
            image, hdop=p["hdop"], fix_quality=p["fix_quality"], thresholds=thresholds
        )
        yield SampledFrame(
            frame_index=index, video_time_s=round(t, 6),
            time=plan.video_start + timedelta(seconds=t),
            lon=p["lon"], lat=p["lat"], heading_deg=p["heading_deg"], speed_mps=p["speed_mps"],
            distance_m=p["distance_m"], image=image, quality=quality, source=plan.video_path,
        )  # fmt: skip


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
    decode: DecodeSettings | None = None,
) -> Iterator[SampledFrame]:
    """Yield a :class:`SampledFrame` every ``spacing_m`` metres travelled in ``video_path``.

    ``time_offset_s``: camera clock minus GPS time, overriding the automatic
    sync (see :mod:`geo.ingest.timesync`). ``decode``: how frames are decoded
    (default: the exact reference, :class:`DecodeSettings` ``mode="exact"``).

    Raises (on first iteration) :class:`InputNotFoundError`/:class:`CorruptInputError`
    for a bad video and :class:`TimeSyncError` when it does not overlap ``track``.
    """
    from geo.ingest.video import DecodeCounters

    st = stats if isinstance(stats, SamplingStats) else SamplingStats()
    decode = decode or DecodeSettings(mode="exact")
    if seek_threshold_s is not None:
        decode = dataclasses.replace(decode, seek_threshold_s=seek_threshold_s)
    counters = DecodeCounters()
    try:
        (plan,) = plan_drive_frames(
            [video_path], track, spacing_m, time_offset_s, max_gap_s,
            min_speed_mps=min_speed_mps, max_clock_error_s=max_clock_error_s,
            metric_crs=metric_crs, decode=decode,
        )  # fmt: skip
        for name in ("targets", "dropped_gap", "distance_m", "video_start", "time_sync",
                     "time_correction_s"):  # fmt: skip
            setattr(st, name, getattr(plan.stats, name))
        try:
            for frame in frames_from_plan(plan, track, quality_thresholds=quality_thresholds,
                                          counters=counters):  # fmt: skip
                st.sampled += 1
                st.unusable += int(not frame.usable)
                yield frame
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
