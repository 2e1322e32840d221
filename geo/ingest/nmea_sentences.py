"""NMEA 0183 sentences, one at a time: find, check and validate RMC, GGA, GLL, ZDA and VTG.

:func:`scan_sentences` turns the bytes of a log into :class:`Sentence` records and
counts what it skipped in :class:`NmeaStats`. Every sentence is judged on its own:

* **Text encoding**: UTF-8 (with or without its byte-order mark) or UTF-16, told by
  its byte-order mark (:func:`nmea_bytes`); GPSBabel writes UTF-16 logs on Windows.
* **Checksum**: a sentence with ``*hh`` must match it, else it is skipped
  (``skipped_bad_checksum``). A sentence without one (old receivers, hand-edited
  logs) is accepted only when it parses cleanly: the standard number of fields for
  its type, each well formed (``accepted_no_checksum``); else ``skipped_unparsed``.
* **Fields**: a time of day ``hhmmss[.sss]`` with hh < 24, mm < 60, ss < 61; a
  position ``ddmm.mmmm``/``dddmm.mmmm`` with minutes < 60, |lat| <= 90, |lon| <= 180
  and a hemisphere letter. A position that fails is discarded
  (``out_of_range``), never passed on: a receiver without a fix may write
  ``36000.0000,N`` (gpsd's ``tn200.log``).
* **Validity**: RMC and GLL status ``A`` and a mode indicator other than ``N``;
  GGA fix quality 1-5 (0 no fix, 6 dead reckoning, 7 manual, 8 simulator are not
  fixes).

The two-digit RMC year is kept as it is written; :mod:`geo.ingest.nmea` gives it a
century. ZDA carries a four-digit year.
"""

from __future__ import annotations

import codecs
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

KNOT_MPS = 1852.0 / 3600.0
_TYPES = rb"RMC|GGA|VTG|GLL|ZDA"
# a sentence anywhere on a line (BlackVue logs carry binary junk before some), with a
# BlackVue [unix_ms] prefix or not, with a checksum or running to the end of the line
SENTENCE_RE = re.compile(
    rb"(?:\[(\d{9,16})\])?\$([A-Z]{2})(" + _TYPES + rb"),([^*$\r\n\[]*)"
    rb"(?:\*([0-9A-Fa-f]{2})|(?=[\r\n]|\Z))"
)
# the standard field counts (after the type) a sentence without checksum must have
_FIELD_COUNTS = {"RMC": {11, 12, 13}, "GGA": {14}, "GLL": {6, 7}, "ZDA": {6}, "VTG": {8, 9}}
# GGA fix quality -> Track fix_quality (0 none, 1 GPS, 2 DGPS/RTK); 6 dead reckoning,
# 7 manual input and 8 simulation are not fixes
GGA_FIX = {1: 1, 2: 2, 3: 1, 4: 2, 5: 2}
_TOD = re.compile(r"(\d\d)(\d\d)(\d\d(?:\.\d+)?)")
_COORD = re.compile(r"\d+(?:\.\d*)?")


class BadSentence(ValueError):
    """A sentence of a known type whose fields do not parse."""


@dataclass
class NmeaStats:
    """What an NMEA log held: sentences read by type, and what was skipped and why."""

    sentences: int = 0
    rmc: int = 0
    rmc_valid: int = 0
    gga: int = 0
    gll: int = 0
    zda: int = 0
    vtg: int = 0
    bad_checksum: int = 0
    no_checksum: int = 0
    unparsed: int = 0
    out_of_range: int = 0
    gll_ignored: int = 0
    arrival_minus_gps_s: list[float] = field(default_factory=list, repr=False)


@dataclass
class Sentence:
    """One checked sentence. ``valid`` is None for sentences that say nothing about a fix."""

    kind: str
    tod: str | None = None
    arrival_ms: int | None = None
    lat: float = math.nan
    lon: float = math.nan
    valid: bool | None = None
    fix: int = 0
    speed_mps: float = math.nan
    course_deg: float = math.nan
    hdop: float = math.nan
    dmy: tuple[int, int, int] | None = None  # RMC day, month, two-digit year
    day: date | None = None  # ZDA's full date
    out_of_range: bool = False


