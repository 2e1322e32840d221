"""The audit trail: an append-only table of decisions and changes (who, when, what, from, to, note).

Every store function that changes a finding, a claim, a permit or a hierarchy
category calls :func:`record_event` in the same transaction as the change, so
the change and its record commit together or not at all. Nothing updates or
deletes an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AuditEvent, utcnow

#: Resources with a history; ``GET /{resource}/{id}/history`` reads them.
AUDITED_RESOURCES = ("defect", "repair_claim", "skip_permit", "segment")
MAX_TEXT = 4000


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_TEXT]


def record_event(
    session: Session,
    resource: str,
    resource_id: Any,
    action: str,
    actor: str,
    from_value: Any = None,
    to_value: Any = None,
    note: str | None = None,
) -> AuditEvent:
    """Append one event (flushed, committed with the caller's transaction)."""
    event = AuditEvent(
        resource=resource,
        resource_id=str(resource_id),
        action=action,
        actor=(actor or "unknown")[:100],
        at=utcnow(),
        from_value=_text(from_value),
        to_value=_text(to_value),
        note=_text(note),
    )
    session.add(event)
    session.flush()
    return event


def history(
    session: Session, resource: str, resource_id: Any, limit: int = 500, offset: int = 0
) -> list[AuditEvent]:
    """Events of one resource, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.resource == resource, AuditEvent.resource_id == str(resource_id))
        .order_by(AuditEvent.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))
