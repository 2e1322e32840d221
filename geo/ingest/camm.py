"""Google CAMM (Camera Motion Metadata) GPS in MP4: Insta360 and other 360 cameras.

A CAMM track is an MP4 track whose sample entry is ``camm``
(https://developers.google.com/streetview/publish/camm-spec). Each sample is
little-endian: 2 reserved bytes, a 2-byte type, then the data. Two types carry
GPS:

* **type 6** (GPS): ``time_gps_epoch`` (double, seconds since the GPS epoch
  1980-01-06), ``gps_fix_type`` (int32: 0 none, 2 2D, 3 3D), latitude and longitude
  (doubles, degrees), altitude, horizontal and vertical accuracy (m), velocity
  east, north, up (m/s) and speed accuracy (floats). Its own time is used: GPS
  time, so the leap seconds since 1980 (18 since 2017) are taken off to get UTC.
* **type 5** (minimal GPS): latitude, longitude, altitude (doubles) and no time of
  its own; its media time would need the camera's clock to become UTC, and
  cameras write local time as UTC (see the GoPro note in docs/ingest.md), so a
  track with type 5 only is a :class:`GPSError` rather than a guess.

Speed is the horizontal velocity's length, heading its direction from true north.
The MP4 boxes are read by :func:`geo.ingest.gpmf.track_samples`.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from geo.ingest.gpmf import GPMF_FIX, track_samples
from geo.ingest.track_clean import track_from_fixes
from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError

GPS_EPOCH = datetime(1980, 1, 6, tzinfo=UTC)
# GPS time minus UTC, from each leap second's date (IERS bulletins; none added since 2017)
_LEAP = [(datetime(y, m, 1, tzinfo=UTC), n) for n, (y, m) in enumerate(
    [(1981, 7), (1982, 7), (1983, 7), (1985, 7), (1988, 1), (1990, 1), (1991, 1), (1992, 7),
     (1993, 7), (1994, 7), (1996, 1), (1997, 7), (1999, 1), (2006, 1), (2009, 1), (2012, 7),
     (2015, 7), (2017, 1)], start=1)]  # fmt: skip
_GPS6 = struct.Struct("<diddfffffff")  # 56 bytes after the 4-byte header
_MIN_GPS = struct.Struct("<ddd")


def gps_to_utc(seconds_since_gps_epoch: float) -> datetime:
    """UTC of a GPS time (seconds since 1980-01-06, no leap seconds)."""
    gps = GPS_EPOCH + timedelta(seconds=seconds_since_gps_epoch)
    leap = 0
    for when, n in _LEAP:
        if gps - timedelta(seconds=n) >= when:
            leap = n
    return gps - timedelta(seconds=leap)


def camm_samples(path: str | Path):
    """The samples of the MP4's ``camm`` track ([] when it has none)."""
    return track_samples(path, b"camm")


def _rows(path: Path) -> tuple[list[tuple], int]:
    """(type-6 rows, number of type-5 samples) of a CAMM track."""
    rows, minimal = [], 0
    with path.open("rb") as fh:
        for smp in camm_samples(path):
            fh.seek(smp.offset)
            buf = fh.read(smp.size)
            if len(buf) < smp.size or len(buf) < 4:
                raise CorruptInputError(
                    "CAMM sample beyond end of file (truncated)", path=str(path)
                )
            kind = struct.unpack_from("<H", buf, 2)[0]
            if kind == 6 and len(buf) >= 4 + _GPS6.size:
                rows.append(_GPS6.unpack_from(buf, 4))
            elif kind == 5 and len(buf) >= 4 + _MIN_GPS.size:
                minimal += 1
    return rows, minimal


def read_camm_mp4(path: str | Path, *, max_speed_kmh: float = 200.0) -> Track:
    """GPS from the CAMM track of an MP4 (type 6 samples). :class:`GPSError` without them."""
    path = Path(path)
    rows, minimal = _rows(path)
    if not rows:
        why = f"{minimal} minimal GPS samples (type 5) without times" if minimal else "no GPS"
        raise GPSError(f"CAMM track has no timed GPS samples (type 6): {why}", path=str(path))
    times = [np.datetime64(gps_to_utc(r[0]).replace(tzinfo=None), "ns") for r in rows]
    east, north = np.array([r[7] for r in rows]), np.array([r[8] for r in rows])
    track = track_from_fixes(
        np.array(times, dtype="datetime64[ns]"),
        [r[3] for r in rows], [r[2] for r in rows],
        speed_mps=np.hypot(east, north),
        heading_deg=np.where(np.hypot(east, north) > 0.5,
                             np.degrees(np.arctan2(east, north)) % 360.0, math.nan),
        fix_quality=[GPMF_FIX.get(int(r[1]), 0) for r in rows],
        source=str(path), max_speed_kmh=max_speed_kmh,
    )  # fmt: skip
    if not track.valid.any():
        raise GPSError(f"no valid GPS fix in CAMM ({len(rows)} samples, no fix)", path=str(path))
    return track


def camm_video_start(path: str | Path) -> datetime | None:
    """UTC start of a CAMM video: its first type-6 sample's GPS time − media time; None without."""
    path = Path(path)
    try:
        samples = camm_samples(path)
    except CorruptInputError:
        return None
    with path.open("rb") as fh:
        for smp in samples:
            fh.seek(smp.offset)
            buf = fh.read(smp.size)
            if len(buf) >= 4 + _GPS6.size and struct.unpack_from("<H", buf, 2)[0] == 6:
                row = _GPS6.unpack_from(buf, 4)
                if GPMF_FIX.get(int(row[1]), 0) > 0:
                    return gps_to_utc(row[0]) - timedelta(seconds=smp.time_s)
    return None
