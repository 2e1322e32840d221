"""Finding footage and its GPS in what an operator points at."""

from pathlib import Path

import pytest

from pipeline.discover import FootageItem, discover_footage, sha256_of_file
from roadcam.errors import InputNotFoundError, UnsupportedFormatError


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_videos_pair_with_same_stem_sidecars(tmp_path):
    touch(tmp_path / "day1" / "a.mp4")
    touch(tmp_path / "day1" / "a.gpx")
    touch(tmp_path / "day1" / "b.MP4")
    touch(tmp_path / "day1" / "b.gps")
    touch(tmp_path / "day1" / "c.mp4")  # GoPro: GPS inside
    touch(tmp_path / "day1" / "20170709_081815_NF.mp4")  # BlackVue front camera
    touch(tmp_path / "day1" / "20170709_081815_N.gps")
    touch(tmp_path / "day1" / "network.geojson")
    touch(tmp_path / "day1" / "README.md")
    items = discover_footage([tmp_path])
    assert [(i.path.name, i.gps_path.name if i.gps_path else None) for i in items] == [
        ("20170709_081815_NF.mp4", "20170709_081815_N.gps"),
        ("a.mp4", "a.gpx"),
        ("b.MP4", "b.gps"),
        ("c.mp4", None),
    ]
    assert {i.vehicle_id for i in items} == {"day1"}
    assert items[1].files == [tmp_path / "day1" / "a.mp4", tmp_path / "day1" / "a.gpx"]


def test_folder_of_jpegs_is_one_image_survey(tmp_path):
    touch(tmp_path / "phone" / "1.jpg")
    touch(tmp_path / "phone" / "2.JPG")
    items = discover_footage([tmp_path / "phone"], vehicle_id="van7")
    assert items == [FootageItem("images", tmp_path / "phone", None, "van7")]
    assert [p.name for p in items[0].files] == ["1.jpg", "2.JPG"]


def test_same_file_named_twice_is_one_item(tmp_path):
    v = touch(tmp_path / "a.mp4")
    assert len(discover_footage([v, tmp_path])) == 1


def test_bad_paths_are_clear_errors(tmp_path):
    with pytest.raises(InputNotFoundError, match="no such file"):
        discover_footage([tmp_path / "missing.mp4"])
    with pytest.raises(UnsupportedFormatError, match="not footage"):
        discover_footage([touch(tmp_path / "notes.txt")])


def test_sha256_streams_the_file(tmp_path):
    p = touch(tmp_path / "f.bin", b"abc")
    assert (
        sha256_of_file(p, chunk_bytes=1)
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_camera_config_beside_the_footage_is_used(tmp_path):
    from pipeline.compute import ComputeOptions, camera_config_for

    video = touch(tmp_path / "a.mp4")
    item = FootageItem("video", video)
    assert camera_config_for(item, ComputeOptions()) is None
    cfg = touch(tmp_path / "camera.yaml")
    assert camera_config_for(item, ComputeOptions()) == cfg
    other = tmp_path / "fleet.yaml"
    assert camera_config_for(item, ComputeOptions(camera_config=other)) == other
