"""Hierarchy review: POST /hierarchy/review, GET /hierarchy/report, GET /segments/{id}/hierarchy, POST .../hierarchy/override.

Thin routes: the review itself is ``hierarchy.review.review_hierarchy`` on the
stored segments; all SQL is in ``store.hierarchy``. The latest review's files
(segments.csv, summary.md/.html, GeoPackage) are written to
``settings.data_dir / "hierarchy_review"``; the per-segment reasons are stored
with the recommendation (``road_segment.hierarchy_reasons``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import FileResponse

from api.auth import Engineer, Reader
from api.deps import KeyPath, SessionDep
from api.schemas.auth import JobPublic
from api.schemas.hierarchy import (
    HierarchyReviewRequest,
    HierarchyReviewResponse,
    OverrideIn,
    OverrideOut,
    SegmentChange,
    SegmentHierarchy,
)

router = APIRouter(tags=["hierarchy"])
REVIEW_LOCK = threading.Lock()


def _review_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "hierarchy_review"


def _features(fc: dict[str, Any] | None, what: str):
    if not fc:
        return None
    import geopandas as gpd

    try:
        return gpd.GeoDataFrame.from_features(fc.get("features", []), crs="EPSG:4326")
    except Exception as err:  # shapely/geopandas raise several types on bad GeoJSON
        raise HTTPException(
            status_code=422, detail=f"{what}: not a GeoJSON FeatureCollection ({err})"
        ) from err


@router.post("/hierarchy/review", response_model=HierarchyReviewResponse)
def review(body: HierarchyReviewRequest, request: Request, _: Engineer) -> HierarchyReviewResponse:
    """Review the stored network with the default policy and optional evidence.

    Runs inside the request: for a large network use ``POST /hierarchy/review/jobs``.
    Reads in a read-only transaction and writes in a short one at the end, so other writers
    are not held up while it computes (on SpatiaLite: no write lock until the results).
    """
    return run_review(request.app.state.engine, body, _review_dir(request))


@router.post("/hierarchy/review/jobs", response_model=JobPublic, status_code=202)
def review_job(
    body: HierarchyReviewRequest,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    user: Engineer,
) -> JobPublic:
    """Start the same review in the background; poll ``GET /jobs/{id}`` for its result."""
    from api.jobs import submit_after_response
    from store.jobs import create_job

    job = create_job(session, "hierarchy_review", user.username, {"write": body.write})
    review_dir = _review_dir(request)

    engine = request.app.state.engine

    def work() -> dict:
        return run_review(engine, body, review_dir).model_dump(mode="json")

    background.add_task(submit_after_response, request.app, job.id, work)
    return JobPublic.model_validate(job)


def run_review(engine, body: HierarchyReviewRequest, review_dir: Path) -> HierarchyReviewResponse:
    """The review (shared by the request and the background job), one at a time per process.

    Reviews write the same output folder (the latest review's files) and each takes much
    memory at scale, so a second one waits for the first instead of racing it.
    """
    with REVIEW_LOCK:
        return _run_review(engine, body, review_dir)


def _run_review(engine, body: HierarchyReviewRequest, review_dir: Path) -> HierarchyReviewResponse:
    import pandas as pd

    from hierarchy.policy import load_policy
    from hierarchy.report import write_review_outputs
    from hierarchy.review import review_hierarchy
    from hierarchy.risk import score_defect_risk
    from store.engine import session_scope
    from store.hierarchy import (
        defects_for_review,
        overrides_from_store,
        save_defect_risk,
        save_recommendations,
        segments_for_review,
    )

    policy = load_policy()
    sites = _features(body.sites, "sites")
    if sites is not None and "kind" not in sites:
        raise HTTPException(status_code=422, detail="sites need a 'kind' property")
    traffic = pd.DataFrame([t.model_dump() for t in body.traffic]) if body.traffic else None
    with session_scope(engine, readonly=True) as session:
        segments = segments_for_review(session)
        defects = defects_for_review(session)
        overrides = overrides_from_store(session)
    result = review_hierarchy(
        segments,
        None,
        policy,
        sites=sites,
        traffic=traffic,
        bus_routes=_features(body.bus_routes, "bus_routes"),
        winter_routes=_features(body.winter_routes, "winter_routes"),
        defects=defects,
        overrides=overrides,
    )
    scored = score_defect_risk(defects, result, policy) if len(defects) else None
    summary = write_review_outputs(result, review_dir, policy, defects=scored)
    written = rescored = 0
    if body.write:
        with session_scope(engine) as session:
            written = save_recommendations(session, result)
            rescored = save_defect_risk(session, scored) if scored is not None else 0
    return HierarchyReviewResponse(
        **{k: summary[k] for k in HierarchyReviewResponse.model_fields if k in summary},
        segments_written=written,
        defects_rescored=rescored,
        changes=_changes(result),
    )


def _changes(result) -> list[SegmentChange]:
    """The segments whose category, frequency or override the review changes."""
    import pandas as pd

    changed = result[
        (result["change"] != "unchanged")
        | (result["current_frequency"] != result["recommended_frequency"])
        | (result["override"] != "")
    ]
    changes = [
        SegmentChange(
            segment_id=r.segment_id,
            source_id=r.source_id,
            name=r.name,
            road_class=r.road_class,
            current_category=r.current_category,
            recommended_category=r.recommended_category,
            current_frequency=r.current_frequency,
            recommended_frequency=r.recommended_frequency,
            condition=None if pd.isna(r.condition) else int(r.condition),
            change=r.change,
            reasons=r.reasons,
        )
        for r in changed.itertuples(index=False)
    ]
    return changes


@router.get("/hierarchy/report", response_class=FileResponse)
def report(request: Request, _: Reader) -> FileResponse:
    """The latest review's summary page (km and pounds before and after), as written by the review."""
    page = _review_dir(request) / "summary.html"
    if not page.is_file():
        raise HTTPException(
            status_code=404,
            detail="no hierarchy review yet: run `roadcam hierarchy review` or POST /hierarchy/review",
        )
    return FileResponse(page, media_type="text/html")


@router.get("/segments/{segment_id}/hierarchy", response_model=SegmentHierarchy)
def segment_hierarchy(segment_id: KeyPath, session: SessionDep, _: Reader) -> SegmentHierarchy:
    """A segment's current and recommended category, frequencies, condition, reasons and overrides."""
    from store.hierarchy import segment_hierarchy as fetch

    return SegmentHierarchy(**fetch(session, segment_id))


@router.post(
    "/segments/{segment_id}/hierarchy/override", response_model=OverrideOut, status_code=201
)
def override(
    segment_id: KeyPath, body: OverrideIn, session: SessionDep, user: Engineer
) -> OverrideOut:
    """Record an engineer's category for a segment; every later review keeps it."""
    from hierarchy.evidence import normalise_category
    from hierarchy.policy import load_policy
    from store.audit import record_event
    from store.hierarchy import add_override, segment_hierarchy

    policy = load_policy()
    code = normalise_category(body.category, policy)
    if code is None:
        raise HTTPException(
            status_code=422,
            detail=f"unknown category {body.category!r} (known: {', '.join(policy.codes)})",
        )
    before = segment_hierarchy(session, segment_id).get("current_category")
    row = add_override(session, segment_id, code, body.reason.strip(), user.username)
    record_event(
        session, "segment", segment_id, "override", user.username, before, code, body.reason
    )
    return OverrideOut(
        category=row["category"],
        reason=row["reason"],
        author=row["author"],
        created_at=row["created_at"],
    )
