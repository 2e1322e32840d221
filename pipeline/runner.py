"""The batch runner behind ``roadcam process``.

1. Discover footage and skip any whose content hashes are already stored as done.
2. Compute each item in workers (local process pool or Ray): GPS → frames sampled
   by distance → detector → ground positions (:mod:`pipeline.compute`).
3. In this process, one transaction per item, holding the database's merge lock
   (:mod:`store.locks`, so two batches at once give the result of one after the other):
   re-check the footage is not stored meanwhile, snap observations to the stored road
   network, store survey, frames and observations, and merge sightings into defects
   (:mod:`geo.placement.cluster`). A failing item rolls back only itself; it becomes an
   error record and the batch goes on. A killed batch loses only its uncommitted item.
4. Return a :class:`RunSummary` that says what was done and what failed, and why.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.claim_evidence import propose_repair_verdicts, watched_spots
from pipeline.compute import (
    ComputeOptions,
    FootageResult,
    VideoChunk,
    compute_footage,
    warm_worker,
)
from pipeline.discover import FootageItem, discover_footage, sha256_of_file
from pipeline.executors import local_pool, map_unordered
from roadcam.errors import RoadcamError, error_record

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """The end-of-run report: counts, and one record per failed file."""

    files: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0
    usable_frames: int = 0
    unusable_frames: int = 0
    frames_dropped_in_gaps: int = 0
    detections: int = 0
    observations: int = 0
    observations_on_network: int = 0
    defects_new: int = 0
    defects_updated: int = 0
    repairs_proposed_repaired: int = 0  # machine verdicts: proposals for an inspector
    repairs_proposed_still_present: int = 0
    repairs_to_inspector: int = 0
    seconds: float = 0.0
    surveys: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sources(item: FootageItem) -> list[tuple[str, str, str, int]]:
    """The files that identify a survey: the video, or the images. Content hashes, so renames don't matter.

    A GPS side-car is not one of them: BlackVue front and rear videos share one
    ``.gps`` file, so its hash cannot identify a survey (it is kept in the summary).
    """
    if item.kind == "images":
        paths, kind = item.files, "image"
    else:
        paths, kind = [item.path], "video"
    return [(str(p), sha256_of_file(p), kind, p.stat().st_size) for p in paths]


def _load_network(session):
    """The stored road network as a RoadNetwork, or None when none is loaded."""
    from geo.crs import metric_crs_for_bounds
    from geo.network.roads import network_from_segments
    from store.segments import segments_to_geodataframe

    segments = segments_to_geodataframe(session)
    if segments.empty:
        return None
    segments = segments.rename(columns={"current_category": "hierarchy"})
    segments["hierarchy"] = segments["hierarchy"].fillna("")
    segments = segments.to_crs(metric_crs_for_bounds(*segments.total_bounds))
    segments["length_m"] = segments.geometry.length
    return network_from_segments(segments)


def store_result(
    session,
    result: FootageResult,
    network,
    sources,
    summary: RunSummary,
    camera=None,
    frames_dir=None,
) -> dict[str, Any]:
    """Store one computed item in the session (the caller owns the transaction)."""
    from geo.placement.cluster import defects_from_observations
    from geo.placement.locate import locate_observations
    from store.defects import save_defects
    from store.frames import add_frames
    from store.observations import add_observations
    from store.surveys import get_or_create_survey, set_survey_status

    frames = result.frames
    started = min((f.time for f in frames), default=None)
    ended = max((f.time for f in frames), default=None)
    survey, _ = get_or_create_survey(session, result.item.vehicle_id, sources, started, ended)
    set_survey_status(session, survey.id, "processing")
    frame_ids = add_frames(session, survey.id, frames, image_refs=result.image_refs)
    ids_by_key = {(f.source, f.frame_index): fid for f, fid in zip(frames, frame_ids, strict=True)}
    observations, correction = locate_observations(network, frames, result.observations)
    obs_ids = add_observations(session, ids_by_key, observations)
    existing = _stored_candidates_near(session, observations)
    candidates = defects_from_observations(observations, existing)
    save_defects(session, candidates, survey_id=survey.id, observation_ids=obs_ids)
    crs = str(network.crs) if network is not None else None
    repairs = propose_repair_verdicts(session, result, survey.id, candidates, correction, camera,
                                      crs, frames_dir)  # fmt: skip
    marking_runs = _store_marking_runs(session, result, network, survey.id, correction)
    items = result.items or [result.item]
    stats = _survey_stats(
        result, items, marking_runs, observations, candidates, correction, repairs
    )
    set_survey_status(session, survey.id, "done", summary=stats)
    _add_to_summary(summary, stats, len(items))
    record = {
        "survey_id": survey.id,
        "path": str(result.item.path),
        **{k: v for k, v in stats.items() if k != "seconds"},
    }
    summary.surveys.append(record)
    return record


def _survey_stats(
    result: FootageResult, items, marking_runs: int, observations, candidates, correction, repairs
) -> dict[str, Any]:
    """The survey's summary: the worker's counters, then what storing it did."""
    stats = dict(result.stats)
    stats["marking_runs"] = marking_runs
    new = sum(1 for c in candidates if c.defect_id is None)
    stats.update(_gps_provenance(items))
    stats.update(
        observations=len(observations),
        observations_on_network=sum(1 for o in observations if o.segment_id),
        defects_new=new,
        defects_updated=len(candidates) - new,
        frames_pose_corrected=correction.frames_matched if correction else 0,
        repairs_proposed_repaired=repairs.get("repaired", 0),
        repairs_proposed_still_present=repairs.get("still_present", 0),
        repairs_to_inspector=repairs.get("inspector_to_look", 0),
        seconds=result.seconds,
    )
    return stats


#: Per-survey counts summed into the run summary (and printed by `roadcam process`).
SUMMED_COUNTS = (
    "frames",
    "usable_frames",
    "unusable_frames",
    "detections",
    "observations",
    "observations_on_network",
    "defects_new",
    "defects_updated",
    "repairs_proposed_repaired",
    "repairs_proposed_still_present",
    "repairs_to_inspector",
)


def _add_to_summary(summary: RunSummary, stats: dict[str, Any], items: int) -> None:
    summary.processed += items
    for key in SUMMED_COUNTS:
        setattr(summary, key, getattr(summary, key) + int(stats.get(key, 0)))
    summary.frames_dropped_in_gaps += int(stats.get("gap_dropped_frames", 0))


def _stored_candidates_near(session, observations) -> list:
    """Stored defects of the observations' classes in a ~100 m margin around them."""
    from store.defects import stored_defect_candidates

    if not observations:
        return []
    margin = 0.001  # ~100 m: generous prefilter; the merge rules decide in metres
    bbox = (
        min(o.lon for o in observations) - margin,
        min(o.lat for o in observations) - margin,
        max(o.lon for o in observations) + margin,
        max(o.lat for o in observations) + margin,
    )
    return stored_defect_candidates(
        session, bbox=bbox, class_name=sorted({o.class_name for o in observations})
    )


