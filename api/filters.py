"""The map's defect filters as one query-parameter dependency (``/defects/geojson``, exports)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import Field

from api.deps import MAX_ID, BBoxDep
from api.schemas.defect import DefectStatus
from api.schemas.review import ClassName

# one rule for the ``class`` filter of every defect list: a known class (422 otherwise)
ClassQuery = Annotated[
    list[ClassName] | None,
    Query(alias="class", max_length=10, description="pothole, crack, faded_marking, skip"),
]


def get_defect_filter(
    bbox: BBoxDep,
    class_name: ClassQuery = None,
    status: Annotated[list[DefectStatus] | None, Query()] = None,
    risk: Annotated[
        list[str] | None, Query(description="risk category: emergency, cat1, cat2_high, ...")
    ] = None,
    road: Annotated[str | None, Query(description="part of the road name or ref")] = None,
    segment_id: Annotated[list[str] | None, Query()] = None,
    id: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Query(description="defect ids")
    ] = None,
    first_seen_from: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    first_seen_to: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    last_seen_from: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
    last_seen_to: Annotated[datetime | None, Query(description="ISO 8601, inclusive")] = None,
):  # -> store.defect_filter.DefectFilter
    from store.defect_filter import DefectFilter

    return DefectFilter(
        ids=id,
        class_names=class_name,
        statuses=status,
        risk_categories=risk,
        road=road or None,
        segment_ids=segment_id,
        bbox=bbox,
        first_seen_from=first_seen_from,
        first_seen_to=first_seen_to,
        last_seen_from=last_seen_from,
        last_seen_to=last_seen_to,
    )


DefectFilterDep = Annotated[object, Depends(get_defect_filter)]
