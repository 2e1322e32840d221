"""Map-matching input/output: matched.csv, the matched route GeoJSON, and readers
for the evaluation datasets (SparseTaxi Beijing, FMM's Stockholm example).

The dataset readers never copy data; they read from ``../shared/data``.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from roadcam.errors import CorruptInputError, InputNotFoundError

log = logging.getLogger(__name__)

MATCHED_CSV_COLUMNS = (
    "index",
    "time",
    "lon",
    "lat",
    "matched_lon",
    "matched_lat",
    "segment_id",
    "source_id",
    "chainage_m",
    "distance_m",
)
#: SparseTaxi x/y are "a projected space based on longitude and latitude"; the
#: edge lengths and speeds fit 1 unit ≈ 1 km, so we scale by 1000 to metres and
#: tag them with a metric CRS (UTM 50N) only so that GeoDataFrames have one.
SPARSETAXI_SCALE_M = 1000.0
SPARSETAXI_CRS = "EPSG:32650"


def _fmt(v: float, nd: int) -> str:
    return "" if v is None or not np.isfinite(v) else f"{v:.{nd}f}"


def write_matched_csv(path: str | Path, result: Any, lon: Any, lat: Any, time: Any = None) -> int:
    """Write one row per input fix; returns the number of unmatched (empty) rows."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    tt = [""] * len(lon)
    if time is not None:
        t = np.asarray(time)
        if np.issubdtype(t.dtype, np.datetime64):
            tt = [
                str(v) + ("Z" if not str(v).endswith("Z") else "")
                for v in np.datetime_as_string(t.astype("datetime64[ms]"))
            ]
        else:
            tt = [str(v) for v in t]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(MATCHED_CSV_COLUMNS)
        for i in range(len(lon)):
            m = bool(result.matched[i])
            w.writerow(
                [
                    i,
                    tt[i],
                    _fmt(lon[i], 7),
                    _fmt(lat[i], 7),
                    _fmt(result.matched_lon[i], 7) if m else "",
                    _fmt(result.matched_lat[i], 7) if m else "",
                    result.segment_id[i] if m else "",
                    result.source_id[i] if m else "",
                    _fmt(result.chainage_m[i], 2) if m else "",
                    _fmt(result.distance_m[i], 2) if m else "",
                ]
            )
    return int(result.n_unmatched)


def path_lines(network: Any, result: Any) -> list[tuple[int, Any]]:
    """The matched route as one metric LineString per chain: ``[(chain, line), ...]``."""
    from shapely import LineString, get_coordinates
    from shapely.ops import substring

    geoms = dict(
        zip(network.segments["segment_id"].astype(str), network.segments.geometry, strict=True)
    )
    out: list[tuple[int, Any]] = []
    coords: list[np.ndarray] = []
    chain = None
    for t in list(result.path) + [None]:
        if t is None or t.chain != chain:
            if coords:
                c = np.concatenate(coords)
                keep = np.ones(len(c), bool)
                keep[1:] = np.any(np.abs(np.diff(c, axis=0)) > 1e-6, axis=1)
                c = c[keep]
                if len(c) >= 2:
                    out.append((chain, LineString(c)))
            coords = []
            if t is None:
                break
            chain = t.chain
        part = substring(geoms[t.segment_id], t.start_m, t.end_m)
        c = get_coordinates(part)
        if len(c):
            coords.append(c)
    return out


def write_matched_geojson(path: str | Path, network: Any, result: Any) -> int:
    """Write the matched route (EPSG:4326 LineStrings, one per chain); returns the count."""
    import geopandas as gpd

    lines = path_lines(network, result)
    segs_by_chain: dict[int, list[str]] = {}
    for t in result.path:
        ids = segs_by_chain.setdefault(t.chain, [])
        if not ids or ids[-1] != t.segment_id:
            ids.append(t.segment_id)
    gdf = gpd.GeoDataFrame(
        {
            "chain": [c for c, _ in lines],
            "length_m": [round(g.length, 2) for _, g in lines],
            "segment_ids": [json.dumps(segs_by_chain.get(c, [])) for c, _ in lines],
        },
        geometry=[g for _, g in lines],
        crs=network.crs,
    ).to_crs(4326)
    Path(path).write_text(gdf.to_json(drop_id=True))
    return len(gdf)


# --------------------------------------------------------------------------- SparseTaxi (Beijing)


def read_sparsetaxi_network(map_dir: str | Path):
    """The Beijing network: one oneway segment per row of ``adjacentList.txt`` (id = row index)."""
    from geo.network.roads import network_from_edges

    d = Path(map_dir)
    if not (d / "adjacentList.txt").exists():
        raise InputNotFoundError("no adjacentList.txt", path=str(d))
    v = np.loadtxt(d / "vertexMap.txt")
    e = np.loadtxt(d / "adjacentList.txt", skiprows=1)
    if not np.array_equal(v[:, 0], np.arange(len(v))):
        raise CorruptInputError("vertexMap node ids are not 0..n-1", path=str(d))
    return network_from_edges(
        v[:, 2] * SPARSETAXI_SCALE_M,
        v[:, 3] * SPARSETAXI_SCALE_M,
        e[:, 0].astype(int),
        e[:, 1].astype(int),
        SPARSETAXI_CRS,
        oneway=True,
    )


def read_sparsetaxi_trajectories(path: str | Path) -> list[tuple[int, np.ndarray]]:
    """``[(trajectory_id, array (n, 3) of t, x_m, y_m)]`` from a ``*.coor.txt`` file.

    A header line is three integers; point lines hold decimals. Headers are
    found by that rule because some declared point counts are off by one.
    """
    lines = Path(path).read_text().split("\n")
    out: list[tuple[int, list[list[float]]]] = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) != 3:
            continue
        if not any("." in p for p in parts):
            out.append((int(parts[0]), []))
        elif out:
            out[-1][1].append([float(p) for p in parts])
    res = []
    for tid, pts in out:
        a = np.asarray(pts, float).reshape(-1, 3)
        a[:, 1:] *= SPARSETAXI_SCALE_M
        res.append((tid, a))
    return res


