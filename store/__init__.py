"""SQLAlchemy + GeoAlchemy2 models and repository functions (SpatiaLite and PostGIS).

* :mod:`store.engine` – ``make_engine(url)``, ``session_scope(engine)``, ``check_spatialite()``.
* :mod:`store.migrate` – ``upgrade(url)`` (Alembic, ``roadcam db upgrade``).
* :mod:`store.models` – the tables.
* Repositories, one per resource: :mod:`store.segments`, :mod:`store.surveys`,
  :mod:`store.frames`, :mod:`store.observations`, :mod:`store.defects`,
  :mod:`store.claims`, :mod:`store.permits` (and :mod:`store.hierarchy`).

See docs/database.md. Importing this package does no work.
"""
