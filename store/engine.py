"""Engines and sessions for SpatiaLite (embedded) and PostGIS (server).

* ``sqlite:///path/file.sqlite`` opens the file with ``pysqlite3`` (pyenv's
  ``sqlite3`` cannot load extensions) and loads ``mod_spatialite`` into every
  connection. The library is found as ``mod_spatialite`` on the system library
  path, or at ``ROADCAM_SPATIALITE_PATH`` / ``SPATIALITE_LIBRARY_PATH``.
* ``postgresql+psycopg://user@host:port/db`` uses PostGIS (the ``postgis`` extra).

Nothing here runs at import. :func:`session_scope` turns the usual database
failures (server down, schema not migrated) into one-line
:class:`~roadcam.errors.DatabaseError` messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from roadcam.errors import DatabaseError, DependencyError

log = logging.getLogger(__name__)

SPATIALITE_INSTALL_HINT = (
    "install SpatiaLite (Debian/Ubuntu: 'apt-get install libsqlite3-mod-spatialite'; "
    "macOS: 'brew install libspatialite') or set ROADCAM_SPATIALITE_PATH to mod_spatialite"
)
UPGRADE_HINT = "run `roadcam db upgrade`"
READONLY_OPTION = "roadcam_readonly"


def spatialite_library_path() -> str:
    """The SpatiaLite module to load: env override, else ``mod_spatialite`` on the library path."""
    return (
        os.environ.get("ROADCAM_SPATIALITE_PATH")
        or os.environ.get("SPATIALITE_LIBRARY_PATH")
        or "mod_spatialite"
    )


def _sqlite_module() -> Any:
    """``pysqlite3.dbapi2`` where installed, else the stdlib module if it can load extensions."""
    try:
        import pysqlite3.dbapi2 as dbapi  # type: ignore[import-not-found]

        return dbapi
    except ImportError:
        import sqlite3

        if hasattr(sqlite3.Connection, "enable_load_extension"):
            return sqlite3
        raise DependencyError(
            "this Python's sqlite3 cannot load extensions: pip install pysqlite3-binary"
        ) from None


_GEO_WHEELS = ("pyproj", "pyogrio")


def _preload_geo_wheels() -> None:
    """Load the wheels' own PROJ and GDAL before mod_spatialite brings the system's copies.

    mod_spatialite links Debian's libproj (and, through it, libsqlite3). Loaded first,
    its symbols win over those of the PROJ/GDAL that pyproj and pyogrio bundle, and
    the process later dies with heap corruption ("double free or corruption") when
    geopandas builds a CRS or GDAL opens a GeoPackage. Importing the wheels first
    keeps each library bound to its own copy. ``tests/store`` checks it in a subprocess.
    """
    import importlib

    for name in _GEO_WHEELS:
        try:
            importlib.import_module(name)
        except ImportError:  # optional here: only the processing install has them all
            pass


def _load_spatialite(dbapi_conn: Any) -> None:
    """Load mod_spatialite into a raw connection and initialise its metadata (fast, one transaction)."""
    from geoalchemy2.admin.dialects.sqlite import init_spatialite

    _preload_geo_wheels()
    path = spatialite_library_path()
    try:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(path)
        dbapi_conn.enable_load_extension(False)
    except Exception as err:  # the driver raises its own OperationalError type
        raise DatabaseError(
            f"cannot load SpatiaLite ({path}): {err}; {SPATIALITE_INSTALL_HINT}"
        ) from None
    init_spatialite(dbapi_conn, transaction=True)


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    _load_spatialite(dbapi_conn)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 30000")
    # WAL: readers never wait for the writer, and the writer never waits for readers.
    cur.execute("PRAGMA journal_mode = WAL")
    cur.close()
    # Let SQLAlchemy, not the driver, manage transactions (emitting BEGIN in _on_sqlite_begin):
    # DDL then runs inside the migration's transaction (SpatiaLite's RecoverGeometryColumn and
    # CreateSpatialIndex take ~0.3 s each in autocommit, ~10 ms in a transaction) and
    # SAVEPOINTs work. See SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL".
    dbapi_conn.isolation_level = None


def _on_sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE), so concurrent writers queue on the
    # busy timeout. A deferred transaction that reads and then writes gets SQLITE_BUSY at once,
    # without waiting ("database is locked" in milliseconds), when another writer got there first.
    # Sessions opened with ``readonly=True`` (GET requests) stay deferred and never block.
    readonly = conn.get_execution_options().get(READONLY_OPTION, False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _ensure_sqlite_parent(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: ``get_settings().database_url``).

    SQLite URLs get SpatiaLite loaded on every connection and their parent
    directory created. PostgreSQL URLs need the ``postgis`` extra (psycopg).
    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    if url is None:
        from roadcam.settings import get_settings

        url = get_settings().database_url
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise DatabaseError(
            f"not a database URL: {url!r} (use sqlite:///file or postgresql+psycopg://...)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _ensure_sqlite_parent(parsed.database)
        engine = create_engine(parsed, module=_sqlite_module(), **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # JIT compiling costs 50-400 ms a query and roadcam's queries are short (an index
        # lookup, a bbox, one tile): it made a zoom-10 tile at 1M defects 20 % slower.
        kwargs.setdefault("connect_args", {"options": "-c jit=off"})
        try:
            return create_engine(parsed, **{"pool_pre_ping": True, **kwargs})
        except ImportError as err:
            raise DependencyError(
                f"PostGIS needs the postgis extra ({err}): pip install 'roadcam[postgis]'"
            ) from None
    raise DatabaseError(
        f"unsupported database {backend!r}: use sqlite:///file or postgresql+psycopg://..."
    )


def display_url(engine_or_url: Engine | str) -> str:
    """The URL with any password hidden, for messages."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


