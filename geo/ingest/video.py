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
from collections.abc import Generator, Iterable, Iterator
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


@dataclass(frozen=True)
class _StreamClock:
    """A video stream's time base, frame rate and first pts: frame times in seconds."""

    time_base: float
    fps: float
    start_pts: int

    @property
    def half_frame_s(self) -> float:
        return 0.5 / self.fps

    def time_s(self, pts: int) -> float:
        return (pts - self.start_pts) * self.time_base


def _stream_clock(stream) -> _StreamClock:
    return _StreamClock(
        time_base=float(stream.time_base),
        fps=float(stream.average_rate or stream.guessed_rate or 30),
        start_pts=stream.start_time or 0,
    )


@dataclass
class _TargetCursor:
    """Where :func:`iter_frames_at` stands: the target sought now, and what was decoded so far."""

    times_s: Iterator[float]
    flags: Iterator[bool] | None
    seek_threshold_s: float
    keyframe_seek_s: float | None
    time_s: float | None = None  # the target sought (None: no targets left)
    key_only: bool = False  # that target is answered in keyframe-only decoding
    pos_s: float = -1.0  # time of the last frame out of the decoder
    last_index: int = -1  # index of the last frame yielded
    mode: bool | None = None  # keyframe-only decoding in force (None: nothing decoded yet)
    tail: tuple | None = None  # the last frame seen, in case the final target lies just past it

    def advance(self) -> None:
        t = next(self.times_s, None)
        self.time_s = t
        self.key_only = (
            bool(next(self.flags, False)) if self.flags is not None and t is not None else False
        )

    def jump_s(self) -> float:
        """How far ahead the current target is reached by seeking."""
        if self.key_only and self.keyframe_seek_s is not None:
            return self.keyframe_seek_s
        return self.seek_threshold_s

    def needs_seek(self) -> bool:
        # leaving keyframe-only decoding, the references since the keyframe were skipped
        must_seek = self.mode is True and not self.key_only
        step = self.jump_s()
        far = self.time_s - self.pos_s > step if self.pos_s >= 0 else self.time_s > step
        return must_seek or far


@dataclass(frozen=True)
class _DecoderOptions:
    threads: str
    thread_count: int
    skip_nonref: bool
    skip_loop_filter: bool


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
    cursor = _TargetCursor(
        times_s=iter(times_s),
        flags=iter(keyframe_only) if keyframe_only is not None else None,
        seek_threshold_s=seek_threshold_s,
        keyframe_seek_s=keyframe_seek_s,
    )
    cursor.advance()
    if cursor.time_s is None:
        return
    options = _DecoderOptions(threads, thread_count, skip_nonref, skip_loop_filter)
    counters = counters if counters is not None else DecodeCounters()
    yield from _decode_nearest_frames(path, cursor, options, counters)


def _decode_nearest_frames(
    path: str | Path, cursor: _TargetCursor, options: _DecoderOptions, counters: DecodeCounters
) -> Iterator[tuple[int, float, np.ndarray]]:
    """The decode passes of :func:`iter_frames_at`: seek when a target is far, then decode."""
    import av

    exact_skip = "NONREF" if options.skip_nonref else "DEFAULT"
    with open_video(path) as container:
        stream = container.streams.video[0]
        _configure_decoder(stream, options.threads, options.skip_loop_filter, options.thread_count)
        ctx = stream.codec_context
        clock = _stream_clock(stream)
        decoder = None
        try:
            while cursor.time_s is not None:
                if cursor.needs_seek():
                    _seek_keyframe_before(container, stream, clock, cursor.time_s)
                    counters.seeks += 1
                    cursor.tail = None
                cursor.mode = cursor.key_only
                ctx.skip_frame = "NONKEY" if cursor.key_only else exact_skip
                decoder = container.decode(stream)
                ended = yield from _answer_targets(decoder, cursor, clock, counters)
                decoder.close()  # never leave a half-read decode generator behind a seek
                decoder = None
                if ended:
                    break
            yield from _answer_last_target_from_tail(cursor, clock, counters)
        except av.error.EOFError:
            pass
        except av.error.FFmpegError as err:
            raise CorruptInputError(
                f"video stream broken at {cursor.pos_s:.2f} s ({err})", path=str(path)
            ) from None
        finally:
            # drop every frame and decoder before the container (and its codec context) is closed
            cursor.tail = None
            if decoder is not None:
                decoder.close()
            decoder = None


def _seek_keyframe_before(container, stream, clock: _StreamClock, time_s: float) -> None:
    container.seek(
        int(round(time_s / clock.time_base)) + clock.start_pts,
        stream=stream,
        backward=True,
        any_frame=False,
    )


def _answer_targets(
    decoder, cursor: _TargetCursor, clock: _StreamClock, counters: DecodeCounters
) -> Generator[tuple[int, float, np.ndarray], None, bool]:
    """Yield the frames nearest the cursor's targets out of one decode pass.

    Returns True when the decoder ran out, False when the next target needs a new pass
    (no targets left, a change of keyframe-only mode, or a target far enough to seek to).
    """
    half = clock.half_frame_s
    frame = None
    try:
        for frame in decoder:
            counters.decoded += 1
            if frame.pts is None:
                continue
            t = clock.time_s(frame.pts)
            cursor.pos_s = t
            if t < cursor.time_s - half:
                cursor.tail = (frame, t)
                continue
            cursor.tail = None
            index = int(round(t * clock.fps))
            if index != cursor.last_index:
                counters.converted += 1
                counters.keyframe_only += int(cursor.key_only)
                yield index, t, frame.to_ndarray(format="bgr24")
                cursor.last_index = index
            # this frame answers the target, and any other nearer to it than to the next frame
            was_key_only = cursor.key_only
            cursor.advance()
            while cursor.time_s is not None and cursor.time_s < t + half:
                cursor.advance()
            if (
                cursor.time_s is None
                or cursor.key_only != was_key_only
                or cursor.time_s - t > cursor.jump_s()
            ):
                return False
        return True
    finally:
        frame = None  # a traceback keeps this generator's locals: no frame outlives the container


def _answer_last_target_from_tail(
    cursor: _TargetCursor, clock: _StreamClock, counters: DecodeCounters
) -> Iterator[tuple[int, float, np.ndarray]]:
    """The stream ended just before the target: the last frame answers it if within a frame."""
    half_s = clock.half_frame_s
    tail = cursor.tail
    if cursor.time_s is not None and tail is not None and cursor.time_s - tail[1] <= 2 * half_s:
        index = int(round(tail[1] * clock.fps))
        if index != cursor.last_index:
            counters.converted += 1
            image, t_tail = tail[0].to_ndarray(format="bgr24"), tail[1]
            tail = cursor.tail = None
            yield index, t_tail, image


def iter_every_frame(
    path: str | Path, *, threads: str = "AUTO", thread_count: int = 0
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Every frame as ``(frame_index, time_s, bgr)``: the naive reference (bench/pipeline.py)."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        _configure_decoder(stream, threads, False, thread_count)
        clock = _stream_clock(stream)
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = clock.time_s(frame.pts)
            yield int(round(t * clock.fps)), t, frame.to_ndarray(format="bgr24")


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
