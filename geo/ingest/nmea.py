"""NMEA 0183 tracks (RMC, GGA, GLL, ZDA, VTG), including BlackVue ``.gps`` side-cars.

Sentences are found and checked one by one in :mod:`geo.ingest.nmea_sentences`
(checksums, field formats, ranges, UTF-16 logs). Here they become fixes:

* **Epochs**: consecutive sentences with the same UTC time of day are one epoch.
  RMC gives position, speed, course and date; GGA fix quality and HDOP (and the
  position when there is no RMC); VTG course and speed where RMC lacks them; ZDA
  a full date. GLL (a position and time) is read only in logs without RMC and
  GGA (BlackVue GLL-only logs): where a receiver writes both, the GLL repeats a
  fix already read, sometimes stamped a few ms (Magellan eXplorist) or a second
  (Garmin 48) apart, which would double the fixes (``skipped_gll_redundant``).
* **Which epochs are fixes**, decided per epoch and counted when not: the RMC
  decides when the epoch has one (status ``A``, mode not ``N``; else
  ``dropped_status_v``), else the GGA (fix quality 1-5; else
  ``dropped_no_fix_quality``), else the GLL (status ``A``). A fix whose position
  failed its range check is ``dropped_out_of_range``.
* **Dates**: a valid RMC's ``ddmmyy``, or a ZDA's date. A two-digit year takes the
  century that puts it nearest the log's ZDA year when the log has a ZDA, else the
  POSIX/Python ``%y`` pivot that pynmea2 and GPSBabel also apply (69-99 -> 1969-1999,
  00-68 -> 2000-2068): pynmea2's own 1994 test sentence is 1994, not 2094. Dates of
  RMC with status ``V`` are not used: a receiver without a fix writes its default
  (``050180``, or 1999 after the 2019 GPS week rollover). An epoch without a date of
  its own takes its neighbours' (rolling over at midnight, forwards and backwards),
  else, in a BlackVue log, the day of its ``[unix_ms]`` prefix that puts the fix
  nearest the camera clock (mapillary_tools' rule: ``[23:00 on the 24th]`` +
  GGA ``010000`` is 01:00 on the 25th), else ``default_date``; else
  ``dropped_undated``.

BlackVue writes each sentence as ``[unix_ms]$GPRMC,...``. The prefix is the
*camera's* clock when the sentence arrived, not GPS time: in the Minsk logs it is
the camera's local time (UTC+3) written as if it were UTC, plus about 1 s of
logging latency. So the GPS time is authoritative for every fix; the prefix only
dates a fix that has no GPS date, and measures the camera clock's offset from GPS
time (:func:`camera_clock_offset_s`) for :mod:`geo.ingest.timesync`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from geo.ingest.nmea_sentences import (
    NmeaStats,
    Sentence,
    looks_like_nmea,
    scan_sentences,
    tod_seconds,
)
from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

__all__ = ["NmeaStats", "camera_clock_offset_s", "looks_like_nmea", "parse_nmea", "read_nmea"]

CENTURY_PIVOT_YY = 69  # POSIX strptime %y: 69-99 -> 19yy, 00-68 -> 20yy
HALF_DAY_S = 43200.0


@dataclass
class _Epoch:
    tod: str
    arrival_ms: int | None = None
    lat: float = math.nan
    lon: float = math.nan
    speed: float = math.nan
    course: float = math.nan
    hdop: float = math.nan
    rmc: bool | None = None  # RMC status A (and mode not N)
    gga: bool | None = None  # GGA fix quality 1-5
    gll: bool | None = None  # GLL status A
    fix: int = 0  # GGA fix quality mapped to Track's
    dmy: tuple[int, int, int] | None = None  # a valid RMC's day, month, 2-digit year
    date: date | None = None
    date_from: str = ""  # "rmc", "zda", "neighbours", "prefix", "default"
    out_of_range: bool = False

    @property
    def sec(self) -> float:
        return tod_seconds(self.tod)

    def verdict(self) -> str | None:
        """None for a fix; else why not (a ``dropped_*`` reason, or "" for no fix sentence)."""
        for flag, reason in ((self.rmc, "status_v"), (self.gga, "no_fix_quality"),
                             (self.gll, "status_v")):  # fmt: skip
            if flag is not None:
                if not flag:
                    return reason
                break
        else:
            return ""  # ZDA/VTG only: a time, not a fix
        if math.isnan(self.lat) or math.isnan(self.lon):
            return "out_of_range" if self.out_of_range else "no_position"
        return None


def _add(e: _Epoch, s: Sentence) -> None:
    if s.kind == "ZDA":
        e.date = e.date or s.day
        e.date_from = e.date_from or ("zda" if s.day else "")
        return
    if s.kind == "RMC":
        e.rmc = s.valid
        e.dmy = s.dmy if s.valid else None
    elif s.kind == "GGA":
        e.gga, e.fix, e.hdop = s.valid, s.fix, s.hdop
    elif s.kind == "GLL":
        e.gll = s.valid
    e.out_of_range |= s.out_of_range
    if math.isnan(e.lat) and not math.isnan(s.lat):
        e.lat, e.lon = s.lat, s.lon
    if math.isnan(e.speed):
        e.speed = s.speed_mps
    if math.isnan(e.course):
        e.course = s.course_deg


def _epochs(sentences: list[Sentence]) -> list[_Epoch]:
    epochs: list[_Epoch] = []
    current: _Epoch | None = None
    for s in sentences:
        if s.kind == "VTG":
            if current is not None:
                current.course = s.course_deg if math.isnan(current.course) else current.course
                current.speed = s.speed_mps if math.isnan(current.speed) else current.speed
            continue
        if s.tod is None:
            continue  # an RMC/GGA without a time (no fix yet): counted in stats, not placed
        if current is None or current.tod != s.tod:
            current = _Epoch(tod=s.tod, arrival_ms=s.arrival_ms)
            epochs.append(current)
        _add(current, s)
    return epochs


def full_year(yy: int, reference_year: int | None = None) -> int:
    """A two-digit year with its century: nearest ``reference_year`` (a ZDA's) when
    given, else the POSIX ``%y`` pivot (69-99 -> 1969-1999, 00-68 -> 2000-2068)."""
    if reference_year is None:
        return (1900 if yy >= CENTURY_PIVOT_YY else 2000) + yy
    century = reference_year // 100 * 100
    return min((century - 100 + yy, century + yy, century + 100 + yy),
               key=lambda y: abs(y - reference_year))  # fmt: skip


def _own_dates(epochs: list[_Epoch], zda_year: int | None) -> None:
    for e in epochs:
        if e.dmy is None:
            continue
        d, m, yy = e.dmy
        try:
            e.date, e.date_from = date(full_year(yy, zda_year), m, d), "rmc"
        except ValueError:
            e.dmy = None  # 31 February: no date of its own


def _carry_dates(epochs: list[_Epoch]) -> None:
    """Date undated epochs from their dated neighbours, rolling over at midnight."""
    for seq, step in ((epochs, 1), (list(reversed(epochs)), -1)):
        last: tuple[date, float] | None = None
        for e in seq:
            if e.date is not None:
                last = (e.date, e.sec)
                continue
            if last is None:
                continue
            d, sec = last
            if step == 1 and e.sec < sec - HALF_DAY_S:
                d += timedelta(days=1)
            elif step == -1 and e.sec > sec + HALF_DAY_S:
                d -= timedelta(days=1)
            e.date, e.date_from = d, "neighbours"
            last = (d, e.sec)


def _prefix_date(e: _Epoch) -> date:
    """The day that puts ``e``'s time of day nearest its camera-clock prefix."""
    assert e.arrival_ms is not None
    camera = datetime.fromtimestamp(e.arrival_ms / 1000.0, tz=UTC)
    days = [camera.date() + timedelta(days=k) for k in (-1, 0, 1)]
    return min(days, key=lambda d: abs(_at(d, e.sec) - camera))


def _at(d: date, sec: float) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=sec)