def is_postgres(bind: Any) -> bool:
    """True when ``bind`` (engine, connection or session) talks to PostgreSQL."""
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return bind.dialect.name == "postgresql"


def check_spatialite() -> str:
    """Load SpatiaLite into an in-memory database; return its version or raise DatabaseError."""
    dbapi = _sqlite_module()
    _preload_geo_wheels()
    conn = dbapi.connect(":memory:")
    try:
        path = spatialite_library_path()
        try:
            conn.enable_load_extension(True)
            conn.load_extension(path)
        except Exception as err:
            raise DatabaseError(
                f"cannot load SpatiaLite ({path}): {err}; {SPATIALITE_INSTALL_HINT}"
            ) from None
        return str(conn.execute("SELECT spatialite_version()").fetchone()[0])
    finally:
        conn.close()


def translate_error(err: Exception, engine: Engine | None = None) -> DatabaseError | None:
    """A one-line DatabaseError for a known SQLAlchemy failure, or None to re-raise it as is."""
    where = display_url(engine) if engine is not None else "the database"
    text = (
        str(getattr(err, "orig", err)).strip().splitlines()[0] if str(err) else type(err).__name__
    )
    low = text.lower()
    if isinstance(err, sa_exc.InterfaceError) or (
        isinstance(err, sa_exc.OperationalError)
        and any(
            s in low
            for s in (
                "connection refused",
                "could not connect",
                "connection failed",
                "timeout expired",
                "name or service not known",
                "unable to open database",
            )
        )
    ):
        return DatabaseError(f"cannot connect to {where}: {text}")
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return DatabaseError(f"{where} is not migrated ({text}): {UPGRADE_HINT}")
    if isinstance(err, sa_exc.OperationalError) and "database" in low and "does not exist" in low:
        return DatabaseError(f"cannot connect to {where}: {text}")
    return None


@contextmanager
def session_scope(engine: Engine, readonly: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back (only its own work) on any error.

    Connection failures and missing tables become :class:`DatabaseError` with a
    hint; other errors propagate unchanged after the rollback. On SpatiaLite a
    session takes the write lock when it begins (writers queue, up to the 30 s busy
    timeout) unless ``readonly`` is set.
    """
    bind = engine.execution_options(**{READONLY_OPTION: True}) if readonly else engine
    session = sessionmaker(bind=bind, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except sa_exc.DBAPIError as err:
        session.rollback()
        mapped = translate_error(err, engine)
        if mapped is not None:
            raise mapped from err
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def table_names(engine: Engine) -> list[str]:
    """Tables in the database (for checks and tests)."""
    return sorted(inspect(engine).get_table_names())
