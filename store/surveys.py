"""Surveys: one vehicle's run and the source files (by content hash) it came from.

Re-processing the same file content never creates a second survey:
:func:`get_or_create_survey` returns the survey that already holds any of the
given SHA-256 hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError, UsageError
from store.models import SURVEY_STATUSES, Survey, SurveySource

log = logging.getLogger(__name__)


class SourceFile(NamedTuple):
    """A survey input file: ``(path, sha256, kind, bytes)``."""

    path: str
    sha256: str
    kind: str
    bytes: int


def _check_source(src: Sequence[Any]) -> SourceFile:
    path, sha, kind, size = src
    sha = str(sha).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"{path}: sha256 must be 64 hex digits, got {sha!r}")
    return SourceFile(str(path), sha, str(kind), int(size))


def find_survey_by_hash(session: Session, sha256s: Sequence[str]) -> Survey | None:
    """The survey holding any of these content hashes, or None."""
    if not sha256s:
        return None
    stmt = (
        select(Survey)
        .join(SurveySource, SurveySource.survey_id == Survey.id)
        .where(SurveySource.sha256.in_([s.lower() for s in sha256s]))
        .order_by(Survey.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def get_or_create_survey(
    session: Session,
    vehicle_id: str,
    sources: Sequence[Sequence[Any]],
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> tuple[Survey, bool]:
    """The survey for these source files, creating it when none of them is stored yet.

    ``sources`` are ``(path, sha256, kind, bytes)`` tuples (see :class:`SourceFile`).
    Returns ``(survey, created)``. When a stored survey already holds some of
    the hashes, the new ones are attached to it and ``created`` is False.
    """
    files = [_check_source(s) for s in sources]
    if not files:
        raise UsageError("a survey needs at least one source file")
    hashes = [f.sha256 for f in files]
    survey = find_survey_by_hash(session, hashes)
    created = survey is None
    if survey is None:
        survey = Survey(
            vehicle_id=str(vehicle_id), started_at=started_at, ended_at=ended_at, status="pending"
        )
        session.add(survey)
        session.flush()
        known: set[str] = set()
    else:
        known = set(
            session.scalars(select(SurveySource.sha256).where(SurveySource.sha256.in_(hashes)))
        )
        log.info(
            "survey %d already holds %d of these files; not creating another", survey.id, len(known)
        )
    seen: set[str] = set()
    for f in files:
        if f.sha256 in known or f.sha256 in seen:
            continue
        seen.add(f.sha256)
        session.add(
            SurveySource(
                survey_id=survey.id, path=f.path, sha256=f.sha256, kind=f.kind, bytes=f.bytes
            )
        )
    session.flush()
    return survey, created


def set_survey_status(
    session: Session, survey_id: int, status: str, summary: dict[str, Any] | None = None
) -> Survey:
    """Set a survey's status (one of ``SURVEY_STATUSES``) and, when given, its summary."""
    if status not in SURVEY_STATUSES:
        raise UsageError(f"unknown survey status {status!r}; one of {', '.join(SURVEY_STATUSES)}")
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise InputNotFoundError(f"survey {survey_id} not found")
    survey.status = status
    if summary is not None:
        survey.summary = summary
    session.flush()
    return survey


def get_survey(session: Session, survey_id: int) -> Survey | None:
    """One survey by id, or None."""
    return session.get(Survey, survey_id)


def list_surveys(
    session: Session,
    vehicle_id: str | None = None,
    status: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[Survey]:
    """Surveys, newest first."""
    stmt = select(Survey).order_by(Survey.id.desc())
    if vehicle_id is not None:
        stmt = stmt.where(Survey.vehicle_id == vehicle_id)
    if status is not None:
        stmt = stmt.where(Survey.status == status)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def list_survey_sources(session: Session, survey_id: int) -> list[SurveySource]:
    """The source files of a survey, by path."""
    stmt = (
        select(SurveySource).where(SurveySource.survey_id == survey_id).order_by(SurveySource.path)
    )
    return list(session.scalars(stmt))
