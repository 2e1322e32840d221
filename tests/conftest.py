"""Fixtures shared by every test package.

``../shared/data`` holds third-party data used for tests and evaluation. It is
never committed. Tests that need it use the ``shared_data`` fixture (or the
``needs_shared`` mark) and skip with a clear reason where it is absent; CI
always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ROADCAM_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
TEST_DATA = REPO_ROOT / "tests" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)",
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


# --------------------------------------------------------------------------------------------
# Database fixtures (owned by the store engineer).
#
# ``db_url``   module-scoped, parametrised over ["spatialite", "postgis"]: the URL of a FRESH,
#              MIGRATED database for this test module (a tmp SQLite file, or a uniquely named
#              PostgreSQL database ``roadcam_t_<pid>_<hex>`` created on the server at
#              ROADCAM_TEST_POSTGIS_URL with the postgis extension, and dropped afterwards).
#              Every test that uses it runs once per backend: ids "spatialite" and "postgis".
# ``engine``   module-scoped ``store.engine.make_engine(db_url)``, disposed at the end.
# ``session``  function-scoped SQLAlchemy Session on ``engine``; rolled back and closed after the
#              test (call ``session.commit()`` yourself if the test needs committed data; data
#              committed by one test stays visible to later tests of the same module).
# ``fresh_db_url`` function-scoped variant of ``db_url`` for tests that need an empty database.
#
# PostGIS runs need ROADCAM_TEST_POSTGIS_URL (e.g.
# postgresql+psycopg://postgres@127.0.0.1:54329/roadcam_test, see .ci/postgis). Without a
# reachable server the postgis cases SKIP with the reason, unless ROADCAM_REQUIRE_POSTGIS=1
# (``make test``/CI), where they FAIL. To run only one backend: ``-k spatialite`` / ``-k postgis``.
# --------------------------------------------------------------------------------------------

import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402

DB_BACKENDS = ["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _postgis_admin_url() -> str:
    url = os.environ.get("ROADCAM_TEST_POSTGIS_URL", "").strip()
    require = os.environ.get("ROADCAM_REQUIRE_POSTGIS") == "1"
    if not url:
        reason = "ROADCAM_TEST_POSTGIS_URL is not set (start one: bash .ci/postgis start 54329)"
        if require:
            pytest.fail(f"ROADCAM_REQUIRE_POSTGIS=1 but {reason}", pytrace=False)
        pytest.skip(f"PostGIS: {reason}")
    return url


def _create_postgis_db() -> tuple[str, "object", str]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from store.engine import make_engine

    admin_url = _postgis_admin_url()
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    name = f"roadcam_t_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # unreachable server, bad credentials
        admin.dispose()
        msg = f"PostGIS server at {make_url(admin_url).render_as_string(hide_password=True)} unreachable: {str(err).splitlines()[0]}"
        if os.environ.get("ROADCAM_REQUIRE_POSTGIS") == "1":
            pytest.fail(f"ROADCAM_REQUIRE_POSTGIS=1 and {msg}", pytrace=False)
        pytest.skip(msg)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, admin, name


def _drop_postgis_db(admin: "object", name: str) -> None:
    from sqlalchemy import text

    with admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()  # type: ignore[attr-defined]


def _migrated_db(backend: str, tmp_dir: Path) -> Iterator[str]:
    from store.migrate import upgrade

    if backend == "spatialite":
        url = f"sqlite:///{tmp_dir / 'roadcam_test.sqlite'}"
        upgrade(url)
        yield url
        return
    url, admin, name = _create_postgis_db()
    try:
        upgrade(url)  # creates the postgis extension, then the schema
        yield url
    finally:
        _drop_postgis_db(admin, name)


@pytest.fixture(scope="module", params=DB_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh migrated database for this module, once per backend (spatialite, postgis)."""
    yield from _migrated_db(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(params=DB_BACKENDS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url`` but a new empty migrated database for every test."""
    yield from _migrated_db(request.param, tmp_path)


@pytest.fixture(scope="module")
def engine(db_url: str) -> Iterator["object"]:
    """``store.engine.make_engine(db_url)``, disposed after the module."""
    from store.engine import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: "object") -> Iterator["object"]:
    """A Session on ``engine``; whatever the test did not commit is rolled back."""
    from sqlalchemy.orm import Session

    s = Session(bind=engine, expire_on_commit=False)  # type: ignore[arg-type]
    try:
        yield s
    finally:
        s.rollback()
        s.close()
