"""The map's JavaScript comes from npm: without it / says how to install it; evidence images are
served from refs relative to the data folder."""

import pytest
from fastapi.testclient import TestClient

from roadcam.settings import Settings


def test_map_page_explains_a_missing_npm_install(fresh_db_url, tmp_path, monkeypatch, caplog):
    from api.main import create_app
    from api.routes import web

    with TestClient(create_app(Settings(database_url=fresh_db_url, data_dir=tmp_path))) as client:
        ok = client.get("/")
        if web.LEAFLET_JS.is_file():
            assert ok.status_code == 200 and "node_modules/leaflet/dist/leaflet.js" in ok.text
        monkeypatch.setattr(web, "LEAFLET_JS", tmp_path / "no" / "leaflet.js")
        r = client.get("/")
    assert r.status_code == 503
    assert "npm ci" in r.text and "make web" in r.text
    assert any("npm ci" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("tile_url", ["", "https://tiles.example/{z}/{x}/{y}.png"])
def test_map_config_gives_the_optional_base_map(fresh_db_url, tmp_path, tile_url):
    from api.main import create_app

    settings = Settings(database_url=fresh_db_url, data_dir=tmp_path, map_tile_url=tile_url)
    with TestClient(create_app(settings)) as client:
        cfg = client.get("/map/config").json()
    assert cfg["tile_url"] == (tile_url or None)


def test_evidence_image_from_a_relative_ref_after_the_data_folder_moved(fresh_db_url, tmp_path):
    from api.main import create_app
    from store.engine import make_engine, session_scope
    from store.models import Defect
    from tests.api._export_seed import seed

    engine = make_engine(fresh_db_url)
    with session_scope(engine) as s:
        ids = seed(s)
        s.get(Defect, ids["pothole"]).best_frame_ref = "frames/drive1/000003.jpg"
    engine.dispose()
    moved = tmp_path / "moved-data"
    (moved / "frames" / "drive1").mkdir(parents=True)
    (moved / "frames" / "drive1" / "000003.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    with TestClient(
        create_app(Settings(database_url=fresh_db_url, data_dir=moved, public_reads=True))
    ) as client:
        r = client.get(f"/defects/{ids['pothole']}/image")
        assert r.status_code == 200 and r.content.startswith(b"\xff\xd8")
        assert client.get(f"/defects/{ids['crack']}/image").status_code == 404
