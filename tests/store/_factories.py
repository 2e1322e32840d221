"""Small, hand-checkable test data for the store tests (made here, not copied from anywhere)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from geo.types import DefectCandidate, FrameQuality, Observation, SampledFrame

T0 = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
# Rochester, Medway: a short run east along a street, ~5 m per frame (1e-5 deg lat ~ 1.11 m).
LON0, LAT0 = 0.5040, 51.3890
DLON = 0.00007  # ~4.9 m east at this latitude


def frames(n: int = 5, source: str = "cam1.mp4", start: int = 0) -> list[SampledFrame]:
    out = []
    for i in range(start, start + n):
        q = FrameQuality(
            brightness=120.0, blur=300.0, glare=0.01, hdop=0.9 if i % 2 == 0 else float("nan")
        )
        out.append(
            SampledFrame(
                frame_index=i * 10,
                video_time_s=i / 3,
                time=T0 + timedelta(seconds=i),
                lon=LON0 + i * DLON,
                lat=LAT0,
                heading_deg=90.0,
                speed_mps=5.0,
                distance_m=5.0 * i,
                quality=q,
                source=source,
            )
        )
    return out


def observation(
    frame_index: int,
    cls: str = "pothole",
    box=(100.2, 200.4, 180.6, 260.0),
    conf: float = 0.8,
    lon: float = LON0,
    lat: float = LAT0,
    source: str = "cam1.mp4",
    seg: str | None = "s1",
) -> Observation:
    return Observation(
        class_name=cls,
        confidence=conf,
        xyxy=box,
        lon=lon,
        lat=lat,
        width_m=0.4,
        time=T0,
        frame_index=frame_index,
        source=source,
        segment_id=seg,
        chainage_m=12.5 if seg else None,
        offset_m=-1.0 if seg else None,
    )


def candidate(
    lon: float = LON0,
    lat: float = LAT0,
    cls: str = "pothole",
    sightings: int = 2,
    defect_id=None,
    best_frame_index: int = 10,
    keys=(),
    last_seen=None,
) -> DefectCandidate:
    return DefectCandidate(
        class_name=cls,
        lon=lon,
        lat=lat,
        segment_id="s1",
        chainage_m=12.5,
        offset_m=-1.0,
        first_seen=T0,
        last_seen=last_seen or T0 + timedelta(seconds=2),
        sightings=sightings,
        max_width_m=0.45,
        best_confidence=0.8,
        best_frame_index=best_frame_index,
        best_source="cam1.mp4",
        defect_id=defect_id,
        observation_keys=tuple(keys),
    )


def sha(n: int) -> str:
    return f"{n:064x}"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The web-mercator tile (z, x, y) holding a point."""
    n = 2**z
    y = (1 - math.log(math.tan(math.radians(45 + lat / 2))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)
