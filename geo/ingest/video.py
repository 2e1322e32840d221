"""Video reading with PyAV: metadata, start time, and decoding only the frames asked for.

Decode strategy (measured in ``bench/decode.py``, see ``bench/results/decode.md``):

* frames are decoded with ``stream.thread_type = "AUTO"`` (frame + slice threads);
* every frame must pass through the decoder (H.264 P/B frames depend on the
  previous ones), but only the frames nearest to a target time are converted
  to BGR numpy arrays: the YUV→BGR conversion and copy are most of the
  per-frame cost we can avoid;
* when the next target is more than ``seek_threshold_s`` ahead, the demuxer
  seeks to the keyframe at or before it instead of decoding the frames in
  between. With a 2 s GOP this only pays off for jumps of several seconds (a
  long stop, a GPS gap, a large spacing); for targets 0.5 s apart, straight
  decoding is cheaper, so the default threshold is 4 s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from roadcam.errors import CorruptInputError, InputNotFoundError, UnsupportedFormatError

log = logging.getLogger(__name__)

SEEK_THRESHOLD_S = 4.0
_EPOCH_SANE = datetime(1995, 1, 1, tzinfo=UTC)  # earlier creation_time = unset (1904/1970)


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video."""

    path: str
    width: int
    height: int
    fps: float
    duration_s: float
    frame_count: int
    codec: str
    creation_time: datetime | None  # container creation_time (camera clock), None if absent/unset

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError("video size must be positive")
        if self.fps <= 0:
            raise ValueError("fps must be > 0")
        if self.duration_s < 0:
            raise ValueError("duration_s must be >= 0")


def parse_creation_time(value: str | None) -> datetime | None:
    """An MP4/QuickTime ``creation_time`` tag as an aware datetime (None if absent or unset)."""
    if not value:
        return None
    s = value.strip().replace(" ", "T")
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    t = t.astimezone(UTC)
    return t if t >= _EPOCH_SANE else None


def open_video(path: str | Path):
    """Open a video with PyAV, mapping failures to roadcam errors that name the file."""
    import av

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError("no such video file", path=str(p))
    if p.stat().st_size == 0:
        raise CorruptInputError("empty video file", path=str(p))
    try:
        container = av.open(str(p))
    except av.error.InvalidDataError as err:
        raise CorruptInputError(
            f"cannot read video (truncated or corrupt: {err.strerror})", path=str(p)
        ) from None
    except av.error.FFmpegError as err:
        raise CorruptInputError(f"cannot open video ({err})", path=str(p)) from None
    if not container.streams.video:
        container.close()
        raise UnsupportedFormatError("file has no video stream", path=str(p))
    return container


def probe_video(path: str | Path) -> VideoInfo:
    """Size, rate, duration, frame count and creation time of a video."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            duration = 0.0
        frames = stream.frames or int(round(duration * float(rate)))
        created = parse_creation_time(
            container.metadata.get("creation_time") or stream.metadata.get("creation_time")
        )
        ctx = stream.codec_context
        return VideoInfo(
            path=str(path), width=ctx.width, height=ctx.height, fps=float(rate), duration_s=duration,
            frame_count=int(frames), codec=ctx.name, creation_time=created,
        )  # fmt: skip


def start_time_from_name(path: str | Path) -> datetime | None:
    """Camera-clock start from a dashcam file name ``YYYYMMDD_HHMMSS…`` (BlackVue, Viofo …), as naive-UTC."""
    m = re.search(r"(20\d{6})[_-]?(\d{6})", Path(path).stem)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass
class DecodeCounters:
    """How much work the decoder did (read after iteration ends)."""

    decoded: int = 0  # frames out of the decoder
    converted: int = 0  # frames converted to BGR arrays
    seeks: int = 0
    keyframe_only: int = 0  # frames answered in keyframe-only decoding


def keyframe_times(path: str | Path) -> np.ndarray:
    """Times (s from the first frame) of the video's keyframes, read from the packets (no decoding)."""
    import av

    with open_video(path) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        start_pts = stream.start_time or 0
        times = []
        try:
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    times.append((packet.pts - start_pts) * tb)
        except av.error.FFmpegError as err:
            raise CorruptInputError(f"cannot read video packets ({err})", path=str(path)) from None
    return np.unique(np.asarray(times, float))


def _configure_decoder(stream, threads: str, skip_loop_filter: bool, thread_count: int = 0) -> None:
    stream.thread_type = threads
    if thread_count:
        stream.codec_context.thread_count = thread_count
    if skip_loop_filter:
        # H.264 in-loop deblocking skipped on every frame (FFmpeg's -skip_loop_filter all)
        stream.codec_context.options = {"skip_loop_filter": "all"}


