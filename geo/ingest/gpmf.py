"""GoPro GPMF telemetry: GPS from the ``gpmd`` track of an MP4, or a raw payload file.

Two small parsers, no dependencies:

* **MP4 boxes** (ISO BMFF): ``moov/trak`` whose ``mdia/hdlr`` handler is
  ``meta`` and whose ``stsd`` sample entry is ``gpmd``; the payload byte
  ranges come from ``stsz`` (sizes), ``stsc`` (samples per chunk) and
  ``stco``/``co64`` (chunk offsets), their times from ``stts`` and ``mdhd``.
* **GPMF KLV**: 4-byte key, 1-byte type, 1-byte struct size, 2-byte repeat,
  data padded to 4 bytes; type 0 nests (``DEVC`` > ``STRM``). In a stream,
  ``GPS5`` (lat, lon, alt, 2D speed, 3D speed; int32) is divided by the
  preceding ``SCAL``; ``GPSU`` is the UTC time (``yymmddhhmmss.sss``) of the
  payload's first GPS sample; ``GPSF`` the fix (0 none, 2 2D, 3 3D);
  ``GPSP`` the DOP × 100. HERO11+ ``GPS9`` (complex type ``lllllllSS``: lat,
  lon, alt, 2D and 3D speed, days since 2000, seconds of day, DOP, fix) is
  read too, with each sample's own time; it replaces GPS5 where both exist.

Sample times: the n GPS5 samples of a payload are spread evenly from that
payload's GPSU over the payload's duration (``stts``; 1 s for raw files,
which carry no timing). A GoPro MP4's first payload starts at media time 0,
so ``GPSU(first) − media time`` is the video's UTC start (:func:`gpmf_video_start`).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

log = logging.getLogger(__name__)

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"}
_NUM = {
    ord("b"): ">b", ord("B"): ">B", ord("s"): ">h", ord("S"): ">H", ord("l"): ">i",
    ord("L"): ">I", ord("f"): ">f", ord("d"): ">d", ord("j"): ">q", ord("J"): ">Q",
}  # fmt: skip
GPMF_FIX = {0: 0, 2: 1, 3: 2}  # GPSF -> Track fix_quality


@dataclass(frozen=True)
class GpmdSample:
    """One gpmd payload: where it lies in the file and when it plays."""

    offset: int
    size: int
    time_s: float
    duration_s: float


# --------------------------------------------------------------------------- MP4


def _boxes(buf: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) for the boxes in ``buf[start:end]``."""
    end = len(buf) if end is None else end
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack_from(">I4s", buf, i)
        hdr = 8
        if size == 1:
            size = struct.unpack_from(">Q", buf, i + 8)[0]
            hdr = 16
        elif size == 0:
            size = end - i
        if size < hdr or i + size > end:
            raise ValueError(f"box {typ!r} at {i} overruns its parent")
        yield typ, i + hdr, i + size
        i += size


def _find(buf: bytes, start: int, end: int, path: list[bytes]) -> tuple[int, int] | None:
    for typ, s, e in _boxes(buf, start, end):
        if typ == path[0]:
            return (s, e) if len(path) == 1 else _find(buf, s, e, path[1:])
    return None


def _read_moov(path: Path) -> bytes:
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        pos = 0
        while pos + 8 <= size:
            fh.seek(pos)
            hdr = fh.read(16)
            box_size, typ = struct.unpack_from(">I4s", hdr)
            if box_size == 1:
                box_size = struct.unpack_from(">Q", hdr, 8)[0]
            elif box_size == 0:
                box_size = size - pos
            if box_size < 8:
                break
            if typ == b"moov":
                fh.seek(pos)
                data = fh.read(box_size)
                if len(data) < box_size:
                    break
                return data
            pos += box_size
    raise CorruptInputError("no complete 'moov' box (truncated or not an MP4)", path=str(path))


def gpmd_samples(path: str | Path) -> list[GpmdSample]:
    """The payloads of the GoPro ``gpmd`` track of an MP4/MOV ([] when it has none)."""
    return track_samples(path, b"gpmd")


