"""The one rule for metric CRSs and ground distances.

EPSG:27700 (British National Grid) in Great Britain, else the WGS 84 UTM zone.
Distances are never computed in degrees: callers project with these helpers, or use
:func:`geodesic_m` (WGS 84 ellipsoid) for lon/lat pairs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from roadcam.errors import CRSError

BNG = "EPSG:27700"
# British National Grid's area of use (lon/lat), from the EPSG registry.
_GB_BOUNDS = (-9.01, 49.75, 2.01, 61.01)


def _in_gb(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> bool:
    w, s, e, n = _GB_BOUNDS
    return w <= lon_min and lon_max <= e and s <= lat_min and lat_max <= n


def metric_crs_for_lonlat(lon: float, lat: float) -> str:
    """EPSG:27700 for points in Great Britain, else the WGS 84 UTM zone of the point."""
    if _in_gb(lon, lat, lon, lat):
        return BNG
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def metric_crs_for_bounds(lon_min: float, lat_min: float, lon_max: float, lat_max: float):
    """A pyproj CRS for an area: EPSG:27700 when it lies wholly in Great Britain, else the
    UTM zone of its centre (the same rule as :func:`metric_crs_for_lonlat`)."""
    from pyproj import CRS

    if _in_gb(lon_min, lat_min, lon_max, lat_max):
        return CRS.from_user_input(BNG)
    centre = metric_crs_for_lonlat((lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0)
    return CRS.from_user_input(centre)


def resolve_metric_crs(crs: Any):
    """A pyproj CRS from user input; :class:`CRSError` when unknown or geographic."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as PyprojCRSError

    try:
        out = CRS.from_user_input(crs)
    except PyprojCRSError as err:
        raise CRSError(f"unknown CRS {crs!r}") from err
    if out.is_geographic:
        raise CRSError(f"CRS {crs!r} is geographic; give a metric (projected) CRS")
    return out


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


@lru_cache(maxsize=1)
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Ground distance in metres between arrays (or scalars) of lon/lat degrees.

    Geodesic on the WGS84 ellipsoid (pyproj ``Geod.inv``): a spherical haversine is
    0.3 % short east-west at UK latitudes, enough to skew speeds.
    """
    args = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2)))
    _, _, dist = _geod().inv(*(a.ravel() for a in args))
    return np.asarray(dist, dtype=float).reshape(args[0].shape)


def bearing_deg(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Initial true bearing in degrees [0, 360) from point 1 to point 2 (WGS84 geodesic)."""
    args = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2)))
    az, _, _ = _geod().inv(*(a.ravel() for a in args))
    return np.mod(np.asarray(az, dtype=float), 360.0).reshape(args[0].shape)