def iter_frames_at(
    path: str | Path,
    times_s: Iterable[float],
    *,
    keyframe_only: Iterable[bool] | None = None,
    seek_threshold_s: float = SEEK_THRESHOLD_S,
    counters: DecodeCounters | None = None,
    threads: str = "AUTO",
    thread_count: int = 0,
    skip_nonref: bool = False,
    skip_loop_filter: bool = False,
    keyframe_seek_s: float | None = None,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield ``(frame_index, time_s, bgr)`` for the frame nearest each target time.

    ``times_s`` must be non-decreasing (video seconds from the first frame).
    Targets beyond the last frame are ignored; two targets that fall on the
    same frame yield it once. Raises :class:`CorruptInputError` when the
    stream breaks before the targets are reached.

    ``keyframe_only`` (one flag per target): the target is a keyframe's time and is
    decoded with ``skip_frame = "NONKEY"`` (the frames between keyframes are demuxed,
    not decoded). Other targets decode every frame from the keyframe before them, or,
    with ``skip_nonref``, every frame another frame refers to (``skip_frame = "NONREF"``:
    a target on a skipped frame gets the next decoded one). ``skip_loop_filter`` skips
    H.264 deblocking (cheaper, slightly blockier pixels). A first target beyond
    ``seek_threshold_s`` is reached by seeking, so a time chunk of a long file decodes
    the same frames as a pass over the whole file. ``keyframe_seek_s``: between two
    keyframe-only targets further apart than this, seek instead of decoding the keyframes in
    between (a seek costs about nothing next to a 1280x720 keyframe: ~19 CPU-ms; the pixels are
    the same); default ``seek_threshold_s``.
    """
    import av

    counters = counters if counters is not None else DecodeCounters()
    targets = iter(times_s)
    flags = iter(keyframe_only) if keyframe_only is not None else None

    def jump_s(key: bool) -> float:  # how far ahead a target is reached by seeking
        return keyframe_seek_s if key and keyframe_seek_s is not None else seek_threshold_s

    def advance() -> tuple[float | None, bool]:
        t = next(targets, None)
        return t, (bool(next(flags, False)) if flags is not None and t is not None else False)

    target, key_only = advance()
    if target is None:
        return
    exact_skip = "NONREF" if skip_nonref else "DEFAULT"
    with open_video(path) as container:
        stream = container.streams.video[0]
        _configure_decoder(stream, threads, skip_loop_filter, thread_count)
        ctx = stream.codec_context
        tb = float(stream.time_base)
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        half = 0.5 / fps
        start_pts = stream.start_time or 0
        pos_s = -1.0
        last_index = -1
        mode: bool | None = None  # keyframe-only decoding in force (None: nothing decoded yet)
        tail = None  # the last frame seen, in case the final target lies just past it
        frame = None
        decoder = None
        try:
            while target is not None:
                # leaving keyframe-only decoding, the references since the keyframe were skipped
                must_seek = mode is True and not key_only
                step = jump_s(key_only)
                far = target - pos_s > step if pos_s >= 0 else target > step
                if must_seek or far:
                    container.seek(
                        int(round(target / tb)) + start_pts,
                        stream=stream,
                        backward=True,
                        any_frame=False,
                    )
                    counters.seeks += 1
                    tail = None
                mode = key_only
                ctx.skip_frame = "NONKEY" if key_only else exact_skip
                ended = True
                decoder = container.decode(stream)
                for frame in decoder:
                    counters.decoded += 1
                    if frame.pts is None:
                        continue
                    t = (frame.pts - start_pts) * tb
                    pos_s = t
                    if t < target - half:
                        tail = (frame, t)
                        continue
                    tail = None
                    index = int(round(t * fps))
                    if index != last_index:
                        counters.converted += 1
                        counters.keyframe_only += int(key_only)
                        yield index, t, frame.to_ndarray(format="bgr24")
                        last_index = index
                    # this frame answers the target, and any other nearer to it than to the next frame
                    was_key_only = key_only
                    target, key_only = advance()
                    while target is not None and target < t + half:
                        target, key_only = advance()
                    if target is None or key_only != was_key_only or target - t > jump_s(key_only):
                        ended = False
                        break
                decoder.close()  # never leave a half-read decode generator behind a seek
                decoder = None
                if ended:
                    break
            if target is not None and tail is not None and target - tail[1] <= 2 * half:
                index = int(round(tail[1] * fps))
                if index != last_index:
                    counters.converted += 1
                    image, t_tail = tail[0].to_ndarray(format="bgr24"), tail[1]
                    tail = frame = None
                    yield index, t_tail, image
        except av.error.EOFError:
            pass
        except av.error.FFmpegError as err:
            raise CorruptInputError(
                f"video stream broken at {pos_s:.2f} s ({err})", path=str(path)
            ) from None
        finally:
            # drop every frame and decoder before the container (and its codec context) is closed
            tail = frame = None
            if decoder is not None:
                decoder.close()
            decoder = None


def iter_every_frame(
    path: str | Path, *, threads: str = "AUTO", thread_count: int = 0
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Every frame as ``(frame_index, time_s, bgr)``: the naive reference (bench/pipeline.py)."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        _configure_decoder(stream, threads, False, thread_count)
        tb = float(stream.time_base)
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        start_pts = stream.start_time or 0
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = (frame.pts - start_pts) * tb
            yield int(round(t * fps)), t, frame.to_ndarray(format="bgr24")


def encode_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    fps: int = 30,
    creation_time: datetime | None = None,
    gop: int | None = None,
    preset: str = "veryfast",
    crf: int = 23,
    bframes: int = 0,
    scenecut: bool = True,
) -> Path:
    """Write BGR frames as an H.264 MP4 with PyAV (tests, bench and sample footage).

    ``creation_time`` is written as the container's start time (QuickTime
    semantics); ``gop`` is the keyframe interval in frames (default 2 s); ``scenecut=False``
    keeps it fixed (no extra keyframes at scene changes, as most dashcams).
    """
    import av

    path = Path(path)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError("no frames to encode")
    h, w = first.shape[:2]
    with av.open(str(path), "w") as out:
        if creation_time is not None:
            out.metadata["creation_time"] = creation_time.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            )
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {
            "preset": preset,
            "crf": str(crf),
            "g": str(gop or 2 * fps),
            "bf": str(bframes),
            **({} if scenecut else {"sc_threshold": "0"}),
        }
        for img in _chain(first, it):
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
            ):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _chain(first, rest):
    yield first
    yield from rest
