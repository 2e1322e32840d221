"""Road segments: list (bbox, class), one, network summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.auth import Reader
from api.deps import BBoxDep, KeyPath, OffsetQuery, SessionDep
from api.schemas.common import Feature, FeatureCollection
from api.schemas.segment import NetworkSummary, SegmentList, SegmentPublic

router = APIRouter(prefix="/segments", tags=["segments"])


@router.get("", response_model=SegmentList)
def list_segments(
    session: SessionDep,
    _: Reader,
    bbox: BBoxDep,
    road_class: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: OffsetQuery = 0,
) -> SegmentList:
    from store.segments import list_segments as query

    rows = query(session, bbox=bbox, road_class=road_class, limit=limit, offset=offset)
    return SegmentList(segments=[SegmentPublic.from_row(r) for r in rows], count=len(rows))


@router.get("/summary", response_model=NetworkSummary)
def network_summary(session: SessionDep, _: Reader) -> NetworkSummary:
    from store.segments import network_summary as summary

    return NetworkSummary(**summary(session))


@router.get("/geojson", response_model=FeatureCollection)
def segments_geojson(
    session: SessionDep,
    _: Reader,
    bbox: BBoxDep,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> FeatureCollection:
    """Segments as GeoJSON for the map."""
    from store.segments import list_segments as query

    rows = query(session, bbox=bbox, limit=limit)
    features = []
    for row in rows:
        seg = SegmentPublic.from_row(row)
        props = seg.model_dump(exclude={"geometry"}, mode="json")
        features.append(Feature(id=seg.segment_id, geometry=seg.geometry, properties=props))
    return FeatureCollection(features=features, total=len(features))


@router.get("/{segment_id}", response_model=SegmentPublic)
def get_segment(segment_id: KeyPath, session: SessionDep, _: Reader) -> SegmentPublic:
    from store.segments import get_segment as fetch

    row = fetch(session, segment_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no segment {segment_id!r}")
    return SegmentPublic.from_row(row)
