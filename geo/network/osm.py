"""OSM reader for :mod:`geo.network.roads`: drivable ways via pyosmium, split at junctions.

Rules (see docs/network.md): keep ``highway`` in :data:`geo.network.roads.DRIVABLE_HIGHWAYS`
(not ``area=yes``); cut each way at nodes used by two or more kept ways (or twice
in one way) and at its ends; segment id ``f"{way_id}-{part}"``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from geo.crs import metric_crs_for_bounds, resolve_metric_crs
from geo.network.road_tags import (
    DRIVABLE_HIGHWAYS,
    SEGMENT_COLUMNS,
    oneway_from_tags,
    road_class_from_tags,
    split_indices,
)
from roadcam.errors import CorruptInputError, NetworkError

log = logging.getLogger(__name__)


def read_osm_ways(path: Path) -> list[tuple[int, dict[str, str], list[tuple[int, float, float]]]]:
    """Drivable ways as ``(way_id, tags, [(node_id, lon, lat), ...])`` via pyosmium."""
    import osmium

    ways: list[tuple[int, dict[str, str], list[tuple[int, float, float]]]] = []
    keep = ("highway", "name", "ref", "oneway", "junction", "hierarchy")
    try:
        fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in fp:
            if not obj.is_way():
                continue
            hw = obj.tags.get("highway")
            if hw is None or hw not in DRIVABLE_HIGHWAYS:
                continue
            if obj.tags.get("area") == "yes":
                continue
            nodes = []
            for n in obj.nodes:
                loc = n.location
                if loc.valid():
                    nodes.append((int(n.ref), float(loc.lon), float(loc.lat)))
            if len(nodes) < 2:
                log.debug("way %s has < 2 located nodes, skipped", obj.id)
                continue
            tags = {k: obj.tags.get(k, "") for k in keep}
            ways.append((int(obj.id), tags, nodes))
    except RuntimeError as err:
        raise CorruptInputError(f"cannot read OSM data ({err})", path=str(path)) from err
    return ways


def osm_segments(path: Path, crs: Any | None):
    """Segments GeoDataFrame (metric CRS) of the drivable ways of an OSM file, split at junctions."""
    import geopandas as gpd
    from pyproj import Transformer
    from shapely import LineString

    ways = read_osm_ways(path)
    if not ways:
        raise NetworkError("no drivable highway=* ways in this OSM file", path=str(path))
    lon = np.array([n[1] for _, _, nodes in ways for n in nodes])
    lat = np.array([n[2] for _, _, nodes in ways for n in nodes])
    target = (
        resolve_metric_crs(crs)
        if crs is not None
        else metric_crs_for_bounds(lon.min(), lat.min(), lon.max(), lat.max())
    )
    tr = Transformer.from_crs(4326, target, always_xy=True)
    xs, ys = tr.transform(lon, lat)
    counts: Counter = Counter(n[0] for _, _, nodes in ways for n in nodes)
    rows: list[dict[str, Any]] = []
    off = 0
    for way_id, tags, nodes in ways:
        k = len(nodes)
        wx, wy = xs[off : off + k], ys[off : off + k]
        off += k
        ids = [n[0] for n in nodes]
        ow = oneway_from_tags(tags["oneway"], tags["highway"], tags["junction"])
        cuts = split_indices(ids, counts)
        part = 0
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            coords = list(zip(wx[a : b + 1], wy[a : b + 1], strict=True))
            u, v = str(ids[a]), str(ids[b])
            geom = LineString(coords)
            if geom.length <= 0:
                continue
            if ow == -1:
                geom, u, v = geom.reverse(), v, u
            rows.append(
                {
                    "segment_id": f"{way_id}-{part}",
                    "source_id": str(way_id),
                    "name": tags["name"],
                    "ref": tags["ref"],
                    "highway": tags["highway"],
                    "road_class": road_class_from_tags(tags["highway"], tags["ref"]),
                    "oneway": ow != 0,
                    "u": u,
                    "v": v,
                    "length_m": float(geom.length),
                    "hierarchy": tags["hierarchy"],
                    "geometry": geom,
                }
            )
            part += 1
    return gpd.GeoDataFrame(rows, columns=list(SEGMENT_COLUMNS), geometry="geometry", crs=target)