def _gps_provenance(items) -> dict[str, Any]:
    """Which GPS file(s) the survey's position came from, with the first one's SHA-256."""
    out: dict[str, Any] = {}
    gps_paths = list(dict.fromkeys(i.gps_path for i in items if i.gps_path is not None))
    if gps_paths:
        out["gps_path"] = str(gps_paths[0])
        out["gps_sha256"] = sha256_of_file(gps_paths[0])
    if len(items) > 1:
        out["paths"] = [str(i.path) for i in items]
        out["gps_paths"] = [str(g) for g in gps_paths]
    return out


def _store_marking_runs(session, result: FootageResult, network, survey_id: int, correction) -> int:
    """Place the survey's paint on the network as wear runs (geo.placement.markings) and store them."""
    if network is None or not result.paint_profiles:
        return 0
    from geo.placement.locate import correct_frame_poses
    from geo.placement.markings import wear_runs_from_profiles
    from store.markings import reference_dashes, save_wear_runs

    if correction is None:
        correction = correct_frame_poses(network, result.frames)
    runs = wear_runs_from_profiles(
        network,
        result.frames,
        result.paint_profiles,
        shifts=correction.shift_m,
        reference_dashes=reference_dashes(session),
    )
    measured_at = min((f.time for f in result.frames), default=None)
    return save_wear_runs(session, survey_id, runs, measured_at)


