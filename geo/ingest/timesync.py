"""Put a video on the GPS track's clock: the UTC time of its first frame.

Rules, first match wins (see docs/ingest.md):

1. ``time_offset_s`` given (``--time-offset``) = **camera clock minus GPS time**
   (a camera 3 h ahead: 10800): start = camera start − offset (the track's
   start − offset when the camera wrote no time). Always honoured.
2. ``gpmf``: the video carries GoPro GPS (gpmd): start = GPSU of its first
   payload − that payload's media time. Exact; the camera clock is ignored
   (the GoPro MAX sample writes local time with a ``Z``). ``camm``: the same
   for a Google CAMM track (360 cameras), from its first timed GPS sample.
3. ``sidecar-clock``: a BlackVue-style side-car (same base name) whose lines
   carry the camera clock (``[unix_ms]``): start = camera start − (camera clock
   − GPS time, snapped to a whole time zone when within 5 s of one). Camera
   start is the container ``creation_time``, else the ``YYYYMMDD_HHMMSS`` in
   the file name. When a ``creation_time`` fits the track better uncorrected
   (a camera that writes UTC in the container), rule 4 applies instead.
4. ``camera``: ``creation_time`` within ``max_clock_error_s`` (default 1 day)
   of the track. ``creation_time`` is the **start** of the recording
   (QuickTime/MP4 semantics); it is *not* shifted back by the duration —
   computing ``creation_time − duration`` is a known bug elsewhere
   (mapillary_tools PR #832) that moves every frame by one clip length.
5. ``gps``: no camera time, or one more than ``max_clock_error_s`` away (a reset
   clock, 1970/2000 …): GPS time wins and the video is taken to start with the
   track (mapillary_tools PR #659 uses the same 1-day rule).

Then the footage interval must overlap the track, else :class:`TimeSyncError`
naming the video: a camera clock within a day of the track that still misses
it is a wrong pairing or a wrong offset, and guessing would misplace every frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from geo.ingest.video import VideoInfo, probe_video, start_time_from_name
from geo.types import Track
from roadcam.errors import TimeSyncError

log = logging.getLogger(__name__)

MAX_CLOCK_ERROR_S = 86_400.0


@dataclass(frozen=True)
class TimeSync:
    """How a video was put on UTC."""

    video_start: datetime  # UTC time of the first frame
    method: str  # "offset", "gpmf", "sidecar-clock", "camera", "gps"
    camera_start: datetime | None  # what the camera's clock said
    correction_s: float  # video_start − camera_start (0 when there is no camera time)
    overlap_s: float  # seconds of footage inside the track's time span

    def __post_init__(self) -> None:
        if self.video_start.tzinfo is None:
            raise ValueError("video_start must be timezone-aware")
        if self.overlap_s < 0:
            raise ValueError("overlap_s must be >= 0")


def _overlap(start: datetime, info: VideoInfo, t0: datetime, t1: datetime) -> float:
    end = start + timedelta(seconds=info.duration_s)
    return (min(end, t1) - max(start, t0)).total_seconds()


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def _embedded_start(path: Path) -> tuple[datetime | None, str]:
    """The start written in the file's own GPMF or CAMM track, if any."""
    if path.suffix.lower() not in (".mp4", ".mov", ".360") or not path.is_file():
        return None, ""
    from geo.ingest.camm import camm_video_start
    from geo.ingest.gpmf import gpmf_video_start

    if (embedded := gpmf_video_start(path)) is not None:
        return embedded, "gpmf"
    if (embedded := camm_video_start(path)) is not None:
        return embedded, "camm"
    return None, ""


def _sidecar_clock_start(
    info: VideoInfo, path: Path, sidecar: str | Path | None, t0: datetime, t1: datetime
) -> tuple[datetime, datetime] | None:
    """(start, camera time) from a dashcam side-car's clock offset, when it fits better."""
    from geo.ingest.gps import find_sidecar
    from geo.ingest.nmea import camera_clock_offset_s

    camera = info.creation_time
    car = Path(sidecar) if sidecar else find_sidecar(path)
    clock = (
        camera_clock_offset_s(car)
        if car and car.suffix.lower() in (".gps", ".nmea", ".log")
        else None
    )
    cam = camera or start_time_from_name(path)
    if clock is None or cam is None:
        return None
    corrected = cam - timedelta(seconds=clock)
    # a creation_time already in UTC must not be shifted by the side-car's zone: keep the better fit
    if camera is None or _overlap(corrected, info, t0, t1) >= _overlap(camera, info, t0, t1):
        return corrected, cam
    return None


def sync_video_to_track(
    video: str | Path | VideoInfo,
    track: Track,
    *,
    time_offset_s: float | None = None,
    max_clock_error_s: float = MAX_CLOCK_ERROR_S,
    sidecar: str | Path | None = None,
    use_gpmf: bool = True,
) -> TimeSync:
    """Decide the UTC start of ``video`` against ``track`` (rules in the module docstring).

    ``sidecar``: the track's file when it is the video's side-car (found by
    name with :func:`geo.ingest.gps.find_sidecar` when None).
    """
    info = video if isinstance(video, VideoInfo) else probe_video(video)
    path = Path(info.path)
    if not len(track) or not track.valid.any():
        raise TimeSyncError("track has no valid fix to sync against", path=str(path))
    t0, t1 = track.start, track.end
    camera = info.creation_time
    method, start = "", None

    if time_offset_s is not None:
        start = (camera or t0) - timedelta(seconds=time_offset_s)
        method = "offset"
    if start is None and use_gpmf:
        start, method = _embedded_start(path)
    if start is None and (found := _sidecar_clock_start(info, path, sidecar, t0, t1)):
        (start, camera), method = found, "sidecar-clock"
    if (
        start is None
        and camera is not None
        and abs((camera - t0).total_seconds()) <= max_clock_error_s
    ):
        start, method = camera, "camera"
    if start is None:
        if camera is not None:
            log.warning(
                "%s: camera clock %s is more than %.0f s from the GPS track (%s); GPS time wins",
                path, _fmt(camera), max_clock_error_s, _fmt(t0),
            )  # fmt: skip
        start, method = t0, "gps"

    end = start + timedelta(seconds=info.duration_s)
    overlap = (min(end, t1) - max(start, t0)).total_seconds()
    if overlap <= 0 and not (info.duration_s == 0 and t0 <= start <= t1):
        raise TimeSyncError(
            f"footage {_fmt(start)} to {_fmt(end)} ({method} time) does not overlap its GPS track "
            f"{_fmt(t0)} to {_fmt(t1)}; check the pairing or pass --time-offset SECONDS",
            path=str(path),
        )
    correction = (start - camera).total_seconds() if camera is not None else 0.0
    log.info("%s: video starts %s (%s, correction %+.2f s)", path, _fmt(start), method, correction)
    return TimeSync(start, method, camera, correction, max(overlap, 0.0))
