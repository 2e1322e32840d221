"""Choosing and using a metric CRS: EPSG:27700 in Great Britain, else local UTM.

Distances are never computed in degrees; callers project with these helpers.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BNG = "EPSG:27700"
# British National Grid's area of use (lon/lat), from the EPSG registry.
_GB_BOUNDS = (-9.01, 49.75, 2.01, 61.01)


def metric_crs_for_lonlat(lon: float, lat: float) -> str:
    """EPSG:27700 for points in Great Britain, else the WGS 84 UTM zone of the point."""
    if _GB_BOUNDS[0] <= lon <= _GB_BOUNDS[2] and _GB_BOUNDS[1] <= lat <= _GB_BOUNDS[3]:
        return BNG
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str):
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def xy_from_lonlat(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat (EPSG:4326) to x/y metres in ``crs``."""
    x, y = _transformer("EPSG:4326", crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def lonlat_from_xy(x, y, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Unproject x/y metres in ``crs`` to lon/lat (EPSG:4326)."""
    lon, lat = _transformer(crs, "EPSG:4326").transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)