def track_samples(path: str | Path, sample_format: bytes) -> list[GpmdSample]:
    """The samples of the first track whose sample entry is ``sample_format`` (``gpmd``,
    ``camm``): byte ranges and media times ([] when the file has no such track)."""
    path = Path(path)
    moov = _read_moov(path)
    try:
        for typ, s, e in _boxes(moov, 8):
            if typ != b"trak":
                continue
            stbl = _find(moov, s, e, [b"mdia", b"minf", b"stbl"])
            mdhd = _find(moov, s, e, [b"mdia", b"mdhd"])
            stsd = _find(moov, *stbl, [b"stsd"]) if stbl else None
            if not stsd or not mdhd or moov[stsd[0] + 12 : stsd[0] + 16] != sample_format:
                continue
            return _sample_table(moov, stbl, mdhd)
    except (ValueError, KeyError, IndexError, struct.error) as err:
        raise CorruptInputError(f"bad MP4 box structure ({err})", path=str(path)) from None
    return []


def _sample_table(moov: bytes, stbl: tuple[int, int], mdhd: tuple[int, int]) -> list[GpmdSample]:
    version = moov[mdhd[0]]
    timescale = struct.unpack_from(">I", moov, mdhd[0] + (20 if version == 1 else 12))[0]
    tables = {typ: (s, e) for typ, s, e in _boxes(moov, *stbl)}

    def entries(name: bytes, fmt: str) -> list[tuple]:
        s, _ = tables[name]
        n = struct.unpack_from(">I", moov, s + 4)[0]
        width = struct.calcsize(fmt)
        return [struct.unpack_from(fmt, moov, s + 8 + k * width) for k in range(n)]

    s, _ = tables[b"stsz"]
    fixed, count = struct.unpack_from(">II", moov, s + 4)
    sizes = [fixed] * count if fixed else list(struct.unpack_from(f">{count}I", moov, s + 12))
    if b"co64" in tables:
        chunks = [c[0] for c in entries(b"co64", ">Q")]
    else:
        chunks = [c[0] for c in entries(b"stco", ">I")]
    stsc = entries(b"stsc", ">III")  # first_chunk (1-based), samples_per_chunk, desc index
    offsets: list[int] = []
    for k, (first, per_chunk, _) in enumerate(stsc):
        last = stsc[k + 1][0] - 1 if k + 1 < len(stsc) else len(chunks)
        for c in range(first - 1, last):
            pos = chunks[c]
            for _ in range(per_chunk):
                if len(offsets) == count:
                    break
                offsets.append(pos)
                pos += sizes[len(offsets) - 1]
    durations: list[int] = []
    for n, delta in entries(b"stts", ">II"):
        durations.extend([delta] * n)
    out, t = [], 0
    for i in range(min(count, len(offsets), len(durations))):
        out.append(GpmdSample(offsets[i], sizes[i], t / timescale, durations[i] / timescale))
        t += durations[i]
    return out


# --------------------------------------------------------------------------- GPMF KLV


def _klv(buf: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int, int]]:
    """(key, type, struct size, repeat, data start) for the KLV items in ``buf[start:end]``."""
    i = start
    while i + 8 <= end:
        key, typ, ssize, repeat = struct.unpack_from(">4sBBH", buf, i)
        if key == b"\0\0\0\0":
            break
        n = ssize * repeat
        if i + 8 + n > end:
            raise ValueError(f"GPMF item {key!r} at {i} overruns its payload")
        yield key, typ, ssize, repeat, i + 8
        i += 8 + ((n + 3) & ~3)


def _values(buf: bytes, typ: int, ssize: int, repeat: int, pos: int) -> np.ndarray:
    fmt = _NUM[typ]
    width = struct.calcsize(fmt)
    per = ssize // width
    arr = np.frombuffer(buf, dtype=np.dtype(fmt.replace(">", ">")), count=per * repeat, offset=pos)
    return arr.reshape(repeat, per).astype(float)


@dataclass
class _GpsBlock:
    utc: datetime | None
    fix: int
    dop: float
    values: np.ndarray  # (n, >=5) scaled: lat, lon, alt, speed2d, speed3d[, days, secs, dop, fix]
    gps9: bool = False  # GPS9 (HERO11+): every sample carries its own time, DOP and fix


_GPS9_EPOCH = np.datetime64("2000-01-01T00:00:00", "ns")