def _assign_dates(
    epochs: list[_Epoch], sentences: list[Sentence], default_date: date | None
) -> None:
    zda_years = [s.day.year for s in sentences if s.day is not None]
    _own_dates(epochs, zda_years[0] if zda_years else None)
    _carry_dates(epochs)
    for e in epochs:
        if e.date is None and e.arrival_ms is not None:
            e.date, e.date_from = _prefix_date(e), "prefix"
        elif e.date is None and default_date is not None:
            e.date, e.date_from = default_date, "default"


def parse_nmea(
    path: str | Path, *, default_date: date | None = None
) -> tuple[list[_Epoch], NmeaStats]:
    """The dated epochs of an NMEA file and what it contained."""
    path = Path(path)
    stats = NmeaStats()
    sentences = scan_sentences(path.read_bytes(), stats)
    if stats.rmc or stats.gga:  # GLL only where nothing better: see the module notes
        stats.gll_ignored = stats.gll
        sentences = [s for s in sentences if s.kind != "GLL"]
    epochs = _epochs(sentences)
    _assign_dates(epochs, sentences, default_date)
    for e in epochs:
        if e.date_from in ("rmc", "zda") and e.arrival_ms is not None and e.verdict() is None:
            stats.arrival_minus_gps_s.append(e.arrival_ms / 1000.0 - _at(e.date, e.sec).timestamp())
    return epochs, stats


