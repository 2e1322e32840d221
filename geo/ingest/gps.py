"""``read_track(path)``: any GPS source into one validated :class:`~geo.types.Track`.

The format is decided from the extension **and** the first bytes
(:func:`detect_format`):

=============  ==========================================  =====================
format         files                                       reader
=============  ==========================================  =====================
``gpx``        ``.gpx`` or XML with a ``<gpx`` root          :func:`geo.ingest.gpx.read_gpx`
``nmea``       any file with RMC/GGA/GLL/ZDA/VTG sentences   :func:`geo.ingest.nmea.read_nmea`
               (BlackVue ``[unix_ms]$GPRMC…``, UTF-16 and
               sentences without checksum included)
``gpmf-mp4``   ``.mp4 .mov .360`` with a GoPro gpmd track    :func:`geo.ingest.gpmf.read_gpmf_mp4`
``camm-mp4``   ``.mp4 .mov .360`` with a Google CAMM track     :func:`geo.ingest.camm.read_camm_mp4`
``sidecar``    a video without embedded GPS next to a        the side-car's reader
               ``<stem>.gps/.nmea/.gpx/.csv`` (BlackVue)
``gpmf-raw``   ``.raw .bin`` starting with a GPMF ``DEVC``    :func:`geo.ingest.gpmf.read_gpmf_raw`
``csv``        ``.csv`` (or ``.txt``) with time/lat/lon       :func:`geo.ingest.csvtrack.read_csv_track`
``exif``       a folder or list of JPEGs, or one JPEG        :func:`geo.ingest.exif.read_exif_track`
=============  ==========================================  =====================

Errors (each names the file): missing path → :class:`InputNotFoundError`;
unknown format → :class:`UnsupportedFormatError`; empty or garbage →
:class:`CorruptInputError`; no valid fix → :class:`GPSError`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from geo.types import Track
from roadcam.errors import CorruptInputError, GPSError, InputNotFoundError, UnsupportedFormatError

log = logging.getLogger(__name__)

NMEA_SUFFIXES = {".nmea", ".gps", ".log", ".txt"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".360", ".m4v"}
RAW_SUFFIXES = {".raw", ".bin"}
IMAGE_SUFFIXES = {".jpg", ".jpeg"}
SIDECAR_SUFFIXES = (".gps", ".nmea", ".gpx", ".csv", ".GPS", ".NMEA", ".GPX", ".CSV")
SNIFF_BYTES = 64 * 1024


def find_sidecar(video_path: str | Path) -> Path | None:
    """The GPS side-car sharing a video's base name (``X.mp4`` → ``X.gps`` …), if any.

    BlackVue names its videos ``YYYYMMDD_HHMMSS_NF.mp4`` (F/R = front/rear
    camera) and the side-car ``YYYYMMDD_HHMMSS_N.gps``, so a trailing F/R is
    also tried without.
    """
    p = Path(video_path)
    stems = [p.stem]
    if len(p.stem) > 1 and p.stem[-1] in "FRfr" and "_" in p.stem:
        stems.append(p.stem[:-1])
    for stem in stems:
        for suffix in SIDECAR_SUFFIXES:
            cand = p.with_name(stem + suffix)
            if cand.is_file() and cand != p:
                return cand
    return None


def detect_format(path: str | Path) -> str:
    """The GPS format of ``path`` (see the module table). Raises on unknown/empty input."""
    from geo.ingest.camm import camm_samples
    from geo.ingest.csvtrack import looks_like_csv_track
    from geo.ingest.gpmf import gpmd_samples, looks_like_gpmf
    from geo.ingest.nmea import looks_like_nmea
    from geo.ingest.nmea_sentences import nmea_bytes

    p = Path(path)
    if not p.exists():
        raise InputNotFoundError("no such file or folder", path=str(p))
    if p.is_dir():
        if any(q.suffix.lower() in IMAGE_SUFFIXES for q in p.iterdir()):
            return "exif"
        raise UnsupportedFormatError("folder holds no JPEG images", path=str(p))
    suffix = p.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "exif"
    with p.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise CorruptInputError("empty file", path=str(p))
    text = nmea_bytes(head).decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    if suffix in VIDEO_SUFFIXES or head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        if head[4:8] not in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
            raise CorruptInputError(
                "not an MP4/MOV file (no ISO BMFF box at the start)", path=str(p)
            )
        if gpmd_samples(p):
            return "gpmf-mp4"
        if camm_samples(p):
            return "camm-mp4"
        if find_sidecar(p):
            return "sidecar"
        raise GPSError(
            "video has no embedded GPS (GoPro gpmd or CAMM) and no GPS side-car with its name",
            path=str(p),
        )
    if suffix == ".gpx" or (text.startswith("<") and "<gpx" in text[:2000]):
        return "gpx"
    if looks_like_gpmf(head):
        return "gpmf-raw"
    if looks_like_nmea(head):
        return "nmea"
    if looks_like_csv_track(text):
        return "csv"
    if suffix in NMEA_SUFFIXES | RAW_SUFFIXES | {".csv"}:
        raise CorruptInputError(f"no readable GPS data in this {suffix} file", path=str(p))
    raise UnsupportedFormatError(
        f"unknown GPS format '{suffix or '(no extension)'}' (GPX, NMEA, GoPro MP4/GPMF, CAMM MP4, CSV or JPEG EXIF)",
        path=str(p),
    )


def _call(fn: Callable[..., Track], path, opts: dict) -> Track:
    accepted = inspect.signature(fn).parameters
    return fn(path, **{k: v for k, v in opts.items() if k in accepted and v is not None})


def read_track(path: str | Path | Iterable[str | Path], **opts) -> Track:
    """Read any supported GPS source into a clean :class:`Track`.

    ``path``: a file, a folder of geotagged JPEGs, or a list of JPEG paths.
    ``opts`` go to the reader that accepts them: ``max_speed_kmh`` (all,
    default 200), ``default_date`` (NMEA without RMC), ``utc_offset_h`` (JPEGs
    without GPS time), ``payload_duration_s`` (raw GPMF).
    """
    from geo.ingest import camm, csvtrack, exif, gpmf, gpx, nmea

    if not isinstance(path, (str, Path)):
        return _call(exif.read_exif_track, list(path), opts)
    fmt = detect_format(path)
    log.debug("%s: GPS format %s", path, fmt)
    readers: dict[str, Callable[..., Track]] = {
        "gpx": gpx.read_gpx,
        "nmea": nmea.read_nmea,
        "gpmf-mp4": gpmf.read_gpmf_mp4,
        "camm-mp4": camm.read_camm_mp4,
        "gpmf-raw": gpmf.read_gpmf_raw,
        "csv": csvtrack.read_csv_track,
        "exif": exif.read_exif_track,
    }
    if fmt == "sidecar":
        car = find_sidecar(path)
        assert car is not None
        log.info("%s: using GPS side-car %s", path, car.name)
        return read_track(car, **opts)
    return _call(readers[fmt], path, opts)
