"""Surveys: what was processed, when, and how it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.auth import Reader
from api.deps import OffsetQuery, SessionDep, SurveyIdPath
from api.schemas.survey import SurveyList, SurveyPublic

router = APIRouter(prefix="/surveys", tags=["surveys"])


@router.get("", response_model=SurveyList)
def list_surveys(
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: OffsetQuery = 0,
) -> SurveyList:
    from store.surveys import list_surveys as query

    rows = query(session, limit=limit, offset=offset)
    return SurveyList(surveys=[SurveyPublic.model_validate(r) for r in rows], count=len(rows))


@router.get("/{survey_id}", response_model=SurveyPublic)
def get_survey(survey_id: SurveyIdPath, session: SessionDep, _: Reader) -> SurveyPublic:
    from store.surveys import get_survey as fetch

    row = fetch(session, survey_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no survey {survey_id}")
    return SurveyPublic.model_validate(row)