def read_sparsetaxi_paths(path: str | Path) -> list[list[int]]:
    """Ground-truth paths, one per row. In ``beijing_set60.txt`` and
    ``beijing_sparse.txt`` each row is a *node* sequence of vertexMap ids
    (every consecutive pair is an adjacentList edge), despite the README."""
    return [
        [int(x) for x in row.split()] for row in Path(path).read_text().rstrip("\n").split("\n")
    ]


def assign_ground_truth(
    network: Any,
    trajs: list[tuple[int, np.ndarray]],
    paths: list[list[int]],
    max_median_m: float = 5.0,
) -> list[int | None]:
    """For each trajectory, the path row its fixes lie on (median distance ≤ max_median_m).

    The README warns that trajectories are missing, so rows are matched by
    geometry rather than by position.
    """
    from shapely import LineString, distance, points

    g = network.graph
    lines = [
        LineString([(g.nodes[str(n)]["x"], g.nodes[str(n)]["y"]) for n in p])
        if len(p) > 1
        else None
        for p in paths
    ]
    out: list[int | None] = []
    for _, a in trajs:
        pts = points(a[:, 1], a[:, 2])
        med = [float(np.median(distance(ln, pts))) if ln is not None else np.inf for ln in lines]
        j = int(np.argmin(med))
        out.append(j if med[j] <= max_median_m else None)
    return out


def evaluate_against_node_path(network: Any, result: Any, gt_nodes: list[int]) -> dict[str, float]:
    """Route and point accuracy of a match against a ground-truth node path.

    * ``route_recall``: ground-truth length whose directed edge (node pair) is in
      the matched path / ground-truth length (the "route length matched correctly");
    * ``route_precision``: travelled length (traversal extents) on ground-truth edges /
      travelled length;
    * ``point_accuracy``: matched fixes whose segment is a ground-truth edge / all fixes.
    """
    seg = network.segments
    ids = seg["segment_id"].tolist()
    uv = dict(zip(ids, zip(seg["u"].tolist(), seg["v"].tolist(), strict=True), strict=True))
    g = network.graph
    gt_pairs = [(str(a), str(b)) for a, b in zip(gt_nodes[:-1], gt_nodes[1:], strict=True)]
    gt_len = {}
    for a, b in gt_pairs:
        data = g.get_edge_data(a, b) or {}
        gt_len[(a, b)] = min((d["length_m"] for d in data.values()), default=0.0)

    def directed(sid: str, rev: bool) -> tuple[str, str]:
        return (uv[sid][1], uv[sid][0]) if rev else uv[sid]

    path_pairs = {directed(t.segment_id, t.reverse) for t in result.path}
    total = sum(gt_len.values())
    recall = (
        sum(length_ for pair, length_ in gt_len.items() if pair in path_pairs) / total
        if total
        else float("nan")
    )
    travelled = [
        (abs(t.end_m - t.start_m), directed(t.segment_id, t.reverse) in gt_len) for t in result.path
    ]
    plen = sum(d for d, _ in travelled)
    prec = sum(d for d, on in travelled if on) / plen if plen else float("nan")
    ok = [
        bool(m) and directed(s, bool(rv)) in gt_len
        for m, s, rv in zip(result.matched, result.segment_id, result.reverse, strict=True)
    ]
    return {
        "route_recall": float(recall),
        "route_precision": float(prec),
        "point_accuracy": float(np.mean(ok)) if ok else float("nan"),
        "gt_length_m": float(total),
    }


# --------------------------------------------------------------------------- FMM (Stockholm)


def read_wkt_trips(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """FMM ``trips.csv`` (``id;geom`` WKT LineStrings in lon/lat): ``[(id, (n, 2) lon/lat)]``."""
    from shapely import from_wkt, get_coordinates

    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            out.append((row["id"], get_coordinates(from_wkt(row["geom"]))))
    return out


def read_fmm_result(path: str | Path) -> dict[str, list[int]]:
    """FMM ``mr.txt``: trip id → cpath (matched edge ids, in order)."""
    out: dict[str, list[int]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            out[row["id"]] = [int(v) for v in row["cpath"].split(",") if v.strip()]
    return out


def read_fmm_network(edges_shp: str | Path):
    """An FMM/OSMnx edges shapefile as a network: each row one directed segment,
    id = the ``fid`` (or ``id``) field, endpoints ``u``/``v`` (or ``source``/``target``)."""
    import geopandas as gpd

    from geo.network.roads import network_from_edges

    gdf = gpd.read_file(edges_shp)
    idcol = "fid" if "fid" in gdf.columns else "id"
    ucol, vcol = ("u", "v") if "u" in gdf.columns else ("source", "target")
    ids = gdf[idcol].astype(int).to_numpy() if idcol in gdf.columns else np.arange(len(gdf))
    from geo.crs import metric_crs_for_bounds

    crs = metric_crs_for_bounds(*gdf.to_crs(4326).total_bounds)
    m = gdf.to_crs(crs)
    u = m[ucol].astype(np.int64).to_numpy()
    v = m[vcol].astype(np.int64).to_numpy()
    hw = [str(h) for h in m["highway"]] if "highway" in m.columns else None
    return network_from_edges(
        np.zeros(0),
        np.zeros(0),
        u,
        v,
        crs,
        edge_ids=ids,
        oneway=True,
        geometries=list(m.geometry),
        highway=hw,
    )
