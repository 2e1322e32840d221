"""Road tags and segment-table primitives shared by the network readers (``geo.network.roads``, ``geo.network.osm``).

What a highway tag means for roadcam (drivable or not, road class, one-way), the
columns of a segment table, where a line is cut into segments, and which metric
CRS to use for a place.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

#: highway=* values kept as drivable roads (the *_link variants included).
DRIVABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
#: highway=* values never kept (explicitly not for motor vehicles or not built).
NON_DRIVABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway",
        "cycleway",
        "path",
        "steps",
        "pedestrian",
        "track",
        "bridleway",
        "corridor",
        "construction",
        "proposed",
        "platform",
        "bus_stop",
        "elevator",
        "via_ferrata",
        "raceway",
        "busway",
        "abandoned",
        "disused",
        "escape",
    }
)
#: road_class from highway when the ref gives none (UK convention: trunk and
#: primary roads are A roads, secondary B, tertiary C).
HIGHWAY_ROAD_CLASS: dict[str, str] = {
    "motorway": "motorway",
    "trunk": "A",
    "primary": "A",
    "secondary": "B",
    "tertiary": "C",
    "unclassified": "unclassified",
    "road": "unclassified",
    "residential": "residential",
    "living_street": "residential",
    "service": "service",
}
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "source_id",
    "name",
    "ref",
    "highway",
    "road_class",
    "oneway",
    "u",
    "v",
    "length_m",
    "hierarchy",
    "geometry",
)
_REF_RE = re.compile(r"^\s*([MABC])\s*\d")
_ONEWAY_YES = {"yes", "1", "true", "t"}
_ONEWAY_REVERSE = {"-1", "reverse"}
_ONEWAY_NO = {"no", "0", "false", "f"}


def road_class_from_tags(highway: str | None, ref: str | None) -> str:
    """road_class: ``M``/``A``/``B``/``C`` ref prefix first, else from highway.

    A ref like ``A647`` gives ``"A"``, ``M62`` gives ``"motorway"``; without such a
    ref, :data:`HIGHWAY_ROAD_CLASS` maps the highway (``*_link`` as its base);
    anything else gives ``"unclassified"``.
    """
    m = _REF_RE.match(str(ref or "").upper())
    if m:
        return "motorway" if m.group(1) == "M" else m.group(1)
    hw = str(highway or "").strip().lower()
    if hw.endswith("_link"):
        hw = hw[: -len("_link")]
    return HIGHWAY_ROAD_CLASS.get(hw, "unclassified")


def oneway_from_tags(oneway: Any, highway: str | None = None, junction: str | None = None) -> int:
    """+1 oneway along the digitised direction, -1 against it, 0 two-way."""
    if isinstance(oneway, bool | np.bool_):
        return 1 if oneway else 0
    val = "" if oneway is None or (isinstance(oneway, float) and np.isnan(oneway)) else str(oneway)
    val = val.strip().lower()
    if isinstance(oneway, int | float | np.integer | np.floating) and not isinstance(oneway, bool):
        val = str(int(oneway))
    if val in _ONEWAY_YES:
        return 1
    if val in _ONEWAY_REVERSE:
        return -1
    if val in _ONEWAY_NO:
        return 0
    hw = str(highway or "").strip().lower()
    if hw == "motorway" or str(junction or "").strip().lower() in {"roundabout", "circular"}:
        return 1
    return 0


def split_indices(node_ids: Sequence[Any], counts: Counter) -> list[int]:
    """Indices where a line is cut: both ends and every inner junction node."""
    cuts = [0]
    for i in range(1, len(node_ids) - 1):
        if counts[node_ids[i]] >= 2:
            cuts.append(i)
    cuts.append(len(node_ids) - 1)
    return cuts
