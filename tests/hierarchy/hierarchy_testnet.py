"""Small hand-built networks (EPSG:27700) that follow the geo.network.roads segments contract."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point

E0, N0 = 577000.0, 168000.0  # near Gillingham, Medway


def segments_from_edges(
    nodes: dict[str, tuple[float, float]], edges: list[dict]
) -> gpd.GeoDataFrame:
    """Segments from node coordinates (metres from E0, N0) and edge dicts (id, u, v, highway, ...)."""
    rows = []
    for e in edges:
        (x1, y1), (x2, y2) = nodes[e["u"]], nodes[e["v"]]
        geom = LineString([(E0 + x1, N0 + y1), (E0 + x2, N0 + y2)])
        rows.append(
            {
                "segment_id": e["id"],
                "source_id": e.get("source_id", e["id"]),
                "name": e.get("name", ""),
                "ref": e.get("ref", ""),
                "highway": e.get("highway", "residential"),
                "road_class": e.get("road_class", ""),
                "oneway": e.get("oneway", False),
                "u": e["u"],
                "v": e["v"],
                "length_m": geom.length,
                "hierarchy": e.get("hierarchy", ""),
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:27700")


def hospital_network() -> gpd.GeoDataFrame:
    """An A road along the bottom, a hospital street above it reached by a short street,
    and one quiet residential alternative (Quiet Lane) to the A road; plus a cul-de-sac."""
    nodes = {
        "a0": (0, 0),
        "a1": (200, 0),
        "a2": (400, 0),
        "a3": (600, 0),
        "h1": (200, 200),
        "h2": (400, 200),
        "q": (600, 200),
        "c": (440, 80),  # c: 200 m from q, inside the network
    }
    edges = [
        {
            "id": "A-1",
            "u": "a0",
            "v": "a1",
            "highway": "primary",
            "ref": "A2",
            "name": "High Street",
        },
        {
            "id": "A-2",
            "u": "a1",
            "v": "a2",
            "highway": "primary",
            "ref": "A2",
            "name": "High Street",
        },
        {
            "id": "A-3",
            "u": "a2",
            "v": "a3",
            "highway": "primary",
            "ref": "A2",
            "name": "High Street",
        },
        {"id": "short", "u": "a1", "v": "h1", "name": "Short Street"},
        {"id": "hosp", "u": "h1", "v": "h2", "name": "Windmill Road"},
        {"id": "quiet-1", "u": "h2", "v": "q", "name": "Quiet Lane"},
        {"id": "quiet-2", "u": "q", "v": "a3", "name": "Quiet Lane"},
        {"id": "close", "u": "q", "v": "c", "name": "Dead End Close"},
    ]
    return segments_from_edges(nodes, edges)


def hospital_sites() -> gpd.GeoDataFrame:
    """One hospital next to Windmill Road (30 m north of it), in EPSG:4326 like a GeoJSON file."""
    pts = gpd.GeoDataFrame(
        {"kind": ["hospital"], "name": ["Medway Maritime Hospital"]},
        geometry=[Point(E0 + 300, N0 + 230)],
        crs="EPSG:27700",
    )
    return pts.to_crs(4326)
