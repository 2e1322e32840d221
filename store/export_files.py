"""Export files: a GeoDataFrame as CSV, GeoJSON, GeoPackage or GeoParquet, and the data
platform's nightly folder (every table as GeoParquet and CSV, with a schema file).

GeoParquet needs ``pyarrow`` (a base dependency); the CSV carries the geometry as WKT in
``geometry_wkt`` so a plain CSV reader keeps it.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from roadcam.errors import DependencyError, UsageError

FORMATS = {
    "csv": ("text/csv", ".csv"),
    "geojson": ("application/geo+json", ".geojson"),
    "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
}


def _plain(gdf: Any) -> Any:
    """Datetimes as ISO text where a format has no tz-aware type; geometry kept."""
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].map(lambda t: t.isoformat() if t is not None and t == t else None)
    return out


def write_frame(gdf: Any, path: str | Path, fmt: str, layer: str = "data") -> Path:
    """Write ``gdf`` to ``path`` as ``fmt`` (csv, geojson, gpkg, parquet); returns the path."""
    path = Path(path)
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as err:
            raise DependencyError("GeoParquet export needs pyarrow (pip install pyarrow)") from err
        gdf.to_parquet(path, index=False)
    elif fmt == "csv":
        table = _plain(gdf).drop(columns=gdf.geometry.name)
        table["geometry_wkt"] = [g.wkt if g is not None else "" for g in gdf.geometry]
        table.to_csv(path, index=False)
    elif fmt == "geojson":
        path.write_text(_plain(gdf).to_json(drop_id=True), encoding="utf-8")
    else:
        if path.exists():
            path.unlink()
        _plain(gdf).to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def frame_bytes(gdf: Any, fmt: str, layer: str = "data") -> bytes:
    """``gdf`` as the bytes of a ``fmt`` file (for a download)."""
    with tempfile.TemporaryDirectory(prefix="roadcam-export-") as tmp:
        path = write_frame(gdf, Path(tmp) / f"{layer}{FORMATS[fmt][1]}", fmt, layer=layer)
        return path.read_bytes()


def _schema_of(gdf: Any) -> dict[str, Any]:
    geom = gdf.geometry
    return {
        "rows": int(len(gdf)),
        "crs": gdf.crs.to_string() if gdf.crs is not None else None,
        "geometry_type": sorted({t for t in geom.geom_type.dropna().unique()}),
        "columns": [
            {"name": c, "type": "geometry (WKB in Parquet, WKT in CSV)"}
            if c == geom.name
            else {"name": c, "type": str(gdf[c].dtype)}
            for c in gdf.columns
        ],
    }


def export_tables(session: Session, out_dir: str | Path, since: datetime | None) -> dict[str, Any]:
    """Write defects, sightings, segments, claims and permits changed since ``since`` into
    ``out_dir`` as ``NAME.parquet`` and ``NAME.csv``, and ``schema.json``; returns the schema."""
    from store.exports import (
        DefectFilter,
        claims_frame,
        defects_frame,
        permits_frame,
        segments_frame,
        sightings_frame,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "defects": defects_frame(session, DefectFilter(updated_since=since)),
        "sightings": sightings_frame(session, since),
        "segments": segments_frame(session, since),
        "claims": claims_frame(session, since),
        "permits": permits_frame(session, since),
    }
    schema: dict[str, Any] = {
        "since": since.isoformat() if since is not None else None,
        "generated_at": datetime.now().astimezone().isoformat(),
        "tables": {},
    }
    for name, gdf in tables.items():
        for fmt in ("parquet", "csv"):
            write_frame(gdf, out / f"{name}{FORMATS[fmt][1]}", fmt, layer=name)
        schema["tables"][name] = {
            "files": [f"{name}.parquet", f"{name}.csv"],
            **_schema_of(gdf),
        }
    (out / "schema.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return schema
