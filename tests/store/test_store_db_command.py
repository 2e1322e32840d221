"""`roadcam db upgrade` / `roadcam db current` through the real CLI entry point."""

from __future__ import annotations

import json

from pipeline.cli import main


def test_db_upgrade_then_current(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'var' / 'roadcam.sqlite'}"
    assert main(["db", "current", "--database", url]) == 20  # not migrated yet
    assert "needs `roadcam db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database", url]) == 0
    assert "schema at revision 0006 (head) on spatialite" in capsys.readouterr().out
    assert main(["db", "current", "--json", "--database", url]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "database": url,
        "backend": "spatialite",
        "revision": "0006",
        "head": "0006",
        "up_to_date": True,
    }


def test_db_upgrade_uses_roadcam_database_url(tmp_path, monkeypatch, capsys):
    from roadcam.settings import get_settings

    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("ROADCAM_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["database"] == url
    finally:
        get_settings.cache_clear()


def test_db_upgrade_on_postgis(db_url, capsys):
    # db_url is already migrated: upgrade again is a no-op that reports head on either backend
    assert main(["db", "upgrade", "--json", "--database", db_url]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["revision"] == "0006" and info["up_to_date"] is True
    assert info["backend"] == ("postgis" if db_url.startswith("postgresql") else "spatialite")


def test_unreachable_database_is_one_line(capsys):
    code = main(
        ["db", "upgrade", "--database", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 20
    assert len(err) == 1 and err[0].startswith(
        "roadcam: error: cannot connect to postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
