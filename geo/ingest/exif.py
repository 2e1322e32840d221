"""Geotagged JPEGs: EXIF GPS position and time, one fix per image.

Time: EXIF ``GPSDateStamp`` + ``GPSTimeStamp`` are **UTC** by definition and
come from the GPS receiver, so they are used whenever present.
``DateTimeOriginal`` is the camera's *local* wall-clock time with no zone
(in the Amsterdam photos it is UTC+1/+2); it is used only as a fallback,
corrected by ``OffsetTimeOriginal`` when the camera wrote one, else by the
caller's ``utc_offset_h`` (default 0, i.e. taken as UTC, with a warning).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError, InputNotFoundError

log = logging.getLogger(__name__)

JPEG_SUFFIXES = (".jpg", ".jpeg", ".JPG", ".JPEG")
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769


@dataclass(frozen=True)
class ExifFix:
    """Where and when one image was taken."""

    path: Path
    time: datetime  # UTC
    lon: float
    lat: float
    heading_deg: float = math.nan  # GPSImgDirection (true north) when present
    speed_mps: float = math.nan
    dop: float = math.nan
    time_source: str = "gps"  # "gps", "datetime_original+offset", "datetime_original"


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ZeroDivisionError, ValueError):
        try:
            num, den = value
            return num / den
        except Exception:
            return math.nan


def _dms(values, ref) -> float:
    if not values or len(values) != 3:
        return math.nan
    d, m, s = (_ratio(v) for v in values)
    out = d + m / 60.0 + s / 3600.0
    ref = ref.decode() if isinstance(ref, bytes) else (ref or "")
    return -out if ref.strip().upper() in ("S", "W") else out


def _gps_time(gps: dict) -> datetime | None:
    stamp, hms = gps.get(29), gps.get(7)
    if not stamp or not hms or len(hms) != 3:
        return None
    try:
        day = datetime.strptime(str(stamp).strip("\0 "), "%Y:%m:%d")
    except ValueError:
        return None
    h, m, s = (_ratio(v) for v in hms)
    if any(math.isnan(v) for v in (h, m, s)):
        return None
    return day.replace(tzinfo=UTC) + timedelta(hours=h, minutes=m, seconds=s)


def read_exif_fix(path: str | Path, *, utc_offset_h: float = 0.0) -> ExifFix | None:
    """The GPS fix of one JPEG, or None when it has no EXIF GPS position.

    Raises :class:`CorruptInputError` when the file is not a readable image.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as img:
            exif = img.getexif()
    except (UnidentifiedImageError, OSError) as err:
        raise CorruptInputError(f"not a readable image ({err})", path=str(path)) from None
    gps = dict(exif.get_ifd(_GPS_IFD))
    sub = dict(exif.get_ifd(_EXIF_IFD))
    lat, lon = _dms(gps.get(2), gps.get(1)), _dms(gps.get(4), gps.get(3))
    if math.isnan(lat) or math.isnan(lon) or (lat == 0 and lon == 0):
        return None
    t, how = _gps_time(gps), "gps"
    if t is None:
        raw = sub.get(0x9003) or exif.get(0x0132)
        if not raw:
            return None
        try:
            local = datetime.strptime(str(raw).strip("\0 "), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            return None
        offset = sub.get(0x9011)
        if offset:
            sign = -1 if str(offset).startswith("-") else 1
            hh, mm = str(offset).lstrip("+-").split(":")[:2]
            delta, how = (
                timedelta(hours=sign * int(hh), minutes=sign * int(mm)),
                "datetime_original+offset",
            )
        else:
            delta, how = timedelta(hours=utc_offset_h), "datetime_original"
            log.warning("%s: no GPS time; DateTimeOriginal taken as UTC%+g", path, utc_offset_h)
        t = (local - delta).replace(tzinfo=UTC)
    speed = _ratio(gps.get(13)) if 13 in gps else math.nan
    unit = (gps.get(12) or "K").strip().upper() if isinstance(gps.get(12), str) else "K"
    speed *= {"K": 1 / 3.6, "M": 1609.344 / 3600, "N": 1852 / 3600}.get(unit, 1 / 3.6)
    heading = _ratio(gps.get(17)) if 17 in gps else math.nan
    return ExifFix(path, t, lon, lat, heading % 360 if np.isfinite(heading) else math.nan,
                   speed, _ratio(gps.get(11)) if 11 in gps else math.nan, how)  # fmt: skip


def list_images(folder_or_paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """The JPEGs of a folder (sorted by name), or the given paths."""
    if isinstance(folder_or_paths, (str, Path)):
        p = Path(folder_or_paths)
        if not p.exists():
            raise InputNotFoundError("no such file or folder", path=str(p))
        if p.is_dir():
            return sorted(q for q in p.iterdir() if q.suffix in JPEG_SUFFIXES)
        return [p]
    return [Path(q) for q in folder_or_paths]


def read_exif_fixes(folder_or_paths, *, utc_offset_h: float = 0.0) -> list[ExifFix]:
    """The fixes of every geotagged JPEG, sorted by time; images without GPS are skipped."""
    fixes = []
    paths = list_images(folder_or_paths)
    for p in paths:
        fix = read_exif_fix(p, utc_offset_h=utc_offset_h)
        if fix is None:
            log.debug("%s: no EXIF GPS, skipped", p)
        else:
            fixes.append(fix)
    fixes.sort(key=lambda f: (f.time, str(f.path)))
    return fixes


def read_exif_track(
    folder_or_paths, *, utc_offset_h: float = 0.0, max_speed_kmh: float = 200.0
) -> Track:
    """A :class:`Track` with one fix per geotagged JPEG (a folder or a list of paths)."""
    paths = list_images(folder_or_paths)
    name = (
        str(folder_or_paths) if isinstance(folder_or_paths, (str, Path)) else f"{len(paths)} images"
    )
    if not paths:
        raise GPSError("no JPEG images", path=name)
    fixes = read_exif_fixes(paths, utc_offset_h=utc_offset_h)
    if not fixes:
        raise GPSError(f"none of {len(paths)} images has EXIF GPS", path=name)
    return track_from_fixes(
        np.array([np.datetime64(f.time.replace(tzinfo=None), "ns") for f in fixes]),
        [f.lon for f in fixes], [f.lat for f in fixes],
        speed_mps=[f.speed_mps for f in fixes], heading_deg=[f.heading_deg for f in fixes],
        hdop=[f.dop for f in fixes], source=name, max_speed_kmh=max_speed_kmh,
        counts={"skipped_no_exif_gps": len(paths) - len(fixes)},
    )  # fmt: skip
