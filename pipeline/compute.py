"""The per-file work of a batch, run in a worker process (local pool or Ray).

:func:`compute_footage` reads one item's GPS, samples frames by distance, runs the
detector on usable frames and projects detections to the ground. It touches no
database: the parent process stores results serially (SQLite has one writer) and
snaps them to the network. Everything it returns is picklable and small; frame
images are written to ``frames_dir`` as JPEG evidence only where something was
detected.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo.types import Observation, SampledFrame
from pipeline.discover import FootageItem
from roadcam.errors import error_record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComputeOptions:
    """What a worker needs; plain values so it pickles to any executor."""

    weights_path: Path | None = None  # None: store frames only, no detection
    backend: str = "openvino"
    conf_threshold: float | None = None
    spacing_m: float = 5.0
    time_offset_s: float | None = None
    max_gap_s: float | None = None
    camera_config: Path | None = None
    frames_dir: Path | None = None
    data_dir: Path | None = None  # evidence refs are stored relative to it (store.evidence_paths)
    detect_batch: int = 8  # frames per detector call (OpenVINO runs a batch as parallel requests)
    # (lon, lat) of spots under a pending repair claim: frames that see one keep a raw JPEG
    watch_spots: tuple[tuple[float, float], ...] = ()
    marking_wear: bool = True  # measure paint on each usable frame (docs/markings.md)
    decode: str = "auto"  # geo.ingest.sampling.DECODE_MODES; "exact" is the full-decode reference
    skip_loop_filter: bool = False
    threads: int | None = None  # CPU threads per worker for decoding and inference (None: all)
    # the people/plate detector (detector/weights/privacy.onnx); None: stored frames are not blurred
    privacy_weights: Path | None = None
    skip_sky: bool = (
        False  # run the detector only below the camera's horizon (see docs/performance.md)
    )

    def __post_init__(self) -> None:
        if self.spacing_m <= 0:
            raise ValueError("spacing_m must be > 0")
        if self.detect_batch < 1:
            raise ValueError("detect_batch must be >= 1")


@dataclass
class FootageResult:
    """What one item (or one time chunk of a video) produced, or the error record that replaced it."""

    item: FootageItem
    chunk: tuple[int, int] | None = None  # (file in its drive, first plan index) of a chunk
    items: list[FootageItem] = field(default_factory=list)  # a drive's videos (merged result)
    frames: list[SampledFrame] = field(default_factory=list)  # images stripped
    # (source, frame_index) -> saved evidence JPEG (boxes drawn), and the frame as seen (raw)
    image_refs: dict[tuple[str, int], str] = field(default_factory=dict)
    raw_refs: dict[tuple[str, int], str] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    paint_profiles: list[Any] = field(default_factory=list)  # geo.placement.markings.PaintProfile
    stats: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


_DETECTOR_CACHE: dict[tuple, Any] = {}


def _detector(options: ComputeOptions):
    """One detector per worker process, built on first use."""
    key = (str(options.weights_path), options.backend, options.conf_threshold, options.threads)
    if key not in _DETECTOR_CACHE:
        from detector.model import Detector

        kwargs: dict[str, Any] = {"backend": options.backend, "threads": options.threads,
                                  "hint": "THROUGHPUT"}  # fmt: skip
        if options.conf_threshold is not None:
            kwargs["conf_threshold"] = options.conf_threshold
        _DETECTOR_CACHE[key] = Detector(options.weights_path, **kwargs)
    return _DETECTOR_CACHE[key]


def warm_worker(options: ComputeOptions) -> None:
    """A pool worker's start: build its detector (a model-cache load) and import the decoders
    before the first chunk arrives, while the parent migrates, loads the network and plans."""
    try:
        _detector(options)
        import geo.ingest.sampling  # noqa: F401
        import geo.placement.camera  # noqa: F401
    except Exception:  # noqa: BLE001 - the first real item reports the error as a record
        log.debug("worker warm-up failed", exc_info=True)


CAMERA_CONFIG_NAME = "camera.yaml"


def camera_config_for(item: FootageItem, options: ComputeOptions) -> Path | None:
    """The camera config: ``--camera``, else a ``camera.yaml`` beside the footage, else none (default camera)."""
    if options.camera_config is not None:
        return options.camera_config
    folder = item.path if item.kind == "images" else item.path.parent
    beside = folder / CAMERA_CONFIG_NAME
    return beside if beside.is_file() else None


@dataclass(frozen=True)
class VideoChunk:
    """Frames ``plan.times_s[start:stop]`` of one video of a planned drive (see pipeline.runner)."""

    item: FootageItem
    plan: Any  # geo.ingest.sampling.FramePlan
    track: Any  # geo.types.Track of the whole drive
    file_no: int  # the video's position in its drive
    start: int
    stop: int


def decode_settings(options: ComputeOptions):
    from geo.ingest.sampling import DecodeSettings

    threads = options.threads
    return DecodeSettings(mode=options.decode, skip_loop_filter=options.skip_loop_filter,
                          thread_count=threads or 0)  # fmt: skip


def _chunk_frames(chunk: VideoChunk, stats: dict[str, Any]):
    from geo.ingest.sampling import frames_from_plan
    from geo.ingest.video import DecodeCounters

    counters = DecodeCounters()
    try:
        yield from frames_from_plan(chunk.plan, chunk.track, chunk.start, chunk.stop, counters=counters)  # fmt: skip
    finally:
        stats.update(decoded_frames=counters.decoded, converted_frames=counters.converted,
                     seeks=counters.seeks, keyframe_only_frames=counters.keyframe_only)  # fmt: skip


def _frames_for(item: FootageItem | VideoChunk, options: ComputeOptions, stats: dict[str, Any]):
    """The distance-sampled frames of one item or chunk (a generator), and its track summary in ``stats``."""
    from geo.ingest import sampling
    from geo.ingest.gps import read_track

    if isinstance(item, VideoChunk):
        yield from _chunk_frames(item, stats)
        return

    if item.kind == "images":
        yield from sampling.sample_images(item.path, spacing_m=options.spacing_m, stats=stats)
        return
    track = read_track(item.gps_path or item.path)
    stats["track_points"] = len(track)
    stats["track_valid_fixes"] = int(track.valid.sum())
    stats["dropped_outliers"] = track.dropped_outliers
    kwargs: dict[str, Any] = {
        "spacing_m": options.spacing_m,
        "time_offset_s": options.time_offset_s,
        "stats": stats,
        "decode": decode_settings(options),
    }
    if options.max_gap_s is not None:
        kwargs["max_gap_s"] = options.max_gap_s
    yield from sampling.sample_frames(item.path, track, **kwargs)


def compute_footage(item: FootageItem | VideoChunk, options: ComputeOptions) -> FootageResult:
    """Process one footage item (or a chunk of a video) up to ground-placed observations.

    Never raises for bad input: the result then carries an error record.
    """
    started = time.perf_counter()
    work = item
    if isinstance(work, VideoChunk):
        item = work.item
        result = FootageResult(item=item, chunk=(work.file_no, work.start))
    else:
        result = FootageResult(item=item)
    stats = result.stats
    stats.update(frames=0, usable_frames=0, unusable_frames=0, detections=0)
    try:
        detector = _detector(options) if options.weights_path else None
        camera = None
        if detector is not None or options.marking_wear:
            from geo.placement.camera import load_camera_config

            camera = load_camera_config(
                camera_config_for(item, options), vehicle_id=item.vehicle_id
            )
        pending: list[
            SampledFrame
        ] = []  # frames in order; only those awaiting detection keep their image
        held = 0
        for frame in _frames_for(work, options, stats):
            stats["frames"] += 1
            if (
                options.marking_wear
                and camera is not None
                and frame.usable
                and frame.image is not None
            ):
                result.paint_profiles.append(_paint_profile(frame, camera))
            if not frame.usable or detector is None or frame.image is None:
                stats["unusable_frames" if not frame.usable else "usable_frames"] += 1
                pending.append(dataclasses.replace(frame, image=None))
                continue
            stats["usable_frames"] += 1
            pending.append(frame)
            held += 1
            if held >= options.detect_batch:
                _flush(pending, detector, camera, options, result)
                held = 0
        _flush(pending, detector, camera, options, result)
    except Exception as err:  # noqa: BLE001 - a bad file becomes an error record; the batch goes on
        if not _is_user_error(err):
            log.exception("unexpected error on %s", item.path)
        result.error = error_record(err, path=str(item.path))
        result.frames.clear()
        result.observations.clear()
        result.paint_profiles.clear()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


_GRIDS: dict[Any, Any] = {}  # camera -> bird's-eye remap grid, built once per worker


def _paint_profile(frame: SampledFrame, camera: Any):
    """The paint seen in a frame's road region, per 0.5 m slice and 2 cm column (bird's-eye)."""
    from detector.markings import slice_profile
    from geo.placement import markings

    cam = camera.scaled(frame.image.shape[1], frame.image.shape[0])
    if cam not in _GRIDS:
        _GRIDS[cam] = markings.ground_grid(cam)
    view, valid = markings.ground_view(frame.image, cam, _GRIDS[cam])
    paint = slice_profile(
        view, markings.rows_per_slice(), valid, light_cols=markings.lane_columns()
    )
    return markings.PaintProfile(frame.source or "", frame.frame_index, paint.astype(np.float16))


def _flush(
    pending: list[SampledFrame],
    detector: Any,
    camera: Any,
    options: ComputeOptions,
    result: FootageResult,
) -> None:
    """Detect on the pending usable frames in one batch, project, and move all pending frames (in order)
    into ``result`` with their images dropped. At most ``detect_batch`` images are ever held."""
    todo = [f for f in pending if f.image is not None] if detector is not None else []
    top = [sky_rows(camera, f.image) if options.skip_sky else 0 for f in todo]
    images = [f.image[y0:] if y0 else f.image for f, y0 in zip(todo, top, strict=True)]
    found = detector.detect_batch(images) if todo else []
    if any(top):
        found = [_below(d, y0, f.image.shape[0]) for d, y0, f in zip(found, top, todo, strict=True)]
    dets_of_frame = {id(f): d for f, d in zip(todo, found, strict=True)}
    for frame in pending:
        dets = dets_of_frame.get(id(frame))
        if dets is not None and len(dets):
            from detector.markings import RETIRED_CLASSES

            dets = dets.filter(~np.isin(np.asarray(dets.names), RETIRED_CLASSES))
        observations = []
        if dets is not None and len(dets):
            from geo.placement.camera import project_detections

            result.stats["detections"] += len(dets)
            observations = project_detections(camera, dets, frame)
            result.observations.extend(observations)
        key = (frame.source or "", frame.frame_index)
        stored = frame.image is not None and options.frames_dir is not None
        if stored and (observations or _sees_a_watched_spot(frame, camera, options.watch_spots)):
            frame = _privacy_blurred(frame, dets, options)  # before anything is written
            if observations:
                saved = _save_evidence(frame, dets, options.frames_dir)
                if options.data_dir is not None:
                    from store.evidence_paths import ref_from_path

                    saved = ref_from_path(saved, options.data_dir)
                result.image_refs[key] = saved
            result.raw_refs[key] = _save_raw(frame, options.frames_dir)
        result.frames.append(dataclasses.replace(frame, image=None))
    pending.clear()


def _privacy_blurred(frame: SampledFrame, dets: Any, options: ComputeOptions) -> SampledFrame:
    """The frame with people and number plates blurred (docs/privacy.md); the defect boxes stay."""
    if options.privacy_weights is None:
        return frame
    key = ("privacy", str(options.privacy_weights), options.threads)
    if key not in _DETECTOR_CACHE:
        from detector.privacy import PrivacyBlurrer

        _DETECTOR_CACHE[key] = PrivacyBlurrer(options.privacy_weights, threads=options.threads)
    keep = dets.xyxy if dets is not None and len(dets) else ()
    return dataclasses.replace(frame, image=_DETECTOR_CACHE[key].blur(frame.image, keep))


def _sees_a_watched_spot(frame: SampledFrame, camera: Any, spots) -> bool:
    """True when a spot under a repair claim is in this frame's view (repair evidence)."""
    if not spots or camera is None:
        return False
    from geo.placement.verify import frames_viewing_point

    # prefilter by a ~40 m box in degrees (as the runner's claim bbox); metres decide below
    near = [(x, y) for x, y in spots if abs(x - frame.lon) < 6e-4 and abs(y - frame.lat) < 4e-4]
    if not near:
        return False
    crs = _metric_crs(frame)
    # a little wider than the runner's check, which also corrects the pose on the network
    wide = {"min_range_m": 3.0, "max_range_m": 22.0, "max_lateral_m": 7.5}
    return any(frames_viewing_point(camera, [frame], lon, lat, crs, **wide) for lon, lat in near)


