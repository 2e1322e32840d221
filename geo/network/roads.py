"""Road network loading: OSM (.osm/.osm.pbf/.pbf) or GeoJSON/GeoPackage/Shapefile lines.

:func:`load_network` returns a :class:`RoadNetwork` (see docs/architecture.md and
docs/network.md): a GeoDataFrame of segments in a metric CRS plus a directed
networkx ``MultiDiGraph`` for routing.

Rules (documented in docs/network.md):

* OSM: keep ways whose ``highway`` is in :data:`DRIVABLE_HIGHWAYS`; split them at
  every node used by two or more kept ways (or twice within one way) and at way
  ends. Segment id ``f"{way_id}-{part}"``, ``source_id`` = way id.
* Lines files: MultiLineStrings are exploded; lines are split at vertices shared
  with another line (node ids from coordinates rounded to 0.1 m in the metric CRS).
  Segment id ``f"{feature_id}-{part}"`` with ``feature_id`` the ``id`` property or
  else the feature index.
* ``oneway``: yes/1/true → one way; ``-1``/reverse → one way, geometry reversed so
  the digitised direction is the travel direction; implied for motorway and
  roundabouts; ``no`` overrides the implication.
* CRS: EPSG:27700 when the data lies inside its area of use (Great Britain), else
  the local UTM zone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geo.crs import metric_crs_for_bounds, resolve_metric_crs
from geo.network.road_tags import (  # noqa: F401 - re-exported: geo.network.roads is the public face
    DRIVABLE_HIGHWAYS,
    HIGHWAY_ROAD_CLASS,
    NON_DRIVABLE_HIGHWAYS,
    SEGMENT_COLUMNS,
    oneway_from_tags,
    road_class_from_tags,
    split_indices,
)
from roadcam.errors import (
    CorruptInputError,
    CRSError,
    InputNotFoundError,
    NetworkError,
    UnsupportedFormatError,
)

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm", ".pbf", ".osm.pbf", ".o5m")
LINES_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
NODE_GRID_M = 0.1  # lines files: vertices within this grid cell are one node


@dataclass(frozen=True)
class RoadNetwork:
    """A road network: ``segments`` (GeoDataFrame, metric CRS), ``graph`` and ``crs``.

    ``graph`` is a ``networkx.MultiDiGraph``; nodes carry ``x``/``y`` (metric);
    each edge carries ``segment_id``, ``length_m`` and ``reverse`` (True when
    travelling against the segment's digitised direction). Edge keys are the
    segment id (forward) and ``segment_id + ":r"`` (reverse).
    """

    segments: Any  # geopandas.GeoDataFrame
    graph: Any  # networkx.MultiDiGraph
    crs: Any  # pyproj.CRS

    def __post_init__(self) -> None:
        missing = [c for c in SEGMENT_COLUMNS if c not in self.segments.columns]
        if missing:
            raise ValueError(f"RoadNetwork.segments lacks columns {missing}")
        if self.segments.crs is None or self.segments.crs.is_geographic:
            raise ValueError("RoadNetwork.segments must be in a metric (projected) CRS")
        if not self.segments["segment_id"].is_unique:
            raise ValueError("RoadNetwork segment ids must be unique")

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def total_length_m(self) -> float:
        return float(self.segments["length_m"].sum())

    def summary(self) -> dict[str, Any]:
        """Counts and km, overall and by road class (the ``network load`` summary)."""
        seg = self.segments
        by = {
            str(k): {"count": int(len(g)), "km": round(float(g["length_m"].sum()) / 1000.0, 3)}
            for k, g in seg.groupby("road_class", sort=True)
        }
        return {
            "segments": int(len(seg)),
            "total_km": round(self.total_length_m / 1000.0, 3),
            "oneway_segments": int(seg["oneway"].sum()),
            "by_road_class": by,
            "crs": self.crs.to_string(),
        }


# --------------------------------------------------------------------------- helpers


def _check_path(path: str | Path) -> tuple[Path, str]:
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError("no such file", path=str(p))
    name = p.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return p, "osm"
    if name.endswith(LINES_SUFFIXES) or p.is_dir() and name.endswith(".gdb"):
        return p, "lines"
    raise UnsupportedFormatError(
        f"unsupported network format {p.suffix or p.name!r} "
        f"(expected .osm, .osm.pbf, .pbf, .geojson, .json, .gpkg or .shp)",
        path=str(p),
    )


# --------------------------------------------------------------------------- lines files


def _str_col(gdf: Any, name: str) -> list[str]:
    if name not in gdf.columns:
        return [""] * len(gdf)
    out = []
    for val in gdf[name].tolist():
        if val is None or (isinstance(val, float) and np.isnan(val)):
            out.append("")
        elif isinstance(val, float) and val.is_integer():
            out.append(str(int(val)))
        else:
            out.append(str(val))
    return out


def _read_lines_frame(path: Path, source_crs: Any | None):
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path)
    except Exception as err:  # pyogrio raises DataSourceError and friends
        raise CorruptInputError(
            f"cannot read lines file ({type(err).__name__}: {err})", path=str(path)
        ) from err
    if len(gdf) == 0:
        raise NetworkError("the file holds no features", path=str(path))
    if source_crs is not None:
        gdf = gdf.set_crs(source_crs, allow_override=True)
    elif gdf.crs is None:
        if path.suffix.lower() in {".geojson", ".json"}:
            gdf = gdf.set_crs(4326)  # RFC 7946
        else:
            raise CRSError(
                "the file has no CRS (a shapefile without .prj?); give one with --crs",
                path=str(path),
            )
    if gdf.crs.is_geographic:
        b = gdf.total_bounds
        if np.nanmax(np.abs(b)) > 180.0:
            raise CRSError(
                f"coordinates up to {np.nanmax(np.abs(b)):.0f} cannot be degrees but the CRS "
                f"{gdf.crs.to_string()} is geographic; give the right one with --crs",
                path=str(path),
            )
    return gdf


def _target_crs(gdf: Any, crs: Any | None) -> Any:
    """The metric CRS asked for, else the UTM/BNG one that fits the lines' extent."""
    if crs is not None:
        return resolve_metric_crs(crs)
    bounds = gdf.total_bounds if gdf.crs.is_geographic else gdf.to_crs(4326).total_bounds
    return metric_crs_for_bounds(*bounds)


def _unique_lines(metric: Any) -> tuple[list[tuple[int, np.ndarray]], list[list], list[bool]]:
    """``(row, coords)`` of every line part, its node-grid keys, and whether it is forced two-way.

    One line per geometry: a repeat (same or reversed vertices, e.g. OSMnx's one row per
    direction) is dropped, and a reversed repeat makes the kept line two-way.
    """
    from shapely import get_coordinates

    lines: list[tuple[int, np.ndarray]] = []
    for row, geom in enumerate(metric):
        parts = geom.geoms if geom.geom_type == "MultiLineString" else [geom]
        for p in parts:
            c = get_coordinates(p)
            if len(c) >= 2:
                lines.append((row, c))
    keys = [
        [(int(round(x / NODE_GRID_M)), int(round(y / NODE_GRID_M))) for x, y in c] for _, c in lines
    ]
    first_of: dict[tuple, int] = {}
    two_way: set[int] = set()
    unique: list[int] = []
    for i, ks in enumerate(keys):
        fwd, rev = tuple(ks), tuple(reversed(ks))
        j = first_of.get(fwd, first_of.get(rev))
        if j is None:
            first_of[fwd] = i
            unique.append(i)
        elif tuple(keys[j]) != fwd:
            two_way.add(j)
    if len(unique) < len(lines):
        log.info("%d duplicate line geometries dropped", len(lines) - len(unique))
    return [lines[i] for i in unique], [keys[i] for i in unique], [i in two_way for i in unique]


def _lines_segments(path: Path, crs: Any | None, source_crs: Any | None = None):
    import geopandas as gpd
    from shapely import LineString

    gdf = _read_lines_frame(path, source_crs)
    gdf = gdf[gdf.geometry.notna() & gdf.geom_type.isin(["LineString", "MultiLineString"])]
    hw_all = _str_col(gdf, "highway")
    gdf = gdf[np.array([h.strip().lower() not in NON_DRIVABLE_HIGHWAYS for h in hw_all], bool)]
    if len(gdf) == 0:
        raise NetworkError("no drivable lines in this file", path=str(path))
    target = _target_crs(gdf, crs)
    feat_ids = [f if f else str(i) for i, f in enumerate(_str_col(gdf, "id"))]
    names, refs, hws = _str_col(gdf, "name"), _str_col(gdf, "ref"), _str_col(gdf, "highway")
    hier, junction = _str_col(gdf, "hierarchy"), _str_col(gdf, "junction")
    oneways = gdf["oneway"].tolist() if "oneway" in gdf else [None] * len(gdf)
    lines, keys, forced_two_way = _unique_lines(gdf.geometry.to_crs(target))
    counts: Counter = Counter(k for ks in keys for k in ks)
    rows: list[dict[str, Any]] = []
    part_no: Counter = Counter()
    for (row, c), ks, force2 in zip(lines, keys, forced_two_way, strict=True):
        ow = 0 if force2 else oneway_from_tags(oneways[row], hws[row], junction[row])
        cuts = split_indices(ks, counts)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            geom = LineString(c[a : b + 1])
            if geom.length <= 0:
                continue
            u, v = (f"{ks[a][0]}:{ks[a][1]}", f"{ks[b][0]}:{ks[b][1]}")
            if ow == -1:
                geom, u, v = geom.reverse(), v, u
            fid = feat_ids[row]
            rows.append(
                {
                    "segment_id": f"{fid}-{part_no[fid]}",
                    "source_id": fid,
                    "name": names[row],
                    "ref": refs[row],
                    "highway": hws[row],
                    "road_class": road_class_from_tags(hws[row], refs[row]),
                    "oneway": ow != 0,
                    "u": u,
                    "v": v,
                    "length_m": float(geom.length),
                    "hierarchy": hier[row],
                    "geometry": geom,
                }
            )
            part_no[fid] += 1
    if not rows:
        raise NetworkError("no usable line geometry in this file", path=str(path))
    return gpd.GeoDataFrame(rows, columns=list(SEGMENT_COLUMNS), geometry="geometry", crs=target)


# --------------------------------------------------------------------------- graph / public API


def graph_from_segments(segments: Any):
    """The directed ``MultiDiGraph``: one edge per allowed direction of each segment."""
    import networkx as nx
    from shapely import get_coordinates

    g = nx.MultiDiGraph(crs=segments.crs)
    coords, which = get_coordinates(segments.geometry.values, return_index=True)
    n = len(segments)
    first = np.searchsorted(which, np.arange(n), side="left")
    last = np.searchsorted(which, np.arange(n), side="right") - 1
    sids = segments["segment_id"].tolist()
    us, vs = segments["u"].tolist(), segments["v"].tolist()
    lengths = segments["length_m"].astype(float).tolist()
    oneway = (
        segments["oneway"].fillna(False).astype(bool).tolist()
        if "oneway" in segments
        else [False] * n
    )
    g.add_nodes_from(
        (u, {"x": float(coords[i, 0]), "y": float(coords[i, 1])})
        for u, i in zip(us, first, strict=True)
    )
    g.add_nodes_from(
        (v, {"x": float(coords[i, 0]), "y": float(coords[i, 1])})
        for v, i in zip(vs, last, strict=True)
    )
    g.add_edges_from(
        (u, v, sid, {"segment_id": sid, "length_m": ln, "reverse": False})
        for sid, u, v, ln in zip(sids, us, vs, lengths, strict=True)
    )
    g.add_edges_from(
        (v, u, f"{sid}:r", {"segment_id": sid, "length_m": ln, "reverse": True})
        for sid, u, v, ln, ow in zip(sids, us, vs, lengths, oneway, strict=True)
        if not ow
    )
    return g


def network_from_segments(segments: Any) -> RoadNetwork:
    """A :class:`RoadNetwork` from a segments GeoDataFrame (columns as the contract)."""
    segments = segments.reset_index(drop=True)
    return RoadNetwork(segments=segments, graph=graph_from_segments(segments), crs=segments.crs)


def network_from_edges(
    node_x: np.ndarray,
    node_y: np.ndarray,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    crs: Any,
    *,
    edge_ids: Iterable[Any] | None = None,
    oneway: np.ndarray | bool = True,
    geometries: Sequence[Any] | None = None,
    highway: Sequence[str] | None = None,
) -> RoadNetwork:
    """A network straight from node coordinates and edge endpoint indices.

    For graph datasets (e.g. a benchmark's adjacency list): edge ``i`` runs from
    node ``edge_u[i]`` to ``edge_v[i]`` (straight, unless ``geometries`` gives
    LineStrings); ``segment_id`` and ``source_id`` are ``edge_ids`` (default the
    edge index) as strings. ``oneway=True`` means each edge is one direction, as
    in a directed adjacency list. Zero-length edges are dropped.
    """
    import geopandas as gpd
    from shapely import linestrings

    node_x, node_y = np.asarray(node_x, float), np.asarray(node_y, float)
    eu, ev = np.asarray(edge_u, int), np.asarray(edge_v, int)
    ids = [str(i) for i in (edge_ids if edge_ids is not None else range(len(eu)))]
    if geometries is None:
        coords = np.stack(
            [np.stack([node_x[eu], node_y[eu]], 1), np.stack([node_x[ev], node_y[ev]], 1)], 1
        )
        geoms = linestrings(coords)
    else:
        geoms = np.asarray(geometries, dtype=object)
    ow = np.broadcast_to(np.asarray(oneway, bool), eu.shape)
    hw = list(highway) if highway is not None else [""] * len(eu)
    seg = gpd.GeoDataFrame(
        {
            "segment_id": ids,
            "source_id": ids,
            "name": [""] * len(eu),
            "ref": [""] * len(eu),
            "highway": hw,
            "road_class": [road_class_from_tags(h, "") for h in hw],
            "oneway": ow.copy(),
            "u": eu.astype(str),
            "v": ev.astype(str),
            "length_m": [g.length for g in geoms],
            "hierarchy": [""] * len(eu),
        },
        geometry=list(geoms),
        crs=crs,
    )
    seg = seg[seg["length_m"] > 0]
    if len(seg) == 0:
        raise NetworkError("no edges with non-zero length")
    return network_from_segments(seg)


def load_network(
    path: str | Path, crs: Any | None = None, *, source_crs: Any | None = None
) -> RoadNetwork:
    """Load a road network file into a :class:`RoadNetwork` (metric CRS).

    ``crs`` forces the metric CRS (else EPSG:27700 in Great Britain, local UTM
    elsewhere); ``source_crs`` declares the CRS of a lines file that lacks one.
    Raises InputNotFoundError, UnsupportedFormatError, CorruptInputError,
    CRSError or NetworkError, each with one clear line.
    """
    p, kind = _check_path(path)
    if kind == "osm":
        from geo.network.osm import osm_segments

        segments = osm_segments(p, crs)
    else:
        segments = _lines_segments(p, crs, source_crs)
    if len(segments) == 0:
        raise NetworkError("no drivable road segments", path=str(p))
    net = network_from_segments(segments)
    log.info(
        "loaded %d segments, %.1f km from %s (%s)",
        len(net),
        net.total_length_m / 1000,
        p,
        net.crs.to_string(),
    )
    return net
