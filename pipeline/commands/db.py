"""``roadcam db upgrade`` and ``roadcam db current``: the database schema (Alembic, run in code)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``db`` command group."""
    db = subparsers.add_parser("db", help="database schema: upgrade, current")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    sub.required = True
    for name, func, help_ in (
        ("upgrade", cmd_upgrade, "create or migrate the database to the newest schema"),
        ("current", cmd_current, "show the schema revision of the database"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument(
            "--database",
            metavar="URL",
            default=None,
            help="SQLAlchemy URL (default: ROADCAM_DATABASE_URL, else var/roadcam.sqlite)",
        )
        p.add_argument("--json", action="store_true", help="print a JSON summary")
        p.set_defaults(func=func)


def _summary(url: str | None) -> dict[str, Any]:
    from store.engine import display_url, make_engine
    from store.migrate import current_revision, head_revision

    engine = make_engine(url)
    try:
        from sqlalchemy import exc as sa_exc

        from roadcam.errors import DatabaseError
        from store.engine import translate_error

        try:
            current = current_revision(engine)
        except sa_exc.DBAPIError as err:
            raise translate_error(err, engine) or DatabaseError(
                f"{display_url(engine)}: {err}"
            ) from None
        return {
            "database": display_url(engine),
            "backend": "postgis" if engine.dialect.name == "postgresql" else "spatialite",
            "revision": current,
            "head": head_revision(),
            "up_to_date": current == head_revision(),
        }
    finally:
        engine.dispose()


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database to head and report where it is."""
    from store.migrate import upgrade

    upgrade(args.database)
    info = _summary(args.database)
    if args.json:
        from pipeline.cli import print_json

        print_json(info)
    else:
        print(
            f"{info['database']}: schema at revision {info['revision']} (head) on {info['backend']}"
        )
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    """Print the revision; exit non-zero (DatabaseError's code) when not at head."""
    info = _summary(args.database)
    if args.json:
        from pipeline.cli import print_json

        print_json(info)
    else:
        state = "up to date" if info["up_to_date"] else "needs `roadcam db upgrade`"
        print(
            f"{info['database']}: revision {info['revision'] or 'none'}, head {info['head']} ({state})"
        )
    if not info["up_to_date"]:
        from roadcam.errors import DatabaseError

        return DatabaseError.exit_code
    return 0
