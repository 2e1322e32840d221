"""The review queue: the next proposed findings, confirm or reject one, confirm many, evidence crop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from api.auth import Reviewer
from api.deps import MAX_ID, DefectIdPath, SessionDep
from api.schemas.defect import DefectPublic
from api.schemas.review import BulkConfirm, BulkResult, ClassName, ReviewDecision, ReviewQueue

router = APIRouter(tags=["review"])


@router.get("/review/queue", response_model=ReviewQueue)
def review_queue(
    session: SessionDep,
    _: Reviewer,
    class_name: Annotated[list[ClassName] | None, Query(alias="class", max_length=10)] = None,
    segment_id: Annotated[list[str] | None, Query(max_length=50)] = None,
    survey_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID, description="skip to ids after this")] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 1,
) -> ReviewQueue:
    """The next proposed findings (oldest id first) and how many are waiting."""
    from store.review import review_queue as query

    rows, waiting = query(session, class_name, segment_id, survey_id, after_id, limit)
    return ReviewQueue(waiting=waiting, items=[DefectPublic.from_row(r) for r in rows])


@router.post("/defects/{defect_id}/review", response_model=DefectPublic)
def review_one(
    defect_id: DefectIdPath, body: ReviewDecision, session: SessionDep, user: Reviewer
) -> DefectPublic:
    """Confirm or reject one finding; the decision and any correction go to its history."""
    from store.review import review_defect

    row = review_defect(
        session,
        defect_id,
        body.action,
        user.username,
        reason=body.reason,
        class_name=body.class_name,
        risk_category=body.risk_category,
        note=body.note,
    )
    return DefectPublic.from_row(row)


@router.post("/review/confirm", response_model=BulkResult)
def confirm_many(body: BulkConfirm, session: SessionDep, user: Reviewer) -> BulkResult:
    """Confirm up to 500 findings at once (all or nothing)."""
    from store.review import confirm_many as confirm

    rows = confirm(session, body.ids, user.username, note=body.note)
    return BulkResult(confirmed=len(rows), defects=[DefectPublic.from_row(r) for r in rows])


@router.get(
    "/defects/{defect_id}/crop",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def evidence_crop(
    defect_id: DefectIdPath, session: SessionDep, request: Request, _: Reviewer
) -> Response:
    """The detection's box (with a margin) cut from the best evidence frame, as JPEG."""
    from store.defects import get_defect
    from store.observations import best_observation_box

    row = get_defect(session, defect_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no defect {defect_id}")
    ref = row.best_frame_ref
    data_dir = Path(request.app.state.settings.data_dir).resolve()
    path = Path(ref).resolve() if ref and "#" not in ref else None
    box = best_observation_box(session, row.id, row.best_frame_id)
    if path is None or data_dir not in path.parents or not path.is_file() or box is None:
        raise HTTPException(status_code=404, detail=f"defect {defect_id} has no evidence crop")
    return Response(_crop_jpeg(path, box), media_type="image/jpeg")


def _crop_jpeg(path: Path, box: tuple[float, float, float, float], margin: float = 0.5) -> bytes:
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise HTTPException(status_code=404, detail="evidence image is unreadable")
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin + 16, (y2 - y1) * margin + 16
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(w, int(x2 + mx) + 1), min(h, int(y2 + my) + 1)
    if right <= left or bottom <= top:
        raise HTTPException(status_code=404, detail="the detection box is outside the frame")
    ok, buf = cv2.imencode(".jpg", image[top:bottom, left:right])
    return bytes(buf) if ok else b""
