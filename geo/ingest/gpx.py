"""GPX 1.0 and 1.1 tracks.

Reads every ``trkpt`` (or, when a file has no track, every ``rtept``) with
its ``time``. GPX 1.0's ``<speed>`` (m/s) and ``<course>`` (degrees) are used
when present, as are ``speed``/``course`` elements inside ``<extensions>``
(Garmin TrackPointExtension and similar). ``<fix>`` (none/2d/3d/dgps/pps) and
``<hdop>`` give the fix quality. Namespaces are ignored, so both versions and
sloppy writers read the same way. Times without a zone are taken as UTC,
which is what the GPX schema requires.
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

log = logging.getLogger(__name__)

_FIX = {"none": 0, "2d": 1, "3d": 2, "dgps": 2, "pps": 2}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime (a missing zone means UTC)."""
    s = text.strip().replace(" ", "T")
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    t = datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def _child_float(el: ET.Element, names: tuple[str, ...]) -> float:
    for sub in el.iter():
        if sub is not el and _local(sub.tag) in names and sub.text:
            try:
                return float(sub.text)
            except ValueError:
                return math.nan
    return math.nan


def _time_text(el: ET.Element) -> str:
    t_el = next((c for c in el if _local(c.tag) == "time"), None)
    return (t_el.text or "").strip() if t_el is not None else ""


def _points(root: ET.Element) -> tuple[list[ET.Element], bool]:
    """The track points, or the route points of a file without track: (points, route)."""
    trkpt = [el for el in root.iter() if _local(el.tag) == "trkpt"]
    if trkpt:
        return trkpt, False
    return [el for el in root.iter() if _local(el.tag) == "rtept"], True


def _fixes(points: list[ET.Element], counts: dict[str, int]) -> dict[str, list]:
    cols: dict[str, list] = {
        k: [] for k in ("time", "lon", "lat", "speed", "course", "fix", "hdop")
    }
    for el in points:
        text = _time_text(el)
        if not text:
            counts["dropped_untimed"] += 1
            continue
        try:
            t = parse_time(text)
            x, y = float(el.get("lon", "nan")), float(el.get("lat", "nan"))
        except ValueError:
            counts["dropped_bad_point"] += 1
            continue
        cols["time"].append(np.datetime64(t.replace(tzinfo=None), "ns"))
        cols["lon"].append(x)
        cols["lat"].append(y)
        cols["speed"].append(_child_float(el, ("speed",)))
        cols["course"].append(_child_float(el, ("course", "heading", "bearing")))
        f_el = next((c for c in el if _local(c.tag) == "fix"), None)
        cols["fix"].append(
            _FIX.get((f_el.text or "").strip().lower(), 1) if f_el is not None else 1
        )
        cols["hdop"].append(_child_float(el, ("hdop",)))
    return cols


def read_gpx(path: str | Path, *, max_speed_kmh: float = 200.0) -> Track:
    """Read a GPX 1.0/1.1 file into a :class:`Track`.

    Track points (``trkpt``), or route points (``rtept``) in a file without track. A
    route is a plan: its times (often when each point was made, or one time for
    several) are not a vehicle's timeline, so no jump filter is applied to it
    (``read_route_points`` in the counts). A point without a time
    (``dropped_untimed``) or whose time or coordinates do not parse
    (``dropped_bad_point``) is dropped and counted.

    Raises :class:`CorruptInputError` for a file that is not well-formed XML
    or not GPX, and :class:`GPSError` when no point has both a position and a time.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise CorruptInputError(f"not valid GPX/XML ({err})", path=str(path)) from None
    if _local(root.tag) != "gpx":
        raise CorruptInputError(f"XML root is <{_local(root.tag)}>, not <gpx>", path=str(path))
    points, route = _points(root)
    counts: dict[str, int] = Counter()
    cols = _fixes(points, counts)
    if not cols["time"]:
        what = f"{len(points)} {'route' if route else 'track'} points in all"
        raise GPSError(f"no GPX point with a time ({what})", path=str(path))
    if route:
        counts["read_route_points"] = len(cols["time"])
    track = track_from_fixes(
        np.array(cols["time"], dtype="datetime64[ns]"), cols["lon"], cols["lat"],
        speed_mps=cols["speed"], heading_deg=cols["course"], fix_quality=cols["fix"],
        hdop=cols["hdop"], source=str(path), max_speed_kmh=None if route else max_speed_kmh,
        counts=counts,
    )  # fmt: skip
    if not track.valid.any():
        raise GPSError("no valid GPS fix in GPX (every point has <fix>none</fix>)", path=str(path))
    return track


def write_gpx(track: Track, path: str | Path, *, name: str = "roadcam") -> Path:
    """Write a track as GPX 1.1 (used by tests and the sample-footage generator)."""
    path = Path(path)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="roadcam" xmlns="http://www.topografix.com/GPX/1/1">',
        f"<trk><name>{name}</name><trkseg>",
    ]
    for i in range(len(track)):
        t = np.datetime_as_string(track.time[i], unit="ms") + "Z"
        lines.append(
            f'<trkpt lat="{track.lat[i]:.8f}" lon="{track.lon[i]:.8f}"><time>{t}</time></trkpt>'
        )
    lines.append("</trkseg></trk></gpx>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
