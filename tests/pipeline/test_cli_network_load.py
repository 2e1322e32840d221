"""``roadcam network load`` through pipeline.cli.main, on both databases."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main


def test_load_leeds_twice(shared_data, fresh_db_url, capsys):
    pbf = str(shared_data / "osm_leeds_its_example/its-example.osm.pbf")
    assert main(["network", "load", pbf, "--json", "--database", fresh_db_url]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["segments"], first["inserted"], first["updated"]) == (136, 136, 0)
    assert first["total_km"] == pytest.approx(6.933, abs=0.001)
    assert first["by_road_class"]["A"] == {"count": 18, "km": pytest.approx(0.951, abs=0.001)}
    assert first["crs"] == "EPSG:27700"
    assert main(["network", "load", pbf, "--json", "--database", fresh_db_url]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["inserted"], again["updated"]) == (0, 136)
    from store.engine import make_engine, session_scope
    from store.segments import count_segments_by_class

    eng = make_engine(fresh_db_url)
    try:
        with session_scope(eng) as s:
            assert sum(count_segments_by_class(s).values()) == 136
    finally:
        eng.dispose()


def test_load_migrates_fresh_sqlite(shared_data, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    osm = str(shared_data / "osm_uk_osm2streets_snippets/tests/src/service_road_loop/input.osm")
    assert main(["network", "load", osm, "--database", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("14 segments, 0.901 km (EPSG:27700): 14 inserted, 0 updated")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [("missing.pbf", None, 11), ("bad.pbf", b"\x00\x01garbage" * 40, 13), ("roads.xyz", b"x", 12)],
)
def test_load_errors_one_line(tmp_path, capsys, name, content, code):
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert main(["network", "load", str(p), "--database", url]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("roadcam: error: ") and "Traceback" not in err[0]
