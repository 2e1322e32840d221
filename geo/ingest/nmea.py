"""NMEA 0183 tracks (RMC, GGA, VTG), including BlackVue ``.gps`` side-cars.

BlackVue writes each sentence as ``[unix_ms]$GPRMC,...``. The ``unix_ms``
prefix is the *camera's* clock when the sentence arrived, not GPS time: in the
Minsk logs it is the camera's local time (UTC+3) written as if it were UTC,
plus about 1 s of logging latency. So:

* **the GPS time (RMC time + date) is authoritative** for every fix;
* the prefix is only used to measure the camera clock's offset from GPS time
  (:func:`camera_clock_offset_s`), which lets :mod:`geo.ingest.timesync` put video
  timestamps written by the same camera clock onto UTC.

Sentences are found anywhere on a line (BlackVue files sometimes carry binary
junk before a sentence) and must pass their ``*hh`` checksum. RMC gives time,
date, position, speed and course; GGA gives fix quality, satellites and HDOP;
VTG gives course and speed where RMC lacks them. Sentences for one epoch are
merged by their UTC time of day.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

log = logging.getLogger(__name__)

KNOT_MPS = 1852.0 / 3600.0
_SENTENCE = re.compile(
    rb"(?:\[(\d{9,16})\])?\$([A-Z]{2})(RMC|GGA|VTG),([^*$\r\n\[]*)\*([0-9A-Fa-f]{2})"
)
# GGA fix quality -> Track fix_quality (0 none, 1 GPS, 2 DGPS/RTK); 6 = dead reckoning counts as no fix
_GGA_FIX = {0: 0, 1: 1, 2: 2, 3: 1, 4: 2, 5: 2, 6: 0, 7: 0, 8: 0}


@dataclass
class NmeaStats:
    """What an NMEA file held (for logs and tests)."""

    sentences: int = 0
    rmc: int = 0
    rmc_valid: int = 0
    gga: int = 0
    vtg: int = 0
    bad_checksum: int = 0
    arrival_minus_gps_s: list[float] = field(default_factory=list, repr=False)


@dataclass
class _Epoch:
    tod: str
    date: date | None = None
    lat: float = math.nan
    lon: float = math.nan
    speed: float = math.nan
    course: float = math.nan
    rmc_valid: bool | None = None
    gga_fix: int | None = None
    hdop: float = math.nan
    arrival_ms: int | None = None


def _checksum_ok(body: bytes, checksum: bytes) -> bool:
    value = 0
    for b in body:
        value ^= b
    return value == int(checksum, 16)


def _coord(value: str, hemi: str, deg_digits: int) -> float:
    if not value or not hemi:
        return math.nan
    try:
        deg = float(value[:deg_digits])
        minutes = float(value[deg_digits:])
    except ValueError:
        return math.nan
    out = deg + minutes / 60.0
    return -out if hemi in ("S", "W") else out


def _float(value: str) -> float:
    try:
        return float(value) if value else math.nan
    except ValueError:
        return math.nan


def _tod_seconds(tod: str) -> float:
    return int(tod[0:2]) * 3600 + int(tod[2:4]) * 60 + float(tod[4:])


def _parse_date(ddmmyy: str) -> date | None:
    if len(ddmmyy) != 6 or not ddmmyy.isdigit():
        return None
    try:
        return date(2000 + int(ddmmyy[4:6]), int(ddmmyy[2:4]), int(ddmmyy[0:2]))
    except ValueError:
        return None


def _epochs(data: bytes, stats: NmeaStats) -> list[_Epoch]:
    epochs: list[_Epoch] = []
    current: _Epoch | None = None
    for m in _SENTENCE.finditer(data):
        prefix, talker, kind, body, cs = m.groups()
        if not _checksum_ok(talker + kind + b"," + body, cs):
            stats.bad_checksum += 1
            continue
        stats.sentences += 1
        f = body.decode("ascii", "replace").split(",")
        arrival = int(prefix) if prefix else None
        if kind == b"VTG":
            stats.vtg += 1
            if current is not None:
                if math.isnan(current.course):
                    current.course = _float(f[0])
                if math.isnan(current.speed) and len(f) > 4:
                    knots = _float(f[4])
                    kmh = _float(f[6]) if len(f) > 6 else math.nan
                    current.speed = knots * KNOT_MPS if not math.isnan(knots) else kmh / 3.6
            continue
        tod = f[0]
        if not re.fullmatch(r"\d{6}(\.\d+)?", tod or ""):
            if kind == b"RMC":
                stats.rmc += 1  # an RMC without time (no fix yet): counted, not placed
            continue
        if current is None or current.tod != tod:
            current = _Epoch(tod=tod, arrival_ms=arrival)
            epochs.append(current)
        if kind == b"RMC":
            stats.rmc += 1
            valid = len(f) > 1 and f[1] == "A" and not (len(f) > 11 and f[11] == "N")
            stats.rmc_valid += int(valid)
            current.rmc_valid = valid
            if len(f) > 8:
                current.lat = _coord(f[2], f[3], 2)
                current.lon = _coord(f[4], f[5], 3)
                current.speed = _float(f[6]) * KNOT_MPS
                current.course = _float(f[7])
                current.date = _parse_date(f[8])
        else:  # GGA
            stats.gga += 1
            if len(f) > 7:
                if math.isnan(current.lat):
                    current.lat = _coord(f[1], f[2], 2)
                    current.lon = _coord(f[3], f[4], 3)
                q = int(f[5]) if f[5].isdigit() else 0
                current.gga_fix = _GGA_FIX.get(q, 0)
                current.hdop = _float(f[7])
    return epochs


def _assign_dates(epochs: list[_Epoch], default_date: date | None) -> None:
    """Give every epoch a date: from its RMC, else carried over from neighbours (with midnight rollover)."""
    last: tuple[date, float] | None = None
    for e in epochs:
        sec = _tod_seconds(e.tod)
        if e.date is not None:
            last = (e.date, sec)
        elif last is not None:
            d = last[0] + timedelta(days=1) if sec < last[1] - 43200 else last[0]
            e.date = d
            last = (d, sec)
    nxt: tuple[date, float] | None = None
    for e in reversed(epochs):
        sec = _tod_seconds(e.tod)
        if e.date is not None:
            nxt = (e.date, sec)
        elif nxt is not None:
            e.date = nxt[0] - timedelta(days=1) if sec > nxt[1] + 43200 else nxt[0]
        elif default_date is not None:
            e.date = default_date


def parse_nmea(
    path: str | Path, *, default_date: date | None = None
) -> tuple[list[_Epoch], NmeaStats]:
    """The merged epochs of an NMEA file and what it contained."""
    path = Path(path)
    data = path.read_bytes()
    stats = NmeaStats()
    epochs = _epochs(data, stats)
    _assign_dates(epochs, default_date)
    for e in epochs:
        if e.date is not None and e.arrival_ms is not None and e.rmc_valid:
            t = _epoch_time(e)
            stats.arrival_minus_gps_s.append(e.arrival_ms / 1000.0 - t.timestamp())
    return epochs, stats


def _epoch_time(e: _Epoch) -> datetime:
    assert e.date is not None
    return datetime(e.date.year, e.date.month, e.date.day, tzinfo=UTC) + timedelta(
        seconds=_tod_seconds(e.tod)
    )


def looks_like_nmea(head: bytes) -> bool:
    """True when a file start holds at least one checksummed NMEA sentence we read."""
    return _SENTENCE.search(head) is not None


def read_nmea(
    path: str | Path, *, default_date: date | None = None, max_speed_kmh: float = 200.0
) -> Track:
    """Read an NMEA 0183 file (plain or BlackVue ``[unix_ms]``-prefixed) into a :class:`Track`.

    Raises :class:`CorruptInputError` when the file holds no NMEA sentence and
    :class:`GPSError` when none of its fixes is valid.
    """
    path = Path(path)
    epochs, stats = parse_nmea(path, default_date=default_date)
    if stats.sentences == 0:
        extra = f" ({stats.bad_checksum} with bad checksums)" if stats.bad_checksum else ""
        raise CorruptInputError(f"no NMEA RMC/GGA/VTG sentence found{extra}", path=str(path))
    if stats.bad_checksum:
        log.warning("%s: skipped %d NMEA sentences with bad checksums", path, stats.bad_checksum)
    rows = [
        e for e in epochs if e.date is not None and not math.isnan(e.lat) and not math.isnan(e.lon)
    ]
    if not rows:
        if any(e.date is None for e in epochs):
            raise GPSError("NMEA has times but no date (no RMC); pass default_date", path=str(path))
        raise GPSError(
            f"no valid GPS fix ({stats.rmc} RMC sentences, none with a position)", path=str(path)
        )
    times = np.array([np.datetime64(_epoch_time(e).replace(tzinfo=None), "ns") for e in rows])
    fix = []
    for e in rows:
        q = e.gga_fix if e.gga_fix is not None else (1 if e.rmc_valid else 0)
        if e.rmc_valid is False:
            q = 0
        fix.append(q)
    track = track_from_fixes(
        times,
        [e.lon for e in rows],
        [e.lat for e in rows],
        speed_mps=[e.speed for e in rows],
        heading_deg=[e.course for e in rows],
        fix_quality=fix,
        hdop=[e.hdop for e in rows],
        source=str(path),
        max_speed_kmh=max_speed_kmh,
    )
    if not track.valid.any():
        raise GPSError(f"no valid GPS fix ({stats.rmc} RMC sentences, 0 valid)", path=str(path))
    return track


def camera_clock_offset_s(path: str | Path, *, snap_s: float = 5.0) -> float | None:
    """Camera clock minus GPS time, in seconds, from a BlackVue ``[unix_ms]`` side-car.

    The raw estimate is the 5th percentile of (arrival − GPS time) over valid
    fixes: arrival is never earlier than the fix, so the low end has the least
    logging latency. Camera clocks are normally UTC or UTC + a time zone, so a
    raw value within ``snap_s`` of a multiple of 15 minutes is snapped to it
    (the rest is logging latency, not clock error): Minsk's 10,800.95 s → 3 h,
    a UTC camera's 0.3 s → 0. ``None`` without prefixes or valid fixes.
    """
    _, stats = parse_nmea(path)
    if not stats.arrival_minus_gps_s:
        return None
    raw = float(np.percentile(stats.arrival_minus_gps_s, 5))
    zone = round(raw / 900.0) * 900.0
    return zone if abs(raw - zone) <= snap_s else raw