def _gps_blocks(buf: bytes, start: int, end: int) -> Iterator[_GpsBlock]:
    """The GPS blocks of a payload; where a device writes both GPS9 and GPS5, only GPS9."""
    blocks = list(_all_blocks(buf, start, end))
    if any(b.gps9 for b in blocks):
        blocks = [b for b in blocks if b.gps9]
    yield from blocks


def _all_blocks(buf: bytes, start: int, end: int) -> Iterator[_GpsBlock]:
    for key, typ, _, _, pos in _klv(buf, start, end):
        if typ == 0 and key == b"DEVC":
            yield from _all_blocks(buf, pos, pos + _nested_len(buf, pos - 8))
        elif typ == 0 and key == b"STRM":
            block = _stream(buf, pos, pos + _nested_len(buf, pos - 8))
            if block is not None:
                yield block


def _complex(buf: bytes, typedef: str, ssize: int, repeat: int, pos: int) -> np.ndarray:
    """Samples of a '?' (complex) item laid out by its TYPE string, e.g. GPS9's ``lllllllSS``."""
    fmt = ">" + "".join(_NUM[ord(c)][1] for c in typedef)
    if struct.calcsize(fmt) != ssize:
        raise ValueError(f"TYPE {typedef!r} does not match struct size {ssize}")
    return np.array(
        [struct.unpack_from(fmt, buf, pos + k * ssize) for k in range(repeat)], dtype=float
    )


def _nested_len(buf: bytes, header: int) -> int:
    _, _, ssize, repeat = struct.unpack_from(">4sBBH", buf, header)
    return ssize * repeat


def _stream(buf: bytes, start: int, end: int) -> _GpsBlock | None:
    scal = np.ones(1)
    utc, fix, dop, gps, typedef, gps9 = None, 0, float("nan"), None, "", False
    for key, typ, ssize, repeat, pos in _klv(buf, start, end):
        if key == b"TYPE":
            typedef = buf[pos : pos + ssize * repeat].split(b"\0")[0].decode("ascii", "replace")
        elif key == b"GPS9" and typ == ord("?") and typedef:
            gps = _complex(buf, typedef, ssize, repeat, pos)
            gps = gps / (scal if len(scal) in (1, gps.shape[1]) else scal[0])
            gps9 = True
        elif key == b"SCAL" and typ in _NUM:
            scal = _values(buf, typ, ssize, repeat, pos).reshape(-1)
        elif key == b"GPSU":
            text = buf[pos : pos + ssize * repeat].split(b"\0")[0].decode("ascii", "replace")
            try:
                utc = datetime.strptime(text[:16], "%y%m%d%H%M%S.%f").replace(tzinfo=UTC)
            except ValueError:
                utc = None
        elif key == b"GPSF" and typ in _NUM:
            fix = int(_values(buf, typ, ssize, repeat, pos).reshape(-1)[0])
        elif key == b"GPSP" and typ in _NUM:
            dop = float(_values(buf, typ, ssize, repeat, pos).reshape(-1)[0]) / 100.0
        elif key == b"GPS5" and typ in _NUM:
            gps = _values(buf, typ, ssize, repeat, pos)
            gps = gps / (scal if len(scal) in (1, gps.shape[1]) else scal[0])
    if gps is None:
        return None
    return _GpsBlock(utc, fix, dop, gps, gps9)


# --------------------------------------------------------------------------- tracks


