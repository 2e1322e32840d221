"""Alembic migrations, run from code: no ``alembic.ini`` needed.

``upgrade(url)`` brings a database to the newest schema (``roadcam db upgrade``);
``current_revision(engine)`` tells where it is. The scripts live in
``store/migrations`` and ship inside the package.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from roadcam.errors import DatabaseError
from store.engine import UPGRADE_HINT, display_url, make_engine, session_scope, translate_error

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None):  # -> alembic.config.Config
    """An Alembic ``Config`` pointing at ``store/migrations``; ``engine`` is handed to env.py."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def include_object(obj, name, obj_type, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Alembic autogenerate filter: only roadcam's tables, never SpatiaLite/PostGIS internals."""
    from geoalchemy2 import alembic_helpers

    if obj_type == "table" and reflected and compare_to is None:
        return False  # spatial_ref_sys, geometry_columns, idx_* R*Trees, tiger/topology …
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)


def head_revision() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _ensure_postgis(engine: Engine) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        have = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
        if have:
            return
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except Exception as err:
            raise DatabaseError(
                f"PostGIS is not available in this database ({str(err).splitlines()[0]}); "
                "install postgresql-15-postgis-3 or run 'CREATE EXTENSION postgis' as a superuser"
            ) from None


def upgrade(url: str | None = None, revision: str = "head", engine: Engine | None = None) -> str:
    """Migrate the database at ``url`` (default: settings) to ``revision``; return the new revision."""
    from alembic import command
    from sqlalchemy import exc as sa_exc

    own = engine is None
    engine = engine or make_engine(url)
    try:
        before = current_revision(engine)
        if engine.dialect.name == "postgresql":
            _ensure_postgis(engine)
        command.upgrade(alembic_config(engine), revision)
        after = current_revision(engine)
    except sa_exc.DBAPIError as err:
        raise translate_error(err, engine) or DatabaseError(
            f"migration of {display_url(engine)} failed: {str(err.orig).splitlines()[0]}"
        ) from err
    finally:
        if own:
            engine.dispose()
    log.info("database %s: %s -> %s", display_url(engine), before or "empty", after)
    assert after is not None
    return after


def downgrade(
    url: str | None = None, revision: str = "base", engine: Engine | None = None
) -> str | None:
    """Migrate down to ``revision`` (``base`` drops every roadcam table)."""
    from alembic import command

    from store.engine import make_engine

    own = engine is None
    engine = engine or make_engine(url)
    try:
        command.downgrade(alembic_config(engine), revision)
        return current_revision(engine)
    finally:
        if own:
            engine.dispose()


def require_migrated(engine: Engine) -> None:
    """Raise DatabaseError unless the schema is at the newest migration."""
    try:
        current = current_revision(engine)
    except sa_exc.DBAPIError as err:
        raise translate_error(err, engine) or DatabaseError(
            f"{display_url(engine)}: {err}"
        ) from err
    head = head_revision()
    if current is None:
        raise DatabaseError(f"{display_url(engine)} is not migrated: {UPGRADE_HINT}")
    if current != head:
        raise DatabaseError(
            f"{display_url(engine)} is at revision {current}, code expects {head}: {UPGRADE_HINT}"
        )


@contextmanager
def database_session(url: str | None = None, *, migrate: bool = False) -> Iterator[Session]:
    """One session on a fresh engine for a command: migrate (or insist the schema is current), then dispose.

    For one-shot callers such as CLI commands; long-lived callers keep their engine.
    """
    engine = make_engine(url)
    try:
        if migrate:
            upgrade(engine=engine)
        else:
            require_migrated(engine)
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()
