"""Background jobs: a row per long task, so a request can start it and the caller can poll.

queued -> running -> done (``result``) or failed (``error``). The API runs them in a
worker thread (``api.jobs``); any process can read their state from the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import InputNotFoundError
from store.models import Job, utcnow


def create_job(session: Session, kind: str, created_by: str, params: dict[str, Any] | None) -> Job:
    job = Job(kind=kind, status="queued", created_by=created_by, created_at=utcnow(), params=params)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def list_jobs(session: Session, limit: int = 100, offset: int = 0) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.id.desc()).offset(offset).limit(limit)))


def _job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise InputNotFoundError(f"job {job_id} not found")
    return job


def start_job(session: Session, job_id: int) -> Job:
    job = _job(session, job_id)
    job.status, job.started_at = "running", utcnow()
    session.flush()
    return job


def finish_job(session: Session, job_id: int, result: dict[str, Any]) -> Job:
    job = _job(session, job_id)
    job.status, job.finished_at, job.result = "done", utcnow(), result
    session.flush()
    return job


def fail_job(session: Session, job_id: int, error: str) -> Job:
    job = _job(session, job_id)
    job.status, job.finished_at, job.error = "failed", utcnow(), error[:4000]
    session.flush()
    return job
