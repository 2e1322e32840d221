"""Evidence paths are stored relative to the data folder; migration 0008 converts old absolute ones."""

from datetime import UTC, datetime

from sqlalchemy import text

from store.engine import make_engine
from store.evidence_paths import path_from_ref, ref_from_path
from store.migrate import upgrade


def test_ref_is_relative_under_the_data_dir_and_resolves_after_a_move(tmp_path):
    data = tmp_path / "var"
    img = data / "frames" / "drive1" / "000012.jpg"
    img.parent.mkdir(parents=True)
    img.write_bytes(b"\xff\xd8jpeg")
    ref = ref_from_path(img, data)
    assert ref == "frames/drive1/000012.jpg"
    assert path_from_ref(ref, data) == img.resolve()
    moved = tmp_path / "elsewhere"
    data.rename(moved)
    assert path_from_ref(ref, moved) == (moved / ref).resolve()
    outside = tmp_path / "other.jpg"
    outside.write_bytes(b"x")
    assert ref_from_path(outside, moved) == str(outside.resolve())
    assert path_from_ref(str(outside), moved) is None  # never served from outside the data dir
    assert path_from_ref("../other.jpg", moved) is None
    assert path_from_ref("drive1.mp4#12", moved) is None


def test_migration_0008_makes_stored_absolute_paths_relative(empty_db_url, tmp_path, monkeypatch):
    from roadcam.settings import get_settings

    data = tmp_path / "data"
    monkeypatch.setenv("ROADCAM_DATA_DIR", str(data))
    get_settings.cache_clear()
    try:
        upgrade(empty_db_url, revision="0002")
        engine = make_engine(empty_db_url)
        now = datetime(2026, 11, 2, tzinfo=UTC).replace(tzinfo=None)
        inside, outside = f"{data}/frames/a/000001.jpg", "/mnt/archive/000002.jpg"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO survey (id, vehicle_id, status, created_at) "
                    "VALUES (1, 'truck', 'done', :t)"
                ),
                {"t": now},
            )
            for i, ref in enumerate([inside, outside, "a.mp4#3"], start=1):
                conn.execute(
                    text(
                        "INSERT INTO frame (id, survey_id, source, frame_index, video_time_s, time,"
                        " geom, image_ref, usable) VALUES (:i, 1, 'a.mp4', :i, 0, :t,"
                        " ST_GeomFromText('POINT(0.55 51.38)', 4326), :r, :u)"
                    ),
                    {"i": i, "t": now, "r": ref, "u": True},
                )
        upgrade(empty_db_url)
        with engine.connect() as conn:
            refs = conn.execute(text("SELECT image_ref FROM frame ORDER BY id")).scalars().all()
        engine.dispose()
    finally:
        get_settings.cache_clear()
    assert refs == ["frames/a/000001.jpg", outside, "a.mp4#3"]
