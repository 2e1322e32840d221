"""`roadcam dataset export-reviewed`: confirmed findings labelled, rejected ones hard negatives,
undecided frames left out; the dataset recipe's council source reads the folder."""

from __future__ import annotations

import json

from test_review_browser import _seed


def test_export_reviewed_feeds_the_council_source(tmp_path, capsys):
    import yaml

    from detector.dataset import build_dataset
    from pipeline.cli import main
    from store.engine import make_engine, session_scope
    from store.review import review_defect

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ids = _seed(url, tmp_path)
    engine = make_engine(url)
    with session_scope(engine) as s:
        review_defect(s, ids[0], "confirm", "kim", class_name="crack")
        review_defect(s, ids[1], "reject", "kim", reason="false_positive")
    engine.dispose()  # ids[2] stays proposed

    out = tmp_path / "council_frames"
    assert main(["dataset", "export-reviewed", str(out), "--database", url, "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert {k: counts[k] for k in ("frames", "positives", "hard_negatives", "boxes")} == {
        "frames": 2,
        "positives": 1,
        "hard_negatives": 1,
        "boxes": 1,
    }
    labels = {p.name: p.read_text() for p in sorted((out / "labels").iterdir())}
    assert len(labels) == 2 and sorted(p.suffix for p in (out / "images").iterdir()) == [".jpg"] * 2
    # crack (class 1); box 260..380 x 335..385 px in a 640 x 480 frame
    assert sorted(labels.values()) == ["", "1 0.500000 0.750000 0.187500 0.104167\n"]

    recipe = {
        "name": "council-only",
        "classes": ["pothole", "crack", "faded_marking", "skip"],
        "sources": [
            {
                "name": "council",
                "type": "yolo_folder",
                "path": str(out),
                "split": {"train": 85, "valid": 15, "salt": "roadcam"},
            }
        ],
    }
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    data_yaml = build_dataset(tmp_path / "recipe.yaml", tmp_path / "ds")
    manifest = json.loads((data_yaml.parent / "manifest.json").read_text())
    council = manifest["counts"]["council"]
    assert sum(c["images"] for c in council.values()) == 2
    assert sum(c.get("crack", 0) for c in council.values()) == 1