def _metric_crs(frame: SampledFrame) -> str:
    from geo.crs import metric_crs_for_lonlat

    return metric_crs_for_lonlat(frame.lon, frame.lat)


def _save_raw(frame: SampledFrame, frames_dir: Path) -> str:
    """The frame as it was seen (no boxes drawn): the "before"/"after" crops of repair checks."""
    import cv2

    out = Path(frames_dir) / Path(frame.source).stem / "raw"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{frame.frame_index:06d}.jpg"
    cv2.imwrite(str(path), frame.image, [int(cv2.IMWRITE_JPEG_QUALITY), 92])
    return str(path)


SKY_MARGIN = 0.04  # of the image height kept above the horizon (shake, pitch, roll)


def sky_rows(camera: Any, image: Any) -> int:
    """Rows at the top of ``image`` above the camera's horizon (less a margin): nothing on the road is there.

    Every object lower than the camera (potholes, lines, skips, cars) lies below the horizon.
    """
    if camera is None:
        return 0
    h, w = image.shape[:2]
    cam = camera if (camera.image_width, camera.image_height) == (w, h) else camera.scaled(w, h)
    row = int(cam.horizon_v - SKY_MARGIN * h)
    return max(0, min(row, h // 2))


def _below(dets: Any, y0: int, height: int) -> Any:
    """Detections in a crop starting at row ``y0`` as detections in the whole image."""
    from detector.types import Detections

    xyxy = dets.xyxy.copy()
    xyxy[:, [1, 3]] += y0
    return Detections(xyxy, dets.confidence, dets.class_id, dets.class_names, dets.image_width, height)  # fmt: skip


def _is_user_error(err: BaseException) -> bool:
    from roadcam.errors import RoadcamError

    return isinstance(err, RoadcamError)


_BOX_COLOURS = {
    "pothole": (28, 25, 215),
    "crack": (97, 174, 253),
    "faded_marking": (182, 123, 44),
    "skip": (148, 50, 123),
}


def _save_evidence(frame: SampledFrame, dets: Any, frames_dir: Path) -> str:
    """The frame as JPEG evidence, with the detections drawn on it."""
    import cv2

    image = frame.image.copy()
    for (x1, y1, x2, y2), name, conf in zip(
        dets.xyxy.astype(int).tolist(), dets.names, dets.confidence.tolist(), strict=True
    ):
        colour = _BOX_COLOURS.get(name, (0, 255, 255))
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, 2)
        cv2.putText(
            image,
            f"{name} {conf:.2f}",
            (x1, max(y1 - 4, 10)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
            cv2.LINE_AA,
        )
    out = Path(frames_dir) / Path(frame.source).stem
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{frame.frame_index:06d}.jpg"
    cv2.imwrite(str(path), image, [int(cv2.IMWRITE_JPEG_QUALITY), 85])
    return str(path)
