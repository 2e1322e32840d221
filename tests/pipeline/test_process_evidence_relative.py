"""`roadcam process` stores evidence frames relative to the data folder, and the API still
serves them after the folder has moved (the sample drive, with the rendered truth as detections)."""

import shutil

import pytest
from fastapi.testclient import TestClient
from sample_oracle import SAMPLE, process_with_oracle

from pipeline.cli import main
from roadcam.settings import Settings, get_settings

pytestmark = pytest.mark.slow


def test_evidence_refs_are_relative_and_survive_a_move(tmp_path, monkeypatch):
    from api.main import create_app
    from store.defects import list_defects
    from store.engine import make_engine, session_scope
    from store.models import Frame

    data = tmp_path / "var"
    data.mkdir()
    monkeypatch.setenv("ROADCAM_DATA_DIR", str(data))
    get_settings.cache_clear()
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    try:
        assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
        # process_with_oracle saves frames under DIR/frames: here DIR is the data folder
        assert process_with_oracle([SAMPLE / "drive1.mp4"], db, data) == 0
    finally:
        get_settings.cache_clear()
    engine = make_engine(db)
    with session_scope(engine) as s:
        refs = [r for (r,) in s.query(Frame.image_ref).filter(Frame.image_ref.is_not(None))]
        with_image = [d.id for d in list_defects(s, limit=None) if d.best_frame_ref]
    engine.dispose()
    assert refs and all(r.startswith("frames/drive1/") and r.endswith(".jpg") for r in refs)
    moved = tmp_path / "moved"
    shutil.move(str(data), str(moved))
    with TestClient(
        create_app(Settings(database_url=db, data_dir=moved, public_reads=True))
    ) as client:
        r = client.get(f"/defects/{with_image[0]}/image")
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
