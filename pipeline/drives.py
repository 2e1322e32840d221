"""Drives: consecutive videos of one vehicle planned as one, split into time chunks, merged back.

A dashcam cuts a day into files (one a minute, or wherever the card filled up). Where
the files of one vehicle follow each other (the next starts within ``JOIN_GAP_S`` of the
previous one's last frame) they are one **drive**: their GPS is joined into one track,
frames are chosen on one distance grid over the whole drive
(:func:`geo.ingest.sampling.plan_drive_frames`), and the sightings are merged into
defects once, so a drive gives the same frames, sightings and defects whether it came
as one file or as many.

Each file's plan is cut into time chunks (:class:`pipeline.compute.VideoChunk`) so that
several workers share one long file; :func:`merge_chunks` puts the chunks back in
order, and the result equals the single-process run (the decoder seeks to the keyframe
before a chunk's first frame, which decodes to the same pixels).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.compute import ComputeOptions, FootageResult, VideoChunk, decode_settings
from pipeline.discover import FootageItem
from roadcam.errors import error_record

log = logging.getLogger(__name__)

JOIN_GAP_S = 2.0  # a file starting within this of the previous one's end continues its drive
CHUNKS_PER_WORKER = 4  # chunks queued per worker, so a worker that finishes early takes more
MIN_CHUNK_FRAMES = 24  # fewer frames per chunk cost more in seeks and set-up than they share


@dataclass
class DrivePlan:
    """One drive: its videos in time order, their frame plans, the joined track; or errors."""

    items: list[FootageItem] = field(default_factory=list)
    plans: list[Any] = field(default_factory=list)  # geo.ingest.sampling.FramePlan per item
    track: Any = None
    track_stats: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[FootageItem, dict]] = field(default_factory=list)


def group_key(item: FootageItem, options: ComputeOptions) -> tuple:
    """Videos that may form one drive: same vehicle, same folder, same camera."""
    from pipeline.compute import camera_config_for

    return (item.vehicle_id, str(item.path.parent), str(camera_config_for(item, options)))


def join_tracks(tracks: list) -> Any:
    """One track from several (side-cars of consecutive files): time order, repeated epochs once."""
    from geo.types import TRACK_FIELDS, Track

    if len(tracks) == 1:
        return tracks[0]
    names = ("time", *TRACK_FIELDS)
    cat = {name: np.concatenate([getattr(t, name) for t in tracks]) for name in names}
    _, first = np.unique(cat["time"].astype("int64"), return_index=True)
    return Track(
        **{name: arr[first] for name, arr in cat.items()},
        source="+".join(t.source for t in tracks),
        dropped_outliers=sum(t.dropped_outliers for t in tracks),
        merged_duplicates=sum(t.merged_duplicates for t in tracks),
    )


def plan_group(items: list[FootageItem], options: ComputeOptions) -> list[DrivePlan]:
    """Read the GPS of a group of videos, split it into drives and plan each. Never raises."""
    from geo.ingest.gps import read_track
    from geo.ingest.timesync import sync_video_to_track
    from geo.ingest.video import probe_video

    tracks: dict[str, Any] = {}
    timed, failed = [], DrivePlan()
    for item in items:
        try:
            gps = str(item.gps_path or item.path)
            if gps not in tracks:
                tracks[gps] = read_track(gps)
            info = probe_video(item.path)
            sync = sync_video_to_track(info, tracks[gps], time_offset_s=options.time_offset_s)
            start = sync.video_start.timestamp()
            timed.append((start, start + info.duration_s - 1.0 / info.fps, item, gps))
        except Exception as err:  # noqa: BLE001 - a bad file becomes an error record
            failed.errors.append((item, error_record(err, path=str(item.path))))
    timed.sort(key=lambda r: (r[0], str(r[2].path)))
    runs: list[list[tuple]] = []
    for row in timed:
        if runs and 0.0 <= row[0] - runs[-1][-1][1] <= JOIN_GAP_S:
            runs[-1].append(row)
        else:
            runs.append([row])
    drives = [failed] if failed.errors else []
    for run in runs:
        drives.append(_plan_run(run, tracks, options))
    return drives


def _plan_run(run: list[tuple], tracks: dict[str, Any], options: ComputeOptions) -> DrivePlan:
    from geo.ingest.sampling import plan_drive_frames

    items = [r[2] for r in run]
    drive = DrivePlan(items=items)
    try:
        gps_paths = list(dict.fromkeys(r[3] for r in run))
        drive.track = join_tracks([tracks[g] for g in gps_paths])
        kwargs: dict[str, Any] = {"spacing_m": options.spacing_m, "time_offset_s": options.time_offset_s}  # fmt: skip
        if options.max_gap_s is not None:
            kwargs["max_gap_s"] = options.max_gap_s
        drive.plans = plan_drive_frames(
            [i.path for i in items], drive.track, decode=decode_settings(options), **kwargs
        )
        drive.track_stats = {
            "track_points": len(drive.track),
            "track_valid_fixes": int(drive.track.valid.sum()),
            "dropped_outliers": int(drive.track.dropped_outliers),
        }
    except Exception as err:  # noqa: BLE001 - the drive's files become error records
        drive.errors = [(i, error_record(err, path=str(i.path))) for i in items]
        drive.items, drive.plans = [], []
    return drive


def chunk_drive(drive: DrivePlan, frames_per_chunk: int) -> list[VideoChunk]:
    """Each file's plan cut into chunks of about ``frames_per_chunk`` frames (at least one)."""
    chunks = []
    for k, (item, plan) in enumerate(zip(drive.items, drive.plans, strict=True)):
        n = max(1, math.ceil(len(plan) / max(frames_per_chunk, 1)))
        for start, stop in plan.split(n) or [(0, 0)]:
            chunks.append(VideoChunk(item, plan, drive.track, k, start, stop))
    return chunks


