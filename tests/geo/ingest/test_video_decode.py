"""PyAV reading: metadata, decoding only the asked frames (with seeks), bad files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest

from geo.ingest.video import (
    DecodeCounters,
    encode_video,
    iter_frames_at,
    probe_video,
    start_time_from_name,
)
from roadcam.errors import CorruptInputError, InputNotFoundError

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """12 s at 25 fps, 1 s GOP, every frame different."""
    rng = np.random.default_rng(2)
    base = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)

    def frames():
        for i in range(300):
            img = np.roll(base, i, axis=1)
            img[:16, :16] = i % 250
            yield img

    return encode_video(tmp_path_factory.mktemp("v") / "clip.mp4", frames(), fps=25, gop=25,
                        creation_time=T0, preset="ultrafast", bframes=2)  # fmt: skip


@pytest.fixture(scope="module")
def all_frames(clip) -> list[np.ndarray]:
    with av.open(str(clip)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def test_probe(clip):
    info = probe_video(clip)
    assert (info.width, info.height, info.fps, info.frame_count) == (128, 96, 25.0, 300)
    assert (
        info.duration_s == pytest.approx(12.0) and info.codec == "h264" and info.creation_time == T0
    )


def test_nearest_frames_sequential(clip, all_frames):
    c = DecodeCounters()
    got = list(
        iter_frames_at(clip, [0.0, 0.39, 0.41, 0.41, 2.0, 11.99], counters=c, seek_threshold_s=100)
    )
    assert [i for i, _, _ in got] == [0, 10, 50, 299]
    for i, t, img in got:
        assert t == pytest.approx(i / 25) and np.array_equal(img, all_frames[i])
    assert c.seeks == 0 and c.converted == 4 and c.decoded == 300


def test_seeking_skips_decoding(clip, all_frames):
    c = DecodeCounters()
    got = list(iter_frames_at(clip, [0.5, 6.2, 11.0], counters=c, seek_threshold_s=2.0))
    assert [i for i, _, _ in got] == [12, 155, 275]
    assert all(np.array_equal(img, all_frames[i]) for i, _, img in got)
    assert c.seeks == 2 and c.decoded < 120  # keyframe at 6.0 s and 11.0 s, not 275 frames


def test_targets_after_the_end_are_ignored(clip):
    assert [i for i, _, _ in iter_frames_at(clip, [11.96, 12.5, 40.0])] == [299]


def test_missing_and_garbage(tmp_path):
    with pytest.raises(InputNotFoundError):
        probe_video(tmp_path / "none.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(CorruptInputError, match="empty.mp4: empty video file"):
        probe_video(tmp_path / "empty.mp4")
    (tmp_path / "text.mp4").write_text("not a video at all\n" * 50)
    with pytest.raises(CorruptInputError, match="text.mp4: "):
        probe_video(tmp_path / "text.mp4")


def test_truncated(clip, tmp_path):
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(clip.read_bytes()[: clip.stat().st_size * 2 // 3])
    with pytest.raises(CorruptInputError) as info:
        probe_video(bad)
    assert str(info.value).startswith(f"{bad}: cannot read video") and "\n" not in str(info.value)


def test_dashcam_name_start():
    assert start_time_from_name("20170708_221449_NF.mp4") == datetime(
        2017, 7, 8, 22, 14, 49, tzinfo=UTC
    )
    assert start_time_from_name("GOPR0001.MP4") is None