def nmea_bytes(data: bytes) -> bytes:
    """The log as ASCII-compatible bytes: UTF-16 (by its byte-order mark) is decoded,
    a UTF-8 byte-order mark dropped; anything else is returned as it is."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace").encode("ascii", "replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    return data


def checksum_ok(body: bytes, checksum: bytes) -> bool:
    value = 0
    for b in body:
        value ^= b
    return value == int(checksum, 16)


def tod_seconds(tod: str) -> float:
    """Seconds since midnight of a checked ``hhmmss[.sss]``."""
    return int(tod[0:2]) * 3600 + int(tod[2:4]) * 60 + float(tod[4:])


def _tod(value: str) -> str:
    m = _TOD.fullmatch(value)
    if not m or int(m[1]) > 23 or int(m[2]) > 59 or float(m[3]) >= 61:
        raise BadSentence(f"bad time {value!r}")
    return value


def _coord(value: str, hemi: str, hemis: str, limit: float) -> tuple[float, bool]:
    """(degrees, out_of_range) of an NMEA ``[d]ddmm.mmmm`` and its hemisphere; NaN when empty.

    The degrees are every digit before the two of whole minutes (as pynmea2 reads them).
    """
    if not value:  # no fix yet (a hemisphere letter alone is written by some receivers)
        return math.nan, False
    head = value.split(".")[0]
    if not _COORD.fullmatch(value) or hemi not in tuple(hemis) or len(head) < 3:
        raise BadSentence(f"bad coordinate {value!r},{hemi!r}")
    minutes = float(value[len(head) - 2 :])
    out = int(head[:-2]) + minutes / 60.0
    if minutes >= 60.0 or out > limit:
        return math.nan, True
    return (-out if hemi in ("S", "W") else out), False


def _float(value: str) -> float:
    if not value:
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise BadSentence(f"bad number {value!r}") from None


def _position(s: Sentence, f: list[str], i: int) -> None:
    lat, bad_lat = _coord(f[i], f[i + 1], "NS", 90.0)
    lon, bad_lon = _coord(f[i + 2], f[i + 3], "EW", 180.0)
    if bad_lat or bad_lon or math.isnan(lat) != math.isnan(lon):
        s.out_of_range = bad_lat or bad_lon
        return
    s.lat, s.lon = lat, lon


def _rmc(s: Sentence, f: list[str]) -> None:
    if len(f) < 9:
        raise BadSentence("RMC with fewer than 9 fields")
    s.tod = _tod(f[0]) if f[0] else None
    if f[1] not in ("A", "V"):
        raise BadSentence(f"RMC status {f[1]!r}")
    mode = f[11] if len(f) > 11 else ""
    s.valid = f[1] == "A" and mode != "N"
    _position(s, f, 2)
    s.speed_mps = _float(f[6]) * KNOT_MPS
    s.course_deg = _float(f[7])
    if f[8]:
        if len(f[8]) != 6 or not f[8].isdigit():
            raise BadSentence(f"bad RMC date {f[8]!r}")
        s.dmy = (int(f[8][0:2]), int(f[8][2:4]), int(f[8][4:6]))


def _gga(s: Sentence, f: list[str]) -> None:
    if len(f) < 8:
        raise BadSentence("GGA with fewer than 8 fields")
    s.tod = _tod(f[0]) if f[0] else None
    if f[5] and not f[5].isdigit():
        raise BadSentence(f"GGA fix quality {f[5]!r}")
    s.fix = GGA_FIX.get(int(f[5]) if f[5] else 0, 0)
    s.valid = s.fix > 0
    _position(s, f, 1)
    s.hdop = _float(f[7])


def _gll(s: Sentence, f: list[str]) -> None:
    if len(f) < 6:
        raise BadSentence("GLL with fewer than 6 fields")
    s.tod = _tod(f[4]) if f[4] else None
    if f[5] not in ("A", "V"):
        raise BadSentence(f"GLL status {f[5]!r}")
    mode = f[6] if len(f) > 6 else ""
    s.valid = f[5] == "A" and mode != "N"
    _position(s, f, 0)


def _zda(s: Sentence, f: list[str]) -> None:
    if len(f) < 4:
        raise BadSentence("ZDA with fewer than 4 fields")
    s.tod = _tod(f[0]) if f[0] else None
    if f[1] and f[2] and f[3]:
        if not (f[1].isdigit() and f[2].isdigit() and f[3].isdigit() and len(f[3]) == 4):
            raise BadSentence(f"bad ZDA date {f[1:4]!r}")
        try:
            s.day = date(int(f[3]), int(f[2]), int(f[1]))
        except ValueError as err:
            raise BadSentence(f"bad ZDA date ({err})") from None


def _vtg(s: Sentence, f: list[str]) -> None:
    s.course_deg = _float(f[0]) if f else math.nan
    knots = _float(f[4]) if len(f) > 4 else math.nan
    kmh = _float(f[6]) if len(f) > 6 else math.nan
    s.speed_mps = knots * KNOT_MPS if not math.isnan(knots) else kmh / 3.6


_PARSERS = {"RMC": _rmc, "GGA": _gga, "GLL": _gll, "ZDA": _zda, "VTG": _vtg}


def parse_sentence(kind: str, fields: list[str], arrival_ms: int | None = None) -> Sentence:
    """One sentence's fields (after the type, without checksum). Raises :class:`BadSentence`."""
    s = Sentence(kind=kind, arrival_ms=arrival_ms)
    _PARSERS[kind](s, fields)
    return s


def scan_sentences(data: bytes, stats: NmeaStats) -> list[Sentence]:
    """Every checked sentence of a log, in file order; ``stats`` counts them and the skipped."""
    out: list[Sentence] = []
    counts: Counter[str] = Counter()
    for m in SENTENCE_RE.finditer(nmea_bytes(data)):
        prefix, talker, kind_b, body, cs = m.groups()
        kind = kind_b.decode()
        if cs is not None and not checksum_ok(talker + kind_b + b"," + body, cs):
            stats.bad_checksum += 1
            continue
        fields = body.decode("ascii", "replace").split(",")
        if cs is None and len(fields) not in _FIELD_COUNTS[kind]:
            stats.unparsed += 1
            continue
        try:
            s = parse_sentence(kind, fields, int(prefix) if prefix else None)
        except BadSentence:
            stats.unparsed += 1
            continue
        stats.no_checksum += cs is None
        stats.sentences += 1
        stats.out_of_range += s.out_of_range
        counts[kind] += 1
        stats.rmc_valid += kind == "RMC" and bool(s.valid)
        out.append(s)
    stats.rmc, stats.gga, stats.gll = counts["RMC"], counts["GGA"], counts["GLL"]
    stats.zda, stats.vtg = counts["ZDA"], counts["VTG"]
    return out


def looks_like_nmea(head: bytes) -> bool:
    """True when a file start holds at least one RMC/GGA/GLL/ZDA/VTG sentence that checks."""
    stats = NmeaStats()
    return bool(scan_sentences(head, stats))
