"""Marking wear: runs per segment (JSON and GeoJSON for the map) and the re-lining programme."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import ALL_ROLES, require_roles
from api.deps import BBoxDep, SessionDep
from api.schemas.common import Feature, FeatureCollection
from api.schemas.marking import Programme, WearRunPublic

router = APIRouter(
    prefix="/markings",
    tags=["markings"],
    dependencies=[Depends(require_roles(*ALL_ROLES, open_read=True))],
)


def _merged(session, bbox, segment_id):
    from hierarchy.relining import load_markings_policy
    from store.markings import merged_wear_runs

    policy = load_markings_policy()
    runs = merged_wear_runs(
        session, repeatability=policy.repeatability.value, bbox=bbox, segment_id=segment_id
    )
    return runs, policy


@router.get("/runs", response_model=list[WearRunPublic])
def list_runs(
    session: SessionDep, bbox: BBoxDep, segment_id: Annotated[str | None, Query()] = None
) -> list[WearRunPublic]:
    """Latest wear of every line per run, with its trend over drives."""
    runs, _ = _merged(session, bbox, segment_id)
    return [WearRunPublic.model_validate(r) for r in runs]


@router.get("/runs/geojson", response_model=FeatureCollection)
def runs_geojson(
    session: SessionDep,
    bbox: BBoxDep,
    segment_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> FeatureCollection:
    """Wear runs as GeoJSON lines (property ``wear``) for a map layer coloured by wear; at most
    ``limit`` runs (narrow the bbox for more)."""
    runs, policy = _merged(session, bbox, segment_id)
    runs = runs[:limit]
    features = []
    for r in runs:
        props = WearRunPublic.model_validate(r).model_dump(mode="json")
        props["above_threshold"] = r["wear"] >= policy.wear_threshold.value
        geometry = {"type": "LineString", "coordinates": r["coordinates"]}
        features.append(Feature(id=r["id"], geometry=geometry, properties=props))
    return FeatureCollection(features=features, total=len(features))


@router.get("/programme", response_model=Programme)
def programme(session: SessionDep) -> Programme:
    """Runs above the policy threshold, ranked, costed, against the cyclical programme."""
    from hierarchy.relining import relining_programme
    from store.segments import list_segments

    runs, policy = _merged(session, None, None)
    categories = {s.id: s.current_category for s in list_segments(session)}
    return Programme.model_validate(relining_programme(runs, categories, policy))