def frames_per_chunk(drives: list[DrivePlan], workers: int) -> int:
    """One chunk per file with one worker; else about ``CHUNKS_PER_WORKER`` chunks per worker."""
    total = sum(len(p) for d in drives for p in d.plans)
    if workers <= 1:
        return max(total, 1)
    return max(MIN_CHUNK_FRAMES, math.ceil(total / (workers * CHUNKS_PER_WORKER)))


_SUMMED = ("frames", "usable_frames", "unusable_frames", "detections", "decoded_frames",
           "converted_frames", "seeks", "keyframe_only_frames")  # fmt: skip


def merge_chunks(drive: DrivePlan, results: list[FootageResult]) -> FootageResult:
    """The drive's chunks in time order as one result (the files that failed left out)."""
    results = sorted(results, key=lambda r: r.chunk or (0, 0))
    merged = FootageResult(item=drive.items[0], items=list(drive.items))
    seen: set[tuple[str, int]] = set()
    stats = merged.stats
    stats.update(drive.track_stats)
    for name in _SUMMED:
        stats[name] = 0
    for r in results:
        keep = set()
        for f in r.frames:
            key = (f.source or "", f.frame_index)
            if key not in seen:  # two chunks that meet on one frame keep it once
                seen.add(key)
                keep.add(key)
                merged.frames.append(f)
        merged.observations.extend(
            o for o in r.observations if (o.source or "", o.frame_index) in keep
        )
        merged.image_refs.update(r.image_refs)
        merged.raw_refs.update(r.raw_refs)
        merged.paint_profiles.extend(
            p for p in r.paint_profiles if (p.source or "", p.frame_index) in keep
        )
        for name in _SUMMED:
            stats[name] += int(r.stats.get(name, 0))
        merged.seconds += r.seconds
    plans = drive.plans
    first = plans[0].stats
    stats.update(
        target_frames=sum(p.stats.targets for p in plans),
        sampled_frames=stats["frames"],
        gap_dropped_frames=sum(p.stats.dropped_gap for p in plans),
        quality_unusable_frames=stats["unusable_frames"],
        sampled_distance_m=round(sum(p.stats.distance_m for p in plans), 2),
        video_start=first.video_start,
        time_sync=first.time_sync,
        time_correction_s=first.time_correction_s,
        decode_mode=",".join(sorted({p.mode for p in plans})),
    )
    if len(drive.items) > 1:
        stats["drive_files"] = len(drive.items)
    merged.seconds = round(merged.seconds, 3)
    return merged


def without_failed(drive: DrivePlan, failed: set[str]) -> DrivePlan:
    """The drive without the files whose chunks failed."""
    keep = [k for k, i in enumerate(drive.items) if str(i.path) not in failed]
    return dataclasses.replace(
        drive, items=[drive.items[k] for k in keep], plans=[drive.plans[k] for k in keep]
    )