def _to_track(blocks: list[tuple[_GpsBlock, float]], path: Path, max_speed_kmh: float) -> Track:
    times, lon, lat, speed, fix, hdop = [], [], [], [], [], []
    for block, duration in blocks:
        if block.gps9:  # lat, lon, alt, speed2d, speed3d, days since 2000, secs of day, DOP, fix
            for row in block.values:
                ns = int(round((row[5] * 86400.0 + row[6]) * 1e9))
                times.append(_GPS9_EPOCH + np.timedelta64(ns, "ns"))
                lat.append(row[0])
                lon.append(row[1])
                speed.append(row[3])
                hdop.append(row[7])
                fix.append(GPMF_FIX.get(int(row[8]), 0))
            continue
        if block.utc is None:
            continue
        n = len(block.values)
        base = np.datetime64(block.utc.replace(tzinfo=None), "ns")
        step_ns = duration * 1e9 / n
        for j, row in enumerate(block.values):
            times.append(base + np.timedelta64(round(j * step_ns), "ns"))
            lat.append(row[0])
            lon.append(row[1])
            speed.append(row[3])
            fix.append(GPMF_FIX.get(block.fix, 0))
            hdop.append(block.dop)
    if not times:
        raise GPSError(
            "GPMF has no GPS5 samples with a GPSU time (nor GPS9 samples)", path=str(path)
        )
    lon_a, lat_a = np.array(lon), np.array(lat)
    fix_a = np.array(fix)
    # a GoPro without lock writes zeros (or its last position) with GPSF 0: those are not fixes
    fix_a[(lon_a == 0) & (lat_a == 0)] = 0
    track = track_from_fixes(
        np.array(times, dtype="datetime64[ns]"), lon_a, lat_a, speed_mps=speed, fix_quality=fix_a,
        hdop=hdop, source=str(path), max_speed_kmh=max_speed_kmh,
    )  # fmt: skip
    if not track.valid.any():
        raise GPSError(f"no valid GPS fix in GPMF ({len(track)} samples, GPSF 0)", path=str(path))
    return track


def read_gpmf_mp4(path: str | Path, *, max_speed_kmh: float = 200.0) -> Track:
    """GPS from the ``gpmd`` track of a GoPro MP4/MOV. :class:`GPSError` if it has none."""
    path = Path(path)
    samples = gpmd_samples(path)
    if not samples:
        raise GPSError("no GoPro 'gpmd' telemetry track in this video", path=str(path))
    blocks = []
    with path.open("rb") as fh:
        for smp in samples:
            fh.seek(smp.offset)
            buf = fh.read(smp.size)
            if len(buf) < smp.size:
                raise CorruptInputError(
                    "gpmd payload beyond end of file (truncated)", path=str(path)
                )
            try:
                blocks.extend((b, smp.duration_s) for b in _gps_blocks(buf, 0, len(buf)))
            except (ValueError, struct.error) as err:
                raise CorruptInputError(
                    f"bad GPMF payload at byte {smp.offset} ({err})", path=str(path)
                ) from None
    return _to_track(blocks, path, max_speed_kmh)


def read_gpmf_raw(
    path: str | Path, *, payload_duration_s: float = 1.0, max_speed_kmh: float = 200.0
) -> Track:
    """GPS from a bare GPMF payload file (``.raw``/``.bin``); each payload is taken to last 1 s."""
    path = Path(path)
    buf = path.read_bytes()
    if not looks_like_gpmf(buf[:8]):
        raise CorruptInputError("not a GPMF payload (no DEVC at the start)", path=str(path))
    try:
        blocks = [(b, payload_duration_s) for b in _gps_blocks(buf, 0, len(buf))]
    except (ValueError, struct.error) as err:
        raise CorruptInputError(f"bad GPMF payload ({err})", path=str(path)) from None
    if not blocks:
        raise GPSError("GPMF payload has no GPS5 stream", path=str(path))
    return _to_track(blocks, path, max_speed_kmh)


def looks_like_gpmf(head: bytes) -> bool:
    """True when bytes start like a GPMF payload (a nested ``DEVC``)."""
    return len(head) >= 8 and head[:4] == b"DEVC" and head[4] == 0


def gpmf_video_start(path: str | Path) -> datetime | None:
    """UTC start of a GoPro video from its first GPS payload (GPSU − media time); None without one."""
    path = Path(path)
    try:
        samples = gpmd_samples(path)
    except CorruptInputError:
        return None
    with path.open("rb") as fh:
        for smp in samples:
            fh.seek(smp.offset)
            buf = fh.read(smp.size)
            try:
                for block in _gps_blocks(buf, 0, len(buf)):
                    if block.gps9 and len(block.values):
                        days, secs = block.values[0][5], block.values[0][6]
                        first = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
                            days=days, seconds=secs
                        )
                        return first - timedelta(seconds=smp.time_s)
                    if block.utc is not None:
                        return block.utc - timedelta(seconds=smp.time_s)
            except (ValueError, struct.error):
                return None
    return None
