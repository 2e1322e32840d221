"""Exports: what is on the map as a file, confirmed defects for Confirm, the incremental change
feed for a nightly job, and the last drive's "new" and "not seen since" layers.

Thin routes: queries in ``store.exports``, files in ``store.export_files``, the Confirm shape in
``store.confirm``. Only confirmed defects leave for other systems (``/exports/confirm``,
``/changes``); what counts as confirmed is ``store.exports.confirmed_defect_clause``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.auth import ALL_ROLES, require_roles
from api.deps import SessionDep
from api.filters import DefectFilterDep
from api.schemas.common import Feature, FeatureCollection
from api.schemas.exports import ChangeFeed, DefectChange, DriveLayers

router = APIRouter(
    tags=["exports"], dependencies=[Depends(require_roles(*ALL_ROLES, open_read=True))]
)


@router.get("/exports/defects.{fmt}", response_class=Response)
def export_defects(
    fmt: Literal["csv", "geojson", "gpkg", "parquet"],
    session: SessionDep,
    filters: DefectFilterDep,
) -> Response:
    """The defects the map shows (same filters as ``/defects/geojson``) as CSV, GeoJSON,
    GeoPackage or GeoParquet (EPSG:4326)."""
    from store.export_files import FORMATS, frame_bytes
    from store.exports import defects_frame

    data = frame_bytes(defects_frame(session, filters), fmt, layer="defects")
    media, ext = FORMATS[fmt]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-disposition": f'attachment; filename="roadcam-defects-{stamp}{ext}"'}
    return Response(content=data, media_type=media, headers=headers)


@router.get("/exports/confirm.{fmt}", response_class=Response)
def export_confirm(fmt: Literal["csv", "json"], session: SessionDep, request: Request) -> Response:
    """Confirmed defects for Confirm: site, feature and defect-type codes from the council's
    mapping YAML (``ROADCAM_CONFIRM_MAPPING``), British National Grid easting/northing."""
    from store.confirm import confirm_csv, confirm_json, confirm_records, load_confirm_mapping

    mapping = load_confirm_mapping(request.app.state.settings.confirm_mapping)
    records = confirm_records(session, mapping)
    if fmt == "csv":
        return Response(confirm_csv(records, mapping), media_type="text/csv")
    return Response(confirm_json(records), media_type="application/json")


@router.get("/changes", response_model=ChangeFeed)
def changes(
    session: SessionDep,
    since: Annotated[datetime, Query(description="ISO 8601 with a zone; the last next_since")],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ChangeFeed:
    """Confirmed defects created or changed since ``since``, and closures, oldest first."""
    from store.exports import changed_defects

    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    rows = changed_defects(session, since, limit=limit)
    complete = len(rows) < limit
    next_since = rows[-1]["updated_at"] if rows and not complete else now
    return ChangeFeed(
        since=since,
        next_since=next_since,
        complete=complete,
        count=len(rows),
        defects=[DefectChange(**r) for r in rows],
    )


def _collection(session, ids: list[int]) -> FeatureCollection:
    from api.schemas.defect import DefectPublic
    from store.defect_filter import DefectFilter
    from store.exports import filtered_defects

    rows = filtered_defects(session, DefectFilter(ids=ids)) if ids else []
    features = []
    for row in rows:
        d = DefectPublic.from_row(row)
        props = d.model_dump(mode="json", exclude={"lon", "lat"})
        geometry = {"type": "Point", "coordinates": [d.lon, d.lat]}
        features.append(Feature(id=d.id, geometry=geometry, properties=props))
    return FeatureCollection(features=features, total=len(features))


@router.get("/map/drive-layers", response_model=DriveLayers)
def drive_layers(
    session: SessionDep,
    passed_within_m: Annotated[float, Query(gt=0, le=100)] = 15.0,
) -> DriveLayers:
    """The latest drive's new defects, and the defects it passed without seeing again."""
    from store.exports import last_drive_changes

    found = last_drive_changes(session, passed_within_m=passed_within_m)
    return DriveLayers(
        survey_id=found["survey_id"],
        vehicle_id=found["vehicle_id"],
        started_at=found["started_at"],
        new=_collection(session, found["new"]),
        not_seen=_collection(session, found["not_seen"]),
    )
