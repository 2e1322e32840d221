"""The generator itself: a half-second render, and byte-for-byte remaking of the committed side-cars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[2] / "sample_footage"


def test_short_render_has_frames_creation_time_and_same_side_cars(tmp_path: Path):
    import av

    from sample_footage.make_sample import DRIVE1_START, render_drive

    info = render_drive(tmp_path, "drive1", DRIVE1_START, max_seconds=0.5)
    assert info["frames"] == 15
    with av.open(str(tmp_path / "drive1.mp4")) as c:
        s = c.streams.video[0]
        assert c.metadata["creation_time"] == "2026-11-16T09:14:22.000000Z"
        assert s.frames == 15 and (s.width, s.height) == (960, 540)
        first = next(c.decode(s)).to_ndarray(format="bgr24")
    assert first.std() > 10  # not a blank frame
    # side-cars cover the whole drive and are deterministic
    for name in ("drive1.gpx", "drive1.gps"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    rows = (tmp_path / "drive1_frames.csv").read_text().splitlines()
    assert rows[1:11] == (SAMPLE / "drive1_frames.csv").read_text().splitlines()[1:11]


def test_network_and_ground_truth_are_remade_identically(tmp_path: Path):
    from sample_footage.make_sample import drive_specs, write_ground_truth, write_network

    assert write_network(tmp_path).read_bytes() == (SAMPLE / "network.geojson").read_bytes()
    assert (
        write_ground_truth(tmp_path, drive_specs()).read_bytes()
        == (SAMPLE / "ground_truth.geojson").read_bytes()
    )


def test_drive_truth_motion_is_a_refuse_truck():
    from datetime import UTC, datetime

    from sample_footage.layout import GPS_GAP_S, STOPS
    from sample_footage.route import make_drive

    d = make_drive(datetime(2026, 11, 16, 9, 14, 22, tzinfo=UTC), stops=STOPS, gap_s=GPS_GAP_S)
    assert d.n_frames == 4384
    assert 0.0 <= d.speed_mps.min() and d.speed_mps.max() <= 11.0 + 1e-6
    stopped = d.speed_mps < 0.05
    assert stopped.sum() / 30 > 15  # two collection stops (7 s + 8 s) plus the start and the end
    assert np.isnan(d.gps_lon).sum() == 4
    assert np.all(np.diff(d.chainage_m) >= -1e-9)  # never reverses


def test_rendered_frames_are_deterministic():
    from dataclasses import replace

    from sample_footage.layout import drive_scene
    from sample_footage.make_sample import drive_camera
    from sample_footage.render import SUNNY, Pose, Renderer

    cam = replace(drive_camera(), image_width=320, image_height=180)
    scene, route, _meta = drive_scene()
    x, y = route.interpolate(20.0).coords[0]
    pose = Pose(x, y, 270.0)
    a, _ = Renderer(scene).render(cam, pose, SUNNY)
    b, _ = Renderer(drive_scene()[0]).render(cam, pose, SUNNY)
    assert a.shape == (180, 320, 3) and np.array_equal(a, b)
