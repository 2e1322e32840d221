"""CSV tracks: time, lat, lon, optional speed, heading, HDOP and fix.

Column names are matched case-insensitively against common spellings
(``lat``/``latitude``, ``lon``/``lng``/``longitude``, ``time``/``timestamp``/
``datetime``/``gps_time``, ``speed``/``speed_mps``/``speed_kmh``/``speed_mph``,
``heading``/``course``/``bearing``). Times may be ISO 8601 (a missing zone
means UTC) or numbers: Unix seconds, or milliseconds when above 1e11.
The delimiter (comma, semicolon, tab) is sniffed.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

log = logging.getLogger(__name__)

TIME_NAMES = (
    "time",
    "timestamp",
    "datetime",
    "date_time",
    "utc",
    "time_utc",
    "gps_time",
    "gpstime",
    "t",
)
LAT_NAMES = ("lat", "latitude", "lat_deg", "y")
LON_NAMES = ("lon", "lng", "long", "longitude", "lon_deg", "x")
SPEED_NAMES = {"speed": 1.0, "speed_mps": 1.0, "speed_ms": 1.0, "speed_m_s": 1.0,
               "speed_kmh": 1 / 3.6, "speed_kph": 1 / 3.6, "speed_mph": 0.44704}  # fmt: skip
HEADING_NAMES = ("heading", "heading_deg", "course", "bearing", "direction", "track", "azimuth")
HDOP_NAMES = ("hdop", "dop")
FIX_NAMES = ("fix", "fix_quality", "quality")


def _pick(columns: dict[str, str], names) -> str | None:
    for n in names:
        if n in columns:
            return columns[n]
    return None


def looks_like_csv_track(head: str) -> bool:
    """True when the first line names a time, a latitude and a longitude column."""
    first = head.splitlines()[0] if head else ""
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        cols = {c.strip().lower() for c in next(csv.reader([first], dialect))}
    except (csv.Error, StopIteration):
        return False
    return bool(cols & set(TIME_NAMES) and cols & set(LAT_NAMES) and cols & set(LON_NAMES))


def _parse_times(values, path: Path) -> np.ndarray:
    import pandas as pd

    ser = pd.Series(values, dtype="string").str.strip()
    numeric = pd.to_numeric(ser, errors="coerce")
    if numeric.notna().all():
        unit = "ms" if float(numeric.abs().max()) > 1e11 else "s"
        out = pd.to_datetime(numeric, unit=unit, utc=True)
    else:
        try:
            out = pd.to_datetime(ser, utc=True, format="mixed")
        except (ValueError, TypeError) as err:
            raise CorruptInputError(f"unreadable time column ({err})", path=str(path)) from None
    return out.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The lower-cased header and the rows under it, in the delimiter the first line uses."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        raise CorruptInputError("empty CSV", path=str(path))
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(text.splitlines(), dialect))
    return [h.strip().lower() for h in rows[0]], rows[1:]


def _column_text(header: list[str], body: list[list[str]], name: str | None) -> list[str] | None:
    if name is None:
        return None
    k = header.index(name)
    return [r[k] if k < len(r) else "" for r in body]


def _column_floats(
    header: list[str], body: list[list[str]], name: str | None, scale: float = 1.0
) -> np.ndarray | None:
    vals = _column_text(header, body, name)
    if vals is None:
        return None
    out = np.array([float(v) if v.strip() else np.nan for v in vals], dtype=float)
    return out * scale


def read_csv_track(path: str | Path, *, max_speed_kmh: float = 200.0) -> Track:
    """Read a CSV track into a :class:`Track` (see the module docstring for columns)."""
    path = Path(path)
    header, rows = _read_csv_rows(path)
    columns = {h: h for h in header}
    t_col, y_col, x_col = (
        _pick(columns, TIME_NAMES),
        _pick(columns, LAT_NAMES),
        _pick(columns, LON_NAMES),
    )
    if not (t_col and y_col and x_col):
        raise CorruptInputError(
            f"CSV needs time, lat and lon columns; found {', '.join(header[:12])}", path=str(path)
        )
    body = [r for r in rows if any(c.strip() for c in r)]
    if not body:
        raise GPSError("CSV has a header but no rows", path=str(path))

    def floats(name: str | None, scale: float = 1.0) -> np.ndarray | None:
        return _column_floats(header, body, name, scale)

    try:
        times = _parse_times(_column_text(header, body, t_col), path)
        lat, lon = floats(y_col), floats(x_col)
        speed_col = next((c for c in SPEED_NAMES if c in columns), None)
        speed = floats(speed_col, SPEED_NAMES[speed_col]) if speed_col else None
        heading = floats(_pick(columns, HEADING_NAMES))
        hdop = floats(_pick(columns, HDOP_NAMES))
        fix_vals = floats(_pick(columns, FIX_NAMES))
    except ValueError as err:
        raise CorruptInputError(f"bad number in CSV ({err})", path=str(path)) from None
    fix = None if fix_vals is None else np.nan_to_num(fix_vals, nan=0).astype(int)
    ok = ~np.isnat(times)
    if not ok.any():
        raise GPSError("no CSV row with a time", path=str(path))
    pick = lambda a: None if a is None else a[ok]  # noqa: E731
    track = track_from_fixes(
        times[ok], lon[ok], lat[ok], speed_mps=pick(speed), heading_deg=pick(heading),
        fix_quality=pick(fix), hdop=pick(hdop), source=str(path), max_speed_kmh=max_speed_kmh,
    )  # fmt: skip
    if not track.valid.any():
        raise GPSError("no valid GPS fix in CSV", path=str(path))
    return track
