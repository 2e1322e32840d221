"""Run long tasks off the request: one worker thread per API process, state in the ``job`` table.

A route creates the job row (committed with the request), answers 202 with the job, and
hands the work to :func:`submit_after_response` through FastAPI's background tasks, which
run after the response is sent, so after the commit. One worker at a time keeps a large
hierarchy review (1.6 GB at 1M defects) from running twice at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI

log = logging.getLogger(__name__)


def start_pool(app: FastAPI) -> None:
    app.state.job_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roadcam-job")


def stop_pool(app: FastAPI) -> None:
    pool = getattr(app.state, "job_pool", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def submit_after_response(app: FastAPI, job_id: int, work: Callable[[], dict]) -> None:
    """Queue ``work() -> result dict`` for job ``job_id`` (call from a background task)."""
    app.state.job_pool.submit(run_job, app.state.engine, job_id, work)


def run_job(engine: Any, job_id: int, work: Callable[[], dict]) -> None:
    """Mark the job running, do the work (it opens its own sessions), record the result or error."""
    from store.engine import session_scope
    from store.jobs import fail_job, finish_job, start_job

    with session_scope(engine) as session:
        start_job(session, job_id)
    try:
        result = work()
        with session_scope(engine) as session:
            finish_job(session, job_id, result)
    except Exception as err:  # noqa: BLE001 - a failed job records why; the worker goes on
        log.exception("job %d failed", job_id)
        detail = getattr(err, "detail", None) or str(err)
        with session_scope(engine) as session:
            fail_job(session, job_id, f"{type(err).__name__}: {detail}")