def process_paths(
    paths: list[str | Path],
    options: ComputeOptions,
    *,
    database_url: str | None = None,
    vehicle_id: str | None = None,
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    progress: bool = True,
) -> RunSummary:
    """Process footage into the database; see the module docstring."""
    t0 = time.perf_counter()
    options = options_for_workers(options, workers if executor == "local" else 1)
    warm = warm_worker if options.weights_path is not None else None
    with local_pool(workers if executor == "local" else 1, warm, options) as pool:
        summary = _process(paths, options, database_url, vehicle_id, executor, workers,
                           ray_address, progress, pool)  # fmt: skip
    summary.seconds = round(time.perf_counter() - t0, 2)
    return summary


def _process(paths, options, database_url, vehicle_id, executor, workers, ray_address, progress,
             pool) -> RunSummary:  # fmt: skip
    """process_paths' work; the local worker pool (or None) is already warming up."""
    from store.engine import make_engine, session_scope
    from store.migrate import upgrade

    summary = RunSummary()
    items = discover_footage(paths, vehicle_id=vehicle_id)
    summary.files = len(items)
    engine = make_engine(database_url)
    upgrade(engine=engine)
    with session_scope(engine, readonly=True) as session:  # no write lock while reading
        network = _load_network(session)
        if network is None:
            log.warning(
                "no road network stored: defects will not be placed on segments (run `roadcam network load`)"
            )
        todo = _items_not_stored(session, items, summary)

    if todo and options.weights_path is not None:
        import dataclasses

        options = dataclasses.replace(options, watch_spots=watched_spots(database_url))
    sources_by_path = {item.path: sources for item, sources in todo}
    for result in compute_all([i for i, _ in todo], options, executor=executor, workers=workers,
                              ray_address=ray_address, progress=progress, summary=summary,
                              pool=pool):  # fmt: skip
        _store_or_record_error(engine, result, network, sources_by_path, options, summary)
    engine.dispose()
    return summary


def _items_not_stored(session, items: list[FootageItem], summary: RunSummary) -> list:
    """``(item, sources)`` of each item not stored yet; unreadable and stored ones are counted."""
    from store.surveys import find_survey_by_hash

    todo: list[tuple[FootageItem, list]] = []
    for item in items:
        try:
            sources = _sources(item)
        except OSError as err:
            summary.failed += 1
            summary.errors.append(error_record(err, path=str(item.path)))
            continue
        done = find_survey_by_hash(session, [s[1] for s in sources])
        if done is not None and done.status == "done":
            log.info("%s: already processed (survey %d), skipped", item.path, done.id)
            summary.skipped += 1
            continue
        todo.append((item, sources))
    return todo


def _store_or_record_error(
    engine, result: FootageResult, network, sources_by_path, options, summary: RunSummary
) -> None:
    """Store one result in its own transaction under the merge lock; a failure is an error record."""
    from store.locks import merge_session_scope

    items = result.items or [result.item]
    try:
        sources = [s for i in items for s in sources_by_path[i.path]]
        with merge_session_scope(engine) as session:
            if _stored_meanwhile(session, result.item, sources):
                summary.skipped += len(items)
                return
            store_result(
                session,
                result,
                network,
                sources,
                summary,
                camera=_camera_for(result.item, options),
                frames_dir=options.frames_dir,
            )
    except RoadcamError as err:
        summary.failed += len(items)
        summary.errors.append(error_record(err, path=str(result.item.path)))
    except Exception as err:  # noqa: BLE001 - the batch goes on; the record says what went wrong
        log.exception("storing %s failed", result.item.path)
        summary.failed += len(items)
        summary.errors.append(error_record(err, path=str(result.item.path)))


