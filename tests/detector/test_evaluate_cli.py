"""`roadcam evaluate --tune-conf [--imgsz-grid ...]` on a tiny dataset of real Roboflow valid/test images."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.cli import main


@pytest.fixture()
def tiny(tmp_path, repo_root, shared_data):
    weights_src = repo_root / "detector" / "weights"
    assert (weights_src / "roadcam.onnx").is_file(), "the committed weights are missing"
    wdir = tmp_path / "w"
    wdir.mkdir()
    for name in ("roadcam.onnx", "roadcam.json"):
        shutil.copy(weights_src / name, wdir / name)
    rf = shared_data / "pothole_roboflow_chitholian"
    ds = tmp_path / "ds"
    lists = {}
    for split, n in (("valid", 6), ("test", 3)):
        (ds / "images" / split).mkdir(parents=True)
        (ds / "labels" / split).mkdir(parents=True)
        for img in sorted((rf / split / "images").glob("*.jpg"))[:n]:
            shutil.copy(img, ds / "images" / split / f"roboflow__{img.name}")
            shutil.copy(
                rf / split / "labels" / f"{img.stem}.txt",
                ds / "labels" / split / f"roboflow__{img.stem}.txt",
            )
            lists.setdefault(split, []).append(str(ds / "images" / split / f"roboflow__{img.name}"))
    # a rendered valid frame must not take part in choosing the threshold: an unreadable one would raise
    (ds / "images" / "valid" / "rendered__0001.jpg").write_bytes(b"not an image")
    (ds / "test_roboflow.txt").write_text("\n".join(lists["test"]) + "\n")
    return wdir / "roadcam.onnx", ds


def test_tune_conf_and_imgsz_on_valid_writes_the_card(tiny, tmp_path):
    weights, ds = tiny
    out = tmp_path / "eval.json"
    rc = main(
        [
            "evaluate",
            "--dataset",
            str(ds),
            "--weights",
            str(weights),
            "--backend",
            "onnxruntime",
            "--tune-conf",
            "--imgsz-grid",
            "256",
            "320",
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    card = json.loads(weights.with_suffix(".json").read_text())
    tried = card["imgsz_selected_from"]
    assert set(tried) == {"256", "320"}
    assert card["imgsz"] in (256, 320)
    assert tried[str(card["imgsz"])] == max(tried.values()) == card["valid_pothole_f1"]
    assert "6 images" in card["conf_selected_on"]
    assert 0.05 <= card["conf_threshold"] <= 0.8
    report = json.loads(out.read_text())
    assert report["imgsz"] == card["imgsz"] and report["conf_threshold"] == card["conf_threshold"]
    assert report["sources"]["roboflow"]["images"] == 3


def test_imgsz_grid_must_be_multiples_of_32(tiny, capsys):
    weights, ds = tiny
    assert (
        main(
            [
                "evaluate",
                "--dataset",
                str(ds),
                "--weights",
                str(weights),
                "--tune-conf",
                "--imgsz-grid",
                "300",
            ]
        )
        != 0
    )
    assert "multiples of 32" in capsys.readouterr().err


def test_imgsz_grid_needs_tune_conf(tiny, capsys):
    weights, ds = tiny
    assert (
        main(["evaluate", "--dataset", str(ds), "--weights", str(weights), "--imgsz-grid", "320"])
        != 0
    )
    assert "--tune-conf" in capsys.readouterr().err
