"""Readers for the review's input files: sites, traffic counts, route lines, overrides.

Each raises a :mod:`roadcam.errors` subclass with one clear line on bad input.
The overrides file (``overrides.csv``) lives beside the review outputs and is
only ever appended to, so an engineer's override survives re-runs.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from roadcam.errors import (
    ConfigError,
    CorruptInputError,
    CRSError,
    InputNotFoundError,
    UnsupportedFormatError,
)

from .policy import Policy

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

OVERRIDE_COLUMNS = ["segment_id", "category", "reason", "author", "created_at"]
_VECTOR = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}


def _exists(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError("file not found", path=str(p))
    return p


def _read_vector(p: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if p.suffix.lower() not in _VECTOR:
        raise UnsupportedFormatError(f"expected one of {', '.join(sorted(_VECTOR))}", path=str(p))
    try:
        gdf = gpd.read_file(p, engine="pyogrio")
    except Exception as err:  # pyogrio raises its own DataSourceError etc.
        raise CorruptInputError(f"cannot read: {str(err).splitlines()[0]}", path=str(p)) from None
    if gdf.crs is None:
        raise CRSError("no CRS (GeoJSON is EPSG:4326; set one for other formats)", path=str(p))
    return gdf


def read_sites(path: str | Path, policy: Policy | None = None) -> gpd.GeoDataFrame:
    """Key sites: points with ``kind`` (hospital, school, fire_station, ambulance_station) and ``name``."""
    p = _exists(path)
    gdf = _read_vector(p)
    if "kind" not in gdf:
        raise CorruptInputError(
            "sites need a 'kind' property (hospital, school, fire_station, ambulance_station)",
            path=str(p),
        )
    if len(gdf) and not (gdf.geometry.geom_type == "Point").all():
        raise CorruptInputError("sites must be points", path=str(p))
    if "name" not in gdf:
        gdf["name"] = [f"{k} {i + 1}" for i, k in enumerate(gdf["kind"])]
    if policy is not None:
        unknown = sorted(set(gdf["kind"].astype(str)) - set(policy.sites.kinds))
        if unknown:
            log.warning("%s: site kinds not in the policy are ignored: %s", p, ", ".join(unknown))
    return gdf


def read_traffic(path: str | Path) -> pd.DataFrame:
    """Traffic counts: a CSV with columns ``source_id,aadt``."""
    p = _exists(path)
    if p.suffix.lower() != ".csv":
        raise UnsupportedFormatError(
            "traffic counts must be a CSV with columns source_id,aadt", path=str(p)
        )
    try:
        df = pd.read_csv(p, dtype={"source_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CorruptInputError(
            f"cannot read CSV: {str(err).splitlines()[0]}", path=str(p)
        ) from None
    missing = {"source_id", "aadt"} - set(df.columns)
    if missing:
        raise CorruptInputError(
            f"missing columns: {', '.join(sorted(missing))} (need source_id,aadt)", path=str(p)
        )
    df["aadt"] = pd.to_numeric(df["aadt"], errors="coerce")
    bad = int(df["aadt"].isna().sum() + (df["aadt"] < 0).sum())
    if bad:
        raise CorruptInputError(f"{bad} rows with a missing or negative aadt", path=str(p))
    return df[["source_id", "aadt"]]


def read_route_lines(path: str | Path) -> gpd.GeoDataFrame | pd.DataFrame:
    """Bus or winter-service routes: lines (GeoJSON/GeoPackage/Shapefile) or a CSV with ``source_id``."""
    p = _exists(path)
    if p.suffix.lower() == ".csv":
        df = pd.read_csv(p, dtype={"source_id": str})
        if "source_id" not in df:
            raise CorruptInputError("a route CSV needs a source_id column", path=str(p))
        return df
    gdf = _read_vector(p)
    if len(gdf) and not gdf.geometry.geom_type.isin(["LineString", "MultiLineString"]).all():
        raise CorruptInputError("routes must be lines", path=str(p))
    return gdf


def read_defects(path: str | Path) -> pd.DataFrame:
    """Defects from a file: CSV, or GeoJSON/GeoPackage points, with ``segment_id``, a class column
    (``class``, ``class_name`` or ``defect_class``) and ``first_seen``; optional ``last_seen``,
    ``status``, ``width_m``, ``chainage_m``, ``offset_m``."""
    p = _exists(path)
    if p.suffix.lower() == ".csv":
        try:
            df = pd.read_csv(p, dtype={"segment_id": str})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise CorruptInputError(
                f"cannot read CSV: {str(err).splitlines()[0]}", path=str(p)
            ) from None
    else:
        df = pd.DataFrame(_read_vector(p).drop(columns="geometry"))
    if (
        "segment_id" not in df
        or "first_seen" not in df
        or not {"class", "class_name", "defect_class"} & set(df.columns)
    ):
        raise CorruptInputError(
            "defects need segment_id, first_seen and a class column (class or class_name)",
            path=str(p),
        )
    df["segment_id"] = df["segment_id"].astype(str)
    try:
        df["first_seen"] = pd.to_datetime(df["first_seen"], utc=True)
    except (ValueError, TypeError) as err:
        raise CorruptInputError(
            f"bad first_seen: {str(err).splitlines()[0]}", path=str(p)
        ) from None
    return df


def read_passes(path: str | Path) -> pd.DataFrame:
    """Camera passes per segment: a CSV with ``segment_id,passes`` and optional ``first_pass,last_pass``."""
    p = _exists(path)
    if p.suffix.lower() != ".csv":
        raise UnsupportedFormatError(
            "passes must be a CSV with columns segment_id,passes[,first_pass,last_pass]",
            path=str(p),
        )
    df = pd.read_csv(p, dtype={"segment_id": str})
    if not {"segment_id", "passes"} <= set(df.columns):
        raise CorruptInputError("passes need columns segment_id,passes", path=str(p))
    return df


def read_overrides(path: str | Path) -> pd.DataFrame:
    """Overrides recorded so far (empty frame when the file does not exist yet)."""
    p = Path(path)
    if not p.exists():
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = set(OVERRIDE_COLUMNS) - set(df.columns)
    if missing:
        raise CorruptInputError(
            f"overrides file misses columns: {', '.join(sorted(missing))}", path=str(p)
        )
    return df[OVERRIDE_COLUMNS]


def append_override(
    path: str | Path, segment_id: str, category: str, reason: str, author: str, policy: Policy
) -> dict[str, Any]:
    """Record an engineer's override (append-only); returns the recorded row."""
    from .evidence import normalise_category

    code = normalise_category(category, policy)
    if code is None:
        raise ConfigError(f"unknown category {category!r} (known: {', '.join(policy.codes)})")
    if not reason or not reason.strip():
        raise ConfigError("an override needs a reason")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    row = {
        "segment_id": str(segment_id),
        "category": code,
        "reason": reason.strip(),
        "author": (author or "").strip(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    new = not p.exists()
    with p.open("a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=OVERRIDE_COLUMNS)
        if new:
            w.writeheader()
        w.writerow(row)
    return row
