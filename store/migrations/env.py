"""Alembic environment for roadcam: SpatiaLite and PostGIS through GeoAlchemy2's helpers.

The engine comes from ``store.migrate`` (``config.attributes['engine']``);
run through ``roadcam db upgrade``, never a bare ``alembic`` command.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from store.engine import make_engine
from store.migrate import include_object
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(
        config.get_main_option("sqlalchemy.url") or None
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
            render_as_batch=connection.dialect.name == "sqlite",
            transactional_ddl=True,  # one transaction on SQLite too: all or nothing, and fast
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("roadcam migrations run online only: use `roadcam db upgrade`")
run_migrations_online()
