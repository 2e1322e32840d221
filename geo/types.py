"""The dataclasses that cross stage boundaries in and out of :mod:`geo`.

* :class:`Track`: any GPS source, read into one validated form.
* :class:`FrameQuality` and :class:`SampledFrame`: a frame chosen by distance
  travelled, placed in space and time, ready for the detector.
* :class:`Observation`: one detection placed on the ground and on the network,
  ready for the store.
* :class:`DefectCandidate`: merged sightings (one real defect), ready for the store.

Each is frozen and validated in ``__post_init__``; invalid data raises
``ValueError`` at the boundary rather than far downstream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

TRACK_FIELDS = ("lon", "lat", "speed_mps", "heading_deg", "fix_quality", "hdop")


def _check_lonlat(lon: float, lat: float) -> None:
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"lon/lat out of range: {lon}, {lat}")


def _check_aware(t: datetime, name: str) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


@dataclass(frozen=True)
class Track:
    """A GPS track: parallel arrays sorted by strictly increasing UTC time.

    ``time`` is ``datetime64[ns]`` in UTC (naive numpy values meaning UTC).
    ``speed_mps`` and ``heading_deg`` are derived where the source lacks them.
    ``fix_quality``: 0 no fix, 1 GPS/2D, 2 DGPS/3D (per source; >0 means valid).
    ``hdop`` is NaN where unknown. ``ingest_counts``: what reading and cleaning
    skipped, dropped, merged or accepted on the way, by reason (for example
    ``{"dropped_status_v": 3, "merged_same_time": 2}``; see
    :data:`geo.ingest.track_clean.COUNT_REASONS`).
    """

    time: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    speed_mps: np.ndarray
    heading_deg: np.ndarray
    fix_quality: np.ndarray
    hdop: np.ndarray
    source: str = ""
    dropped_outliers: int = 0
    merged_duplicates: int = 0
    ingest_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.time)
        if self.time.dtype != np.dtype("datetime64[ns]"):
            raise ValueError(f"Track.time must be datetime64[ns], got {self.time.dtype}")
        for name in TRACK_FIELDS:
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != (n,):
                raise ValueError(f"Track.{name} must be an array of length {n}")
        if n > 1 and not np.all(np.diff(self.time.astype("int64")) > 0):
            raise ValueError("Track.time must be strictly increasing")
        if n and (np.nanmax(np.abs(self.lat)) > 90 or np.nanmax(np.abs(self.lon)) > 180):
            raise ValueError("Track lon/lat out of range")
        if (
            self.dropped_outliers < 0
            or self.merged_duplicates < 0
            or any(v < 0 for v in self.ingest_counts.values())
        ):
            raise ValueError("counts must be >= 0")

    def __len__(self) -> int:
        return len(self.time)

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of fixes that are usable (fix_quality > 0)."""
        return self.fix_quality > 0

    @property
    def start(self) -> datetime | None:
        return _to_datetime(self.time[0]) if len(self) else None

    @property
    def end(self) -> datetime | None:
        return _to_datetime(self.time[-1]) if len(self) else None

    def to_geodataframe(self):  # -> geopandas.GeoDataFrame (EPSG:4326)
        """The fixes as a point GeoDataFrame in EPSG:4326."""
        import geopandas as gpd
        import pandas as pd

        df = pd.DataFrame({"time": pd.to_datetime(self.time, utc=True)})
        for name in TRACK_FIELDS:
            df[name] = getattr(self, name)
        return gpd.GeoDataFrame(
            df, geometry=gpd.points_from_xy(self.lon, self.lat), crs="EPSG:4326"
        )


def _to_datetime(t: np.datetime64) -> datetime:
    ns = int(np.datetime64(t, "ns").astype("int64"))
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


