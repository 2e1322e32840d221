"""The merge lock: one batch at a time folds its sightings into the stored defects.

Two ``roadcam process`` runs may overlap in time on one database. Each computes its
footage independently, but the store step of an item (find or create the survey,
store frames and observations, read the stored defects nearby, merge, write) must
not interleave with another's: both would read the same stored defects and both
add their sightings (the same footage twice doubled every ``sightings``), or both
would create a new defect for the same pothole.

:func:`merge_session_scope` is a session whose whole transaction holds the
database's one merge lock:

* PostGIS: ``pg_advisory_xact_lock(MERGE_LOCK_KEY)``, released at commit or rollback
  (also when the process is killed: the server ends the transaction).
* SpatiaLite: ``BEGIN IMMEDIATE`` (the write lock taken before the first read); a
  second writer waits up to the connection's ``busy_timeout`` (30 s).

API reads never take it. Inside the lock the caller re-checks what it decided
before (e.g. "this footage is not stored yet"), so the result is that of running
the store steps one after another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from store.engine import session_scope

#: The advisory lock key of the merge step (any fixed bigint; 'roadcam' in ASCII).
MERGE_LOCK_KEY = 0x726F616463616D


@contextmanager
def merge_session_scope(engine: Engine) -> Iterator[Session]:
    """A :func:`~store.engine.session_scope` holding the merge lock until it commits or rolls back."""
    if engine.dialect.name == "sqlite":
        with session_scope(engine) as s:  # writers BEGIN IMMEDIATE (store.engine)
            s.connection()  # take the write lock now: waits for any other writer
            yield s
        return
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MERGE_LOCK_KEY})
        yield session