def _stored_meanwhile(session, item: FootageItem, sources) -> bool:
    """True when another batch stored this footage since discovery (checked under the merge lock)."""
    from store.surveys import find_survey_by_hash

    done = find_survey_by_hash(session, [s[1] for s in sources])
    if done is None or done.status != "done":
        return False
    log.info("%s: stored meanwhile by another batch (survey %d), skipped", item.path, done.id)
    return True


def compute_all(
    items: list[FootageItem],
    options: ComputeOptions,
    *,
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    progress: bool = False,
    summary: RunSummary | None = None,
    pool: Any = None,
) -> Iterator[FootageResult]:
    """Compute every item; yield one result per drive (consecutive videos) or image folder.

    Videos are planned per group (vehicle, folder, camera) into drives, each file cut into
    time chunks across the workers, and the chunks merged back in order. Failed files are
    counted in ``summary`` and left out of their drive.
    """
    from pipeline import drives as dr

    summary = summary if summary is not None else RunSummary()
    run = {"executor": executor, "workers": workers, "ray_address": ray_address, "pool": pool}
    options = options_for_workers(options, workers)
    groups: dict[tuple, list[FootageItem]] = {}
    images = []
    for item in items:
        if item.kind == "video":
            groups.setdefault(dr.group_key(item, options), []).append(item)
        else:
            images.append(item)
    plans = _plan_drives(list(groups.values()), options, summary, run)
    size = dr.frames_per_chunk(plans, workers)
    work: list[Any] = [c for d in plans for c in dr.chunk_drive(d, size)] + images
    drive_of = {str(i.path): k for k, d in enumerate(plans) for i in d.items}
    waiting = {k: sum(1 for w in work if isinstance(w, VideoChunk) and drive_of[str(w.item.path)] == k)
               for k in range(len(plans))}  # fmt: skip
    done: dict[int, list[FootageResult]] = {k: [] for k in waiting}
    failed: dict[int, set[str]] = {k: set() for k in waiting}
    bar = _progress(len(work), progress)
    for result in map_unordered(compute_footage, work, options, **run):
        bar.update(1)
        k = drive_of.get(str(result.item.path)) if result.chunk is not None else None
        if not result.ok:
            if k is None or str(result.item.path) not in failed[k]:
                _fail(summary, result.item, result.error)
            if k is not None:
                failed[k].add(str(result.item.path))
        elif k is None:
            yield result
        else:
            done[k].append(result)
        if k is not None:
            waiting[k] -= 1
            if waiting[k] == 0:
                drive = dr.without_failed(plans[k], failed[k])
                ok = [r for r in done.pop(k) if str(r.item.path) not in failed[k]]
                if drive.items:
                    yield dr.merge_chunks(drive, ok)
    bar.close()


def _plan_drives(groups: list, options: ComputeOptions, summary: RunSummary, run: dict) -> list:
    """Each group's videos planned into drives in the workers; files that failed are counted."""
    from pipeline import drives as dr

    plans: list[dr.DrivePlan] = []
    for found in map_unordered(dr.plan_group, groups, options, **run):
        plans.extend(found)
    for drive in plans:
        for item, err in drive.errors:
            _fail(summary, item, err)
    return [d for d in plans if d.items]


def options_for_workers(options: ComputeOptions, workers: int) -> ComputeOptions:
    """Each of ``workers`` processes gets its share of the cores for decoding and inference."""
    if workers > 1 and options.threads is None:
        return dataclasses.replace(options, threads=max(1, (os.cpu_count() or 1) // workers))
    return options


def _fail(summary: RunSummary, item: FootageItem, error: dict) -> None:
    summary.failed += 1
    summary.errors.append(error)
    log.error("%s: %s", item.path, error["message"])


def _camera_for(item: FootageItem, options: ComputeOptions):
    """The item's camera (for repair checks); None when detection is off."""
    if options.weights_path is None:
        return None
    from geo.placement.camera import load_camera_config
    from pipeline.compute import camera_config_for

    return load_camera_config(camera_config_for(item, options), vehicle_id=item.vehicle_id)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, desc="footage", unit="file", disable=not enabled or total == 0, leave=False
    )