@dataclass(frozen=True)
class FrameQuality:
    """Capture quality of one frame. ``usable`` is decided against thresholds."""

    brightness: float  # mean luma 0..255
    blur: float  # variance of the Laplacian (higher = sharper)
    glare: float  # fraction of near-saturated pixels 0..1
    hdop: float = math.nan  # GPS precision at that time, NaN if unknown
    fix_quality: int = 1
    usable: bool = True
    reasons: tuple[str, ...] = ()  # why not usable: "dark", "blurred", "glare", "gps"

    def __post_init__(self) -> None:
        if not 0.0 <= self.brightness <= 255.0:
            raise ValueError("brightness must be within 0..255")
        if self.blur < 0:
            raise ValueError("blur must be >= 0")
        if not 0.0 <= self.glare <= 1.0:
            raise ValueError("glare must be within 0..1")
        if self.usable and self.reasons:
            raise ValueError("a usable frame has no rejection reasons")


@dataclass(frozen=True)
class SampledFrame:
    """One frame chosen by distance travelled, with its place, time and quality."""

    frame_index: int  # index in the video stream (or image number in a JPEG folder)
    video_time_s: float  # presentation time from the start of the video
    time: datetime  # UTC, after clock-offset correction
    lon: float
    lat: float
    heading_deg: float
    speed_mps: float
    distance_m: float  # distance travelled along the track since the start of the survey
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # BGR uint8 HxWx3
    quality: FrameQuality | None = None
    source: str = ""  # the video or image file

    def __post_init__(self) -> None:
        if self.frame_index < 0:
            raise ValueError("frame_index must be >= 0")
        _check_lonlat(self.lon, self.lat)
        _check_aware(self.time, "SampledFrame.time")
        if not 0.0 <= self.heading_deg < 360.0 and not math.isnan(self.heading_deg):
            raise ValueError("heading_deg must be within [0, 360)")
        if self.image is not None and (
            self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8
        ):
            raise ValueError("image must be an HxWx3 uint8 BGR array")

    @property
    def usable(self) -> bool:
        return self.quality is None or self.quality.usable


@dataclass(frozen=True)
class Observation:
    """One detection in one frame, placed on the ground and (when matched) on the network."""

    class_name: str
    confidence: float
    xyxy: tuple[float, float, float, float]
    lon: float
    lat: float
    width_m: float  # estimated object width on the ground
    time: datetime
    frame_index: int
    source: str = ""  # video/image file of the frame
    segment_id: str | None = None
    chainage_m: float | None = None  # along the segment's digitised direction
    offset_m: float | None = (
        None  # signed lateral offset from the centreline (+ = left of digitised direction)
    )
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.class_name:
            raise ValueError("class_name is required")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence must be within 0..1")
        x1, y1, x2, y2 = self.xyxy
        if x2 < x1 or y2 < y1:
            raise ValueError("xyxy must have x1<=x2 and y1<=y2")
        _check_lonlat(self.lon, self.lat)
        _check_aware(self.time, "Observation.time")
        if self.width_m < 0:
            raise ValueError("width_m must be >= 0")
        if (self.segment_id is None) != (self.chainage_m is None):
            raise ValueError("segment_id and chainage_m go together")


@dataclass(frozen=True)
class DefectCandidate:
    """Sightings merged into one real defect (new, or an update to a stored one)."""

    class_name: str
    lon: float
    lat: float
    segment_id: str | None
    chainage_m: float | None
    offset_m: float | None
    first_seen: datetime
    last_seen: datetime
    sightings: int
    max_width_m: float
    best_confidence: float
    best_frame_index: int
    best_source: str = ""
    defect_id: int | None = None  # set when this updates a stored defect
    observation_keys: tuple[int, ...] = ()  # indexes into the observation list merged here

    def __post_init__(self) -> None:
        _check_lonlat(self.lon, self.lat)
        _check_aware(self.first_seen, "first_seen")
        _check_aware(self.last_seen, "last_seen")
        if self.last_seen < self.first_seen:
            raise ValueError("last_seen must be >= first_seen")
        if self.sightings < 1:
            raise ValueError("sightings must be >= 1")
        if not 0.0 <= self.best_confidence <= 1.0:
            raise ValueError("best_confidence must be within 0..1")
