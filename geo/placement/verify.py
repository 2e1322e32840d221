"""Verify contractors' repair claims from later footage.

A claimed repair is checked on the first survey after the claim that passes the
defect with the defect in the camera's view: ahead of the vehicle within
``min_range_m``–``max_range_m``, within ``max_lateral_m`` either side, and
inside the image. Then

* seen again (a sighting of its class merged into it) → ``still_present``;
* in view of at least ``min_frames_in_view`` usable frames and never seen →
  ``repaired`` (the evidence lists those frames, for the inspector to look at);
* otherwise → ``not_checked``: the survey did not pass it well enough to say.

A camera cannot measure depth, so "repaired" means "no defect visible where one
was", the same test an inspector's drive-by makes; the frames are kept as
evidence before payment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from geo.crs import xy_from_lonlat
from geo.placement.camera import CameraModel, pixel_from_ground_point, vehicle_point_from_en
from geo.types import SampledFrame

VERDICTS = ("repaired", "still_present", "not_checked")


@dataclass(frozen=True)
class RepairCheck:
    """A defect under a pending repair claim."""

    defect_id: int
    class_name: str
    lon: float
    lat: float
    claimed_at: datetime

    def __post_init__(self) -> None:
        if self.claimed_at.tzinfo is None:
            raise ValueError("claimed_at must be timezone-aware")


@dataclass(frozen=True)
class RepairVerdict:
    """What a survey says about one claimed repair, with the frames that show it."""

    defect_id: int
    verdict: str
    frames_in_view: int
    sightings: int
    evidence_frames: tuple[
        tuple[str, int], ...
    ] = ()  # (source, frame_index) of frames that saw the spot

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        if self.frames_in_view < 0 or self.sightings < 0:
            raise ValueError("counts must be >= 0")


def frames_viewing_point(
    camera: CameraModel,
    frames: Sequence[SampledFrame],
    lon: float,
    lat: float,
    crs: str,
    *,
    min_range_m: float = 4.0,
    max_range_m: float = 20.0,
    max_lateral_m: float = 6.0,
    shifts_m: Mapping[tuple[str, int], tuple[float, float]] | None = None,
) -> list[SampledFrame]:
    """The usable frames whose camera saw ground point (lon, lat) in range and in the image."""
    usable = [f for f in frames if f.usable and not np.isnan(f.heading_deg)]
    if not usable:
        return []
    fx, fy = xy_from_lonlat([f.lon for f in usable], [f.lat for f in usable], crs)
    if shifts_m:
        d = np.array([shifts_m.get((f.source or "", f.frame_index), (0.0, 0.0)) for f in usable])
        fx, fy = fx + d[:, 0], fy + d[:, 1]
    px, py = xy_from_lonlat(lon, lat, crs)
    fwd, lat_m = vehicle_point_from_en(
        float(px) - fx, float(py) - fy, [f.heading_deg for f in usable]
    )
    fwd = np.asarray(fwd) - camera.forward_offset_m
    lat_m = np.asarray(lat_m) - camera.lateral_offset_m
    ok = (fwd >= min_range_m) & (fwd <= max_range_m) & (np.abs(lat_m) <= max_lateral_m)
    if ok.any():
        u, v = pixel_from_ground_point(
            camera, np.where(ok, fwd, min_range_m), np.where(ok, lat_m, 0.0)
        )
        ok &= (
            (np.asarray(u) >= 0)
            & (np.asarray(u) < camera.image_width)
            & (np.asarray(v) < camera.image_height)
        )
    return [f for f, keep in zip(usable, ok.tolist(), strict=True) if keep]


def verify_repairs(
    checks: Sequence[RepairCheck],
    frames: Sequence[SampledFrame],
    sightings_by_defect: Mapping[int, int],
    camera: CameraModel,
    crs: str,
    *,
    new_defects: Sequence[tuple[str, float, float, int]] = (),
    near_m: float = 5.0,
    min_frames_in_view: int = 2,
    **view_kwargs,
) -> list[RepairVerdict]:
    """One verdict per claimed defect, from this survey's frames (taken after the claim) and sightings.

    ``sightings_by_defect`` counts the survey's sightings merged into each stored
    defect. ``new_defects`` (class, lon, lat, sightings) are the survey's new
    defects: one of the same class within ``near_m`` of a claimed defect counts as
    seeing it too, so a repair is never passed because a sighting fell just outside
    the merge rules.
    """
    nx, ny = (
        xy_from_lonlat([d[1] for d in new_defects], [d[2] for d in new_defects], crs)
        if new_defects
        else ([], [])
    )
    out = []
    for check in checks:
        later = [f for f in frames if f.time > check.claimed_at]
        viewing = frames_viewing_point(camera, later, check.lon, check.lat, crs, **view_kwargs)
        seen = int(sightings_by_defect.get(check.defect_id, 0))
        if new_defects:
            cx, cy = xy_from_lonlat(check.lon, check.lat, crs)
            dist = np.hypot(np.asarray(nx) - float(cx), np.asarray(ny) - float(cy))
            seen += sum(
                d[3]
                for d, r in zip(new_defects, dist.tolist(), strict=True)
                if d[0] == check.class_name and r <= near_m
            )
        keys = tuple((f.source or "", f.frame_index) for f in viewing)
        if seen:
            verdict = "still_present"
        elif len(viewing) >= min_frames_in_view:
            verdict = "repaired"
        else:
            verdict = "not_checked"
        out.append(RepairVerdict(check.defect_id, verdict, len(viewing), seen, keys))
    return out
