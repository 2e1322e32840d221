"""Migrations up from empty on SpatiaLite and PostGIS, and their agreement with the models."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from roadcam.errors import DatabaseError
from store.engine import check_spatialite, make_engine, session_scope
from store.migrate import current_revision, downgrade, head_revision, require_migrated, upgrade
from store.models import Base

ROADCAM_TABLES = {
    "survey",
    "marking_wear_run",
    "survey_source",
    "frame",
    "observation",
    "defect",
    "road_segment",
    "hierarchy_override",
    "repair_claim",
    "skip_permit",
    "app_user",
    "api_token",
    "audit_event",
    "job",
}
GEOM_TABLES = {
    "frame",
    "observation",
    "defect",
    "road_segment",
    "skip_permit",
    "citizen_report",
    "marking_wear_run",
}


def test_check_spatialite_loads():
    version = check_spatialite()
    assert version.split(".")[0] in {"4", "5"}


def test_upgrade_from_empty_creates_every_table(empty_db_url):
    eng = make_engine(empty_db_url)
    try:
        assert current_revision(eng) is None
        assert upgrade(empty_db_url) == head_revision()
        assert current_revision(eng) == head_revision()
        assert ROADCAM_TABLES <= set(inspect(eng).get_table_names())
        require_migrated(eng)
        # a second upgrade is a no-op
        assert upgrade(empty_db_url) == head_revision()
    finally:
        eng.dispose()


def test_geometry_columns_are_4326_with_spatial_index(fresh_db_url):
    eng = make_engine(fresh_db_url)
    try:
        with eng.connect() as conn:
            if eng.dialect.name == "postgresql":
                rows = conn.execute(
                    text("SELECT f_table_name, srid, type FROM geometry_columns")
                ).all()
                found = {r[0]: (r[1], r[2]) for r in rows}
                idx = (
                    conn.execute(
                        text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
                    )
                    .scalars()
                    .all()
                )
                assert GEOM_TABLES <= set(idx)
            else:
                rows = conn.execute(
                    text(
                        "SELECT f_table_name, srid, geometry_type, spatial_index_enabled FROM geometry_columns"
                    )
                ).all()
                found = {r[0]: (r[1], r[2]) for r in rows}
                assert {r[0] for r in rows if r[3] == 1} == GEOM_TABLES
        assert set(found) == GEOM_TABLES
        assert {v[0] for v in found.values()} == {4326}
        kinds = {t: str(v[1]).upper() for t, v in found.items()}
        if eng.dialect.name == "postgresql":
            assert kinds["road_segment"] == "LINESTRING" and kinds["defect"] == "POINT"
        else:  # SpatiaLite codes: 1 point, 2 linestring
            assert kinds["road_segment"] == "2" and kinds["defect"] == "1"
    finally:
        eng.dispose()


def test_migration_matches_models(fresh_db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.migrate import include_object

    eng = make_engine(fresh_db_url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        eng.dispose()


def test_downgrade_to_base_and_up_again(fresh_db_url):
    eng = make_engine(fresh_db_url)
    try:
        assert downgrade(fresh_db_url, "base") is None
        assert not ROADCAM_TABLES & set(inspect(eng).get_table_names())
        assert upgrade(fresh_db_url) == head_revision()
        assert ROADCAM_TABLES <= set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def test_sqlite_parent_directory_is_created(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'x.sqlite'}")
    eng.dispose()
    assert (tmp_path / "sub" / "dir").is_dir()


def test_unmigrated_database_says_run_upgrade(empty_db_url):
    eng = make_engine(empty_db_url)
    try:
        with pytest.raises(DatabaseError, match="roadcam db upgrade"):
            require_migrated(eng)
        from store.segments import count_segments_by_class

        with pytest.raises(DatabaseError, match="not migrated.*roadcam db upgrade"):
            with session_scope(eng) as s:
                count_segments_by_class(s)
    finally:
        eng.dispose()


def test_unreachable_server_is_one_clear_line():
    with pytest.raises(
        DatabaseError, match="cannot connect to postgresql\\+psycopg://postgres@127.0.0.1:1/x"
    ):
        upgrade("postgresql+psycopg://postgres@127.0.0.1:1/x")


def test_bad_spatialite_path_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("ROADCAM_SPATIALITE_PATH", str(tmp_path / "no_such_mod_spatialite"))
    with pytest.raises(DatabaseError, match="libsqlite3-mod-spatialite"):
        check_spatialite()
    with pytest.raises(DatabaseError, match="cannot load SpatiaLite"):
        upgrade(f"sqlite:///{tmp_path / 'x.sqlite'}")


def test_unsupported_url():
    with pytest.raises(DatabaseError, match="unsupported database"):
        make_engine("mysql://u@h/db")


def test_upgrade_0001_to_head_keeps_stored_segments(empty_db_url):
    """A database made by an older release keeps its rows when migrated (road_segment gains hierarchy_reasons)."""
    eng = make_engine(empty_db_url)
    try:
        assert upgrade(empty_db_url, "0001") == "0001"
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO road_segment (id, source_id, name, ref, highway, road_class, oneway, u, v, geom, length_m, updated_at) "
                    "VALUES ('w1-0', '1', 'Canterbury Street', 'B2004', 'secondary', 'B', false, 'a', 'b', "
                    "ST_GeomFromText('LINESTRING(0.548 51.386, 0.5494 51.386)', 4326), 97.5, CURRENT_TIMESTAMP)"
                )
            )
        assert "hierarchy_reasons" not in {
            c["name"] for c in inspect(eng).get_columns("road_segment")
        }
        assert upgrade(empty_db_url) == head_revision()
        cols = {c["name"] for c in inspect(make_engine(empty_db_url)).get_columns("road_segment")}
        assert "hierarchy_reasons" in cols
        with eng.connect() as conn:
            assert conn.execute(
                text("SELECT name, length_m, hierarchy_reasons FROM road_segment")
            ).all() == [("Canterbury Street", 97.5, None)]
    finally:
        eng.dispose()
