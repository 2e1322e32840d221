"""Decoding only what is needed: keyframe-only targets, chunks that start mid-file, exact frames."""

import numpy as np
import pytest

from geo.ingest.video import (
    DecodeCounters,
    encode_video,
    iter_every_frame,
    iter_frames_at,
    keyframe_times,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """4 s at 30 fps, a keyframe every second, no B-frames; frame i is grey level 2*i (+ texture)."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 40, (96, 160, 1), dtype=np.uint8)
    frames = [
        np.clip(texture + 2 * i, 0, 255).astype(np.uint8).repeat(3, axis=2) for i in range(120)
    ]
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    encode_video(path, frames, fps=30, gop=30, bframes=0, crf=18, scenecut=False)
    return path


def test_keyframe_times_are_read_from_the_packets(clip):
    assert np.allclose(keyframe_times(clip), [0.0, 1.0, 2.0, 3.0])


def test_keyframe_only_targets_decode_only_keyframes(clip):
    counters = DecodeCounters()
    got = list(
        iter_frames_at(clip, [0.0, 1.0, 2.0, 3.0], keyframe_only=[True] * 4, counters=counters)
    )
    assert [i for i, _, _ in got] == [0, 30, 60, 90]
    assert counters.decoded == 4 and counters.keyframe_only == 4
    every = {i: img for i, _, img in iter_every_frame(clip)}
    for i, _, img in got:
        assert np.array_equal(img, every[i])


def test_mixed_keyframe_and_exact_targets_give_the_nearest_frames(clip):
    times = [0.0, 0.5, 1.0, 1.4, 2.0]
    got = list(iter_frames_at(clip, times, keyframe_only=[True, False, True, False, True]))
    assert [i for i, _, _ in got] == [0, 15, 30, 42, 60]
    every = {i: img for i, _, img in iter_every_frame(clip)}
    for i, _, img in got:
        assert np.array_equal(img, every[i])


def test_a_chunk_starting_mid_file_decodes_the_same_pixels(clip):
    whole = {i: img for i, _, img in iter_frames_at(clip, [0.2, 2.5, 2.7, 3.3])}
    counters = DecodeCounters()
    chunk = list(iter_frames_at(clip, [2.5, 2.7, 3.3], seek_threshold_s=1.0, counters=counters))
    assert counters.seeks >= 1 and counters.decoded < 90  # it did not decode from the start
    assert [i for i, _, _ in chunk] == [75, 81, 99]
    for i, _, img in chunk:
        assert np.array_equal(img, whole[i])


@pytest.mark.parametrize("option", [{"skip_nonref": True}, {"skip_loop_filter": True}])
def test_cheaper_decoder_options_still_answer_every_target(clip, option):
    got = list(iter_frames_at(clip, [0.5, 1.5, 2.5], **option))
    assert [i for i, _, _ in got] == [15, 45, 75]  # no B-frames: nothing is non-reference


def test_keyframe_targets_far_apart_seek_past_the_keyframes_between(clip):
    # targets on keyframes 0 s and 3 s: without keyframe_seek_s the keyframes at 1 s and 2 s
    # are decoded and dropped (3 s < the 4 s seek threshold); with it they are skipped by a seek
    every = {i: img for i, _, img in iter_every_frame(clip)}
    runs = {}
    for seek_s in (None, 1.5):
        counters = DecodeCounters()
        got = list(
            iter_frames_at(
                clip, [0.0, 3.0], keyframe_only=[True, True], counters=counters,
                keyframe_seek_s=seek_s,
            )
        )  # fmt: skip
        assert [i for i, _, _ in got] == [0, 90]
        for i, _, img in got:
            assert np.array_equal(img, every[i])
        runs[seek_s] = counters
    assert runs[None].decoded == 4 and runs[None].seeks == 0
    assert runs[1.5].decoded == 2 and runs[1.5].seeks == 1
