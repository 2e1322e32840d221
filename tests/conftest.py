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

from roadcam.settings import shared_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = shared_data_dir()
TEST_DATA = REPO_ROOT / "tests" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)",
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"needs the shared data folder at {SHARED_DATA} (CI has it; a plain clone does not)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def load_bench():
    """A loader of ``bench/<name>.py`` as a module (bench/ is not a package; tests may use it)."""
    import importlib.util

    def load(name: str):
        path = REPO_ROOT / "bench" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    return load


# --------------------------------------------------------------------------------------------
# Database fixtures (owned by the store engineer).
#
# ``db_url``   module-scoped, parametrised over ["spatialite", "postgis"]: the URL of a FRESH,
#              MIGRATED database for this test module (a tmp SQLite file, or a uniquely named
#              PostgreSQL database ``roadcam_t_<pid>_<hex>`` on the server at
#              ROADCAM_TEST_POSTGIS_URL, dropped afterwards). Each is a copy of a per-session
#              migrated template, so it is cheap. Tests using it run once per backend: ids
#              "spatialite" and "postgis" (select one with ``-k spatialite`` / ``-k postgis``).
# ``fresh_db_url`` the same, but function-scoped: an empty migrated database for every test.
# ``empty_db_url`` function-scoped, NOT migrated (no tables; on PostGIS not even the extension):
#              for testing ``store.migrate.upgrade`` / ``roadcam db upgrade`` themselves.
# ``engine``   module-scoped ``store.engine.make_engine(db_url)``, disposed at the end.
# ``session``  function-scoped SQLAlchemy Session on ``engine``; rolled back and closed after the
#              test (call ``session.commit()`` yourself if the test needs committed data; data
#              committed by one test stays visible to later tests of the same module).
#
# PostGIS runs need ROADCAM_TEST_POSTGIS_URL (e.g.
# postgresql+psycopg://postgres@127.0.0.1:54329/roadcam_test, see .ci/postgis). Without a
# reachable server the postgis cases SKIP with the reason, unless ROADCAM_REQUIRE_POSTGIS=1
# (``make test``/CI), where they FAIL.
# --------------------------------------------------------------------------------------------

import secrets  # noqa: E402
import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402

DB_BACKENDS = ["spatialite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _require_postgis() -> bool:
    return os.environ.get("ROADCAM_REQUIRE_POSTGIS") == "1"


def _postgis_admin_url() -> str:
    url = os.environ.get("ROADCAM_TEST_POSTGIS_URL", "").strip()
    if not url:
        reason = "ROADCAM_TEST_POSTGIS_URL is not set (start one: bash .ci/postgis start 54329)"
        if _require_postgis():
            pytest.fail(f"ROADCAM_REQUIRE_POSTGIS=1 but {reason}", pytrace=False)
        pytest.skip(f"PostGIS: {reason}")
    return url


class _PostgisServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self) -> None:
        from sqlalchemy.engine import make_url

        from store.engine import make_engine

        self.admin_url = _postgis_admin_url()
        self.admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
        self._make_url = make_url

    def create(self, template: str | None = None) -> tuple[str, str]:
        from sqlalchemy import text

        name = f"roadcam_t_{os.getpid()}_{secrets.token_hex(4)}"
        tpl = f' TEMPLATE "{template}"' if template else ""
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"{tpl}'))
        except Exception as err:  # unreachable server, bad credentials
            shown = self._make_url(self.admin_url).render_as_string(hide_password=True)
            msg = f"PostGIS server at {shown} unreachable: {str(err).splitlines()[0]}"
            if _require_postgis():
                pytest.fail(f"ROADCAM_REQUIRE_POSTGIS=1 and {msg}", pytrace=False)
            pytest.skip(msg)
        url = (
            self._make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
        )
        return url, name

    def drop(self, name: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _db_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Per-session migrated templates, built on first use: {"spatialite": path, "postgis": (server, name)}."""
    made: dict[str, object] = {}
    yield made
    pg = made.get("postgis")
    if pg is not None:
        server, name = pg  # type: ignore[misc]
        server.drop(name)
        server.admin.dispose()


def _template(
    backend: str, templates: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> object:
    from store.migrate import upgrade

    if backend not in templates:
        if backend == "spatialite":
            path = tmp_path_factory.mktemp("db_template") / "template.sqlite"
            upgrade(f"sqlite:///{path}")
            templates[backend] = path
        else:
            server = _PostgisServer()
            url, name = server.create()
            upgrade(url)  # creates the postgis extension, then the schema (engine disposed after)
            templates[backend] = (server, name)
    return templates[backend]


def _migrated_db(
    backend: str,
    tmp_dir: Path,
    templates: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    tpl = _template(backend, templates, tmp_path_factory)
    if backend == "spatialite":
        path = tmp_dir / "roadcam_test.sqlite"
        shutil.copyfile(tpl, path)  # type: ignore[arg-type]
        yield f"sqlite:///{path}"
        return
    server, tpl_name = tpl  # type: ignore[misc]
    url, name = server.create(template=tpl_name)
    try:
        yield url
    finally:
        server.drop(name)


@pytest.fixture(scope="module", params=DB_BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _db_templates: dict[str, object],
) -> Iterator[str]:
    """URL of a fresh migrated database for this module, once per backend (spatialite, postgis)."""
    yield from _migrated_db(
        request.param, tmp_path_factory.mktemp("db"), _db_templates, tmp_path_factory
    )


@pytest.fixture(params=DB_BACKENDS)
def fresh_db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _db_templates: dict[str, object],
) -> Iterator[str]:
    """Like ``db_url`` but a new empty migrated database for every test."""
    yield from _migrated_db(request.param, tmp_path, _db_templates, tmp_path_factory)


@pytest.fixture(params=DB_BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (not migrated), once per backend."""
    if request.param == "spatialite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    server = _PostgisServer()
    url, name = server.create()
    try:
        yield url
    finally:
        server.drop(name)
        server.admin.dispose()


@pytest.fixture(scope="module")
def engine(db_url: str) -> Iterator[object]:
    """``store.engine.make_engine(db_url)``, disposed after the module."""
    from store.engine import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: object) -> Iterator[object]:
    """A Session on ``engine``; whatever the test did not commit is rolled back."""
    from sqlalchemy.orm import Session

    s = Session(bind=engine, expire_on_commit=False)  # type: ignore[arg-type]
    try:
        yield s
    finally:
        s.rollback()
        s.close()
