"""Review outputs: segments.csv, a GeoPackage, and a Markdown + HTML summary."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .costs import Costs, load_costs, pounds_per_year
from .policy import Policy
from .review import OUTPUT_COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


def summary_from_review(
    result: gpd.GeoDataFrame, policy: Policy, costs: Costs | None = None
) -> dict[str, Any]:
    """Counts, inspection-km and pounds per year before/after and the change in inspection resource.

    ``costs`` defaults to ``hierarchy/policies/costs.yaml``.
    """
    speed = policy.resource.inspection_speed_kmh
    before = float(result["current_inspection_km_per_year"].sum())
    after = float(result["recommended_inspection_km_per_year"].sum())
    per_cat_before = result.groupby("current_category")["length_m"].agg(["count", "sum"])
    per_cat_after = result.groupby("recommended_category")["length_m"].agg(["count", "sum"])
    categories = []
    for code in policy.codes:
        categories.append(
            {
                "category": code,
                "segments_before": int(per_cat_before["count"].get(code, 0)),
                "segments_after": int(per_cat_after["count"].get(code, 0)),
                "km_before": round(float(per_cat_before["sum"].get(code, 0.0)) / 1000.0, 3),
                "km_after": round(float(per_cat_after["sum"].get(code, 0.0)) / 1000.0, 3),
            }
        )
    freq_changes = int((result["current_frequency"] != result["recommended_frequency"]).sum())
    return {
        "segments": int(len(result)),
        "network_km": round(float(result["length_m"].sum()) / 1000.0, 3),
        "raised": int((result["change"] == "raised").sum()),
        "lowered": int((result["change"] == "lowered").sum()),
        "overridden": int((result["override"] != "").sum()),
        "frequency_changes": freq_changes,
        "inspection_km_per_year_before": round(before, 2),
        "inspection_km_per_year_after": round(after, 2),
        "inspection_km_per_year_change": round(after - before, 2),
        "inspection_km_per_year_change_pct": round((after - before) / before * 100.0, 1)
        if before
        else 0.0,
        "inspection_hours_per_year_change": round((after - before) / speed, 2),
        "inspection_speed_kmh": speed,
        "traffic_source": result.attrs.get("traffic_source", ""),
        "policy": result.attrs.get("policy", policy.source),
        "categories": categories,
        "sites": result.attrs.get("site_routes", []),
        **pounds_per_year(result, costs if costs is not None else load_costs()),
    }


def _changes_table(rows: pd.DataFrame) -> list[list[str]]:
    out = []
    for _, r in rows.iterrows():
        out.append(
            [
                str(r["segment_id"]),
                str(r["name"] or "(unnamed)"),
                str(r["road_class"]),
                f"{r['current_category']} → {r['recommended_category']}",
                f"{r['current_frequency']} → {r['recommended_frequency']}",
                f"{r['length_m']:.0f}",
                str(r["reasons"]),
            ]
        )
    return out


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _signed_pounds(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}£{abs(value):,.2f}"


def _pounds_rows(s: dict[str, Any]) -> list[list[str]]:
    """Pounds per year before, after and the change, with what the rates rest on."""
    flag = "" if s["rates_confirmed"] else " (I: rates not from a council source, see costs file)"
    rates = ", ".join(f"{m} £{r['gbp_per_km']:.2f}/km" for m, r in s["rates"].items())
    return [
        [f"inspection £ per year, current{flag}", f"£{s['inspection_gbp_per_year_before']:,.2f}"],
        [
            f"inspection £ per year, recommended{flag}",
            f"£{s['inspection_gbp_per_year_after']:,.2f}",
        ],
        ["change in £ per year", _signed_pounds(s["inspection_gbp_per_year_change"])],
        [f"rates ({s['price_year']} prices)", f"{rates}; {s['costs_file']}"],
    ]


def _resource_rows(s: dict[str, Any]) -> list[list[str]]:
    change = s["inspection_km_per_year_change"]
    return [
        ["inspection-km per year, current", f"{s['inspection_km_per_year_before']:.1f}"],
        ["inspection-km per year, recommended", f"{s['inspection_km_per_year_after']:.1f}"],
        ["change", f"{change:+.1f} km ({s['inspection_km_per_year_change_pct']:+.1f} %)"],
        [
            f"inspector hours per year at {s['inspection_speed_kmh']:g} km/h (I)",
            f"{s['inspection_hours_per_year_change']:+.2f} h",
        ],
        *_pounds_rows(s),
    ]


def _category_rows(s: dict[str, Any]) -> list[list[str]]:
    return [
        [
            c["category"],
            str(c["segments_before"]),
            str(c["segments_after"]),
            f"{c['km_before']:.2f}",
            f"{c['km_after']:.2f}",
        ]
        for c in s["categories"]
    ]


def _site_rows(s: dict[str, Any]) -> list[list[str]]:
    return [
        [
            x["site_name"],
            x["kind"],
            str(x["snapped_segment_id"] or ""),
            ", ".join(x["shortest"]),
            ", ".join(x["alternative"]),
            x["note"],
        ]
        for x in s["sites"]
    ]


def _sections(
    result: gpd.GeoDataFrame, summary: dict[str, Any]
) -> list[tuple[str, str | None, list[str], list[list[str]]]]:
    """(title, paragraph, table header, table rows) for both renderings."""
    s = summary
    change_header = ["segment", "name", "class", "category", "inspection", "length m", "reasons"]
    raised = result[result["change"] == "raised"]
    lowered = result[result["change"] == "lowered"]
    freq_only = result[
        (result["change"] == "unchanged")
        & (result["current_frequency"] != result["recommended_frequency"])
    ]
    intro = (
        f"{s['segments']} segments, {s['network_km']:.2f} km. Traffic evidence: {s['traffic_source']}"
        " (a betweenness-centrality proxy is labelled as such in the reasons)."
    )
    freq_title = f"Inspection frequency changed, category unchanged ({len(freq_only)})"
    cat_header = ["category", "segments before", "segments after", "km before", "km after"]
    out = [
        ("Inspection resource", intro, ["measure", "value"], _resource_rows(s)),
        (f"Roads raised ({len(raised)})", None, change_header, _changes_table(raised)),
        (f"Roads lowered ({len(lowered)})", None, change_header, _changes_table(lowered)),
        (freq_title, None, change_header, _changes_table(freq_only)),
        ("Categories before and after", None, cat_header, _category_rows(s)),
    ]
    sites = _site_rows(s)
    if sites:
        site_header = ["site", "kind", "snapped to", "shortest route", "alternative route", "note"]
        out.append(("Key sites", None, site_header, sites))
    return out


_FOOT = (
    "Condition categories are indicative (PAS 2161:2024 spirit, roadcam's own rule from camera defects). "
    "Policy bands marked I in the policy file are inferred and must be set by the council."
)


def markdown_from_review(result: gpd.GeoDataFrame, summary: dict[str, Any]) -> str:
    """The review summary as Markdown."""
    parts = ["# Network hierarchy review", "", f"Policy: `{summary['policy']}`", ""]
    for title, para, header, rows in _sections(result, summary):
        parts += [f"## {title}", ""]
        if para:
            parts += [para, ""]
        parts += [_md_table(header, rows) if rows else "None.", ""]
    parts += [_FOOT, ""]
    return "\n".join(parts)


def html_from_review(result: gpd.GeoDataFrame, summary: dict[str, Any]) -> str:
    """The review summary as a standalone HTML page."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Network hierarchy review</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}</style></head><body>",
        "<h1>Network hierarchy review</h1>",
        f"<p>Policy: <code>{html.escape(str(summary['policy']))}</code></p>",
    ]
    for title, para, header, rows in _sections(result, summary):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if para:
            parts.append(f"<p>{html.escape(para)}</p>")
        parts.append(_html_table(header, rows) if rows else "<p>None.</p>")
    parts.append(f"<p><small>{html.escape(_FOOT)}</small></p></body></html>")
    return "\n".join(parts)


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    """Write a GeoPackage layer, replacing an older file.

    Safe after a SpatiaLite connection: store.engine loads pyogrio's GDAL before mod_spatialite.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def write_review_outputs(
    result: gpd.GeoDataFrame,
    out_dir: str | Path,
    policy: Policy,
    defects: pd.DataFrame | None = None,
    costs: Costs | None = None,
) -> dict[str, Any]:
    """Write segments.csv, segments.gpkg, summary.md, summary.html (and defects_risk.csv).

    Returns the summary dict with ``files`` added.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = result[OUTPUT_COLUMNS].copy()
    csv["condition"] = csv["condition"].astype("Int64").astype(str).replace("<NA>", "")
    csv.to_csv(out / "segments.csv", index=False)
    gpkg = result.copy()
    for col in gpkg.columns:
        if col != "geometry" and gpkg[col].dtype == object:
            gpkg[col] = gpkg[col].astype(str)
        if col == "condition":
            gpkg[col] = gpkg[col].astype("float64")
    gpkg.attrs = {}
    write_gpkg(gpkg, out / "segments.gpkg", layer="segments")
    summary = summary_from_review(result, policy, costs)
    (out / "summary.md").write_text(markdown_from_review(result, summary), encoding="utf-8")
    (out / "summary.html").write_text(html_from_review(result, summary), encoding="utf-8")
    files = ["segments.csv", "segments.gpkg", "summary.md", "summary.html"]
    if defects is not None and len(defects):
        d = pd.DataFrame(defects).drop(columns=["geometry", "point"], errors="ignore")
        d.to_csv(out / "defects_risk.csv", index=False)
        files.append("defects_risk.csv")
    summary["files"] = [str(out / f) for f in files]
    log.info("review written to %s", out)
    return summary
