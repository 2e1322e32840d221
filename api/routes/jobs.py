"""Background jobs: poll one, or list the latest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api.auth import Engineer
from api.deps import MAX_ID, OffsetQuery, SessionDep
from api.schemas.auth import JobList, JobPublic

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=JobList)
def list_jobs(
    session: SessionDep,
    _: Engineer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: OffsetQuery = 0,
) -> JobList:
    """The latest jobs, newest first."""
    from store.jobs import list_jobs as query

    rows = query(session, limit=limit, offset=offset)
    return JobList(jobs=[JobPublic.model_validate(j) for j in rows], count=len(rows))


@router.get("/{job_id}", response_model=JobPublic)
def get_job(
    job_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, _: Engineer
) -> JobPublic:
    """One job's state; ``result`` holds the review's answer once ``status`` is ``done``."""
    from store.jobs import get_job as fetch

    job = fetch(session, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no job {job_id}")
    return JobPublic.model_validate(job)
