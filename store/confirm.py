"""Confirmed defects in the shape Confirm (the council's asset management system) imports.

:func:`load_confirm_mapping` reads the council-editable YAML (``store/mappings/confirm.yaml`` by
default): site-code source, feature type, defect-type and priority codes, and the column headers.
:func:`confirm_records` gives one record per confirmed defect with British National Grid
(EPSG:27700) easting and northing; :func:`confirm_csv` / :func:`confirm_json` serialise them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from roadcam.errors import ConfigError, InputNotFoundError

DEFAULT_MAPPING_PATH = Path(__file__).resolve().parent / "mappings" / "confirm.yaml"
FIELDS = (
    "external_ref",
    "site_code",
    "site_name",
    "feature_type",
    "defect_type",
    "priority",
    "easting",
    "northing",
    "chainage_m",
    "logged_date",
    "description",
)


class ConfirmMapping(BaseModel):
    """The code mapping; every key is required and unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_code_from: Literal["source_id", "segment_id"]
    feature_type: str = Field(min_length=1)
    defect_type: dict[str, str] = Field(min_length=1)
    priority: dict[str, str] = Field(min_length=1)
    columns: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> ConfirmMapping:
        if set(self.columns) != set(FIELDS):
            missing = sorted(set(FIELDS) - set(self.columns))
            extra = sorted(set(self.columns) - set(FIELDS))
            raise ValueError(
                f"columns must name each field once (missing {missing}, unknown {extra})"
            )
        if "unscored" not in self.priority:
            raise ValueError(
                "priority needs an 'unscored' code (defects with no risk category yet)"
            )
        return self


def load_confirm_mapping(path: str | Path | None = None) -> ConfirmMapping:
    """Read and validate the mapping YAML; ConfigError naming every problem otherwise."""
    import yaml

    p = Path(path) if path is not None else DEFAULT_MAPPING_PATH
    if not p.is_file():
        raise InputNotFoundError(f"Confirm mapping not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        return ConfirmMapping.model_validate(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"not valid YAML ({err})", path=str(p)) from None
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"bad Confirm mapping: {problems}", path=str(p)) from None


def _code(table: dict[str, str], key: str, what: str) -> str:
    if key not in table:
        raise ConfigError(
            f"the Confirm mapping has no {what} code for {key!r}; add it to the mapping file"
        )
    return table[key]


def confirm_records(session: Session, mapping: ConfirmMapping) -> list[dict[str, Any]]:
    """One record per confirmed defect, keyed by the mapping's column headers, in column order."""
    from store.exports import DefectFilter, defects_frame
    from store.models import RoadSegment

    gdf = defects_frame(session, DefectFilter(confirmed_only=True))
    bng = gdf.to_crs("EPSG:27700").geometry
    source_ids = dict(session.execute(select(RoadSegment.id, RoadSegment.source_id)).all())
    out = []
    for rec, p in zip(gdf.drop(columns="geometry").to_dict("records"), bng, strict=True):
        seg = rec["segment_id"] or ""
        site = source_ids.get(seg, "") if mapping.site_code_from == "source_id" else seg
        width = rec["max_width_m"]
        size = f", {width:.2f} m wide (camera estimate)" if width == width and width else ""
        values = {
            "external_ref": f"roadcam-{rec['id']}",
            "site_code": site or seg,
            "site_name": rec["road_name"],
            "feature_type": mapping.feature_type,
            "defect_type": _code(mapping.defect_type, rec["class_name"], "defect type"),
            "priority": _code(mapping.priority, rec["risk_category"] or "unscored", "priority"),
            "easting": round(float(p.x), 1),
            "northing": round(float(p.y), 1),
            "chainage_m": None if rec["chainage_m"] is None else round(rec["chainage_m"], 1),
            "logged_date": rec["first_seen"].date().isoformat(),
            "description": f"{rec['class_name'].replace('_', ' ')}{size}, "
            f"{rec['sightings']} camera sightings, status {rec['status']}",
        }
        out.append({mapping.columns[k]: values[k] for k in FIELDS})
    return out


def confirm_csv(records: list[dict[str, Any]], mapping: ConfirmMapping) -> str:
    """The records as CSV text with the mapping's headers."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[mapping.columns[k] for k in FIELDS])
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def confirm_json(records: list[dict[str, Any]]) -> str:
    """The records as a JSON array."""
    return json.dumps(records, indent=2)