def _read_counts(stats: NmeaStats, drops: Counter[str]) -> dict[str, int]:
    counts = {f"dropped_{k}": n for k, n in drops.items() if k}
    counts["skipped_bad_checksum"] = stats.bad_checksum
    counts["skipped_unparsed"] = stats.unparsed
    counts["accepted_no_checksum"] = stats.no_checksum
    counts["skipped_gll_redundant"] = stats.gll_ignored
    return {k: v for k, v in counts.items() if v}


def _no_fix_message(stats: NmeaStats, drops: Counter[str]) -> str:
    kinds = ", ".join(f"{n} {k}" for k, n in (("RMC", stats.rmc), ("GGA", stats.gga),
                      ("GLL", stats.gll), ("ZDA", stats.zda)) if n)  # fmt: skip
    why = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(drops.items()) if k)
    return f"no valid GPS fix ({kinds} sentences; dropped: {why or 'none with a position'})"


def read_nmea(
    path: str | Path, *, default_date: date | None = None, max_speed_kmh: float = 200.0
) -> Track:
    """Read an NMEA 0183 file (plain or BlackVue ``[unix_ms]``-prefixed) into a :class:`Track`.

    Raises :class:`CorruptInputError` when the file holds no NMEA sentence that checks and
    :class:`GPSError` when none of its epochs is a dated, valid fix.
    """
    path = Path(path)
    epochs, stats = parse_nmea(path, default_date=default_date)
    if stats.sentences == 0:
        extra = ", ".join(f"{n} {what}" for n, what in ((stats.bad_checksum, "with bad checksums"),
                          (stats.unparsed, "that do not parse")) if n)  # fmt: skip
        raise CorruptInputError(
            f"no NMEA RMC/GGA/GLL/ZDA/VTG sentence found{f' ({extra})' if extra else ''}",
            path=str(path),
        )
    drops: Counter[str] = Counter()
    rows = []
    for e in epochs:
        why = e.verdict()
        if why is None and e.date is None:
            why = "undated"
        if why is None:
            rows.append(e)
        else:
            drops[why] += 1
    if not rows:
        if drops["undated"]:
            raise GPSError(
                f"{drops['undated']} fixes have times but no date (no RMC, ZDA or [unix_ms] "
                "prefix); pass default_date",
                path=str(path),
            )
        raise GPSError(_no_fix_message(stats, drops), path=str(path))
    times = np.array([np.datetime64(_at(e.date, e.sec).replace(tzinfo=None), "ns") for e in rows])
    return track_from_fixes(
        times,
        [e.lon for e in rows],
        [e.lat for e in rows],
        speed_mps=[e.speed for e in rows],
        heading_deg=[e.course for e in rows],
        fix_quality=[e.fix if e.fix > 0 else 1 for e in rows],
        hdop=[e.hdop for e in rows],
        source=str(path),
        max_speed_kmh=max_speed_kmh,
        counts=_read_counts(stats, drops),
    )


def camera_clock_offset_s(path: str | Path, *, snap_s: float = 5.0) -> float | None:
    """Camera clock minus GPS time, in seconds, from a BlackVue ``[unix_ms]`` side-car.

    The raw estimate is the 5th percentile of (arrival − GPS time) over valid
    fixes dated by the GPS itself (RMC or ZDA): arrival is never earlier than the
    fix, so the low end has the least logging latency. Camera clocks are normally
    UTC or UTC + a time zone, so a raw value within ``snap_s`` of a multiple of 15
    minutes is snapped to it (the rest is logging latency, not clock error):
    Minsk's 10,800.95 s → 3 h, a UTC camera's 0.3 s → 0. ``None`` without prefixes
    or valid fixes.
    """
    _, stats = parse_nmea(path)
    if not stats.arrival_minus_gps_s:
        return None
    raw = float(np.percentile(stats.arrival_minus_gps_s, 5))
    zone = round(raw / 900.0) * 900.0
    return zone if abs(raw - zone) <= snap_s else raw
