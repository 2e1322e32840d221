"""Put a survey's observations on the network: correct frame poses, then snap.

GPS puts a vehicle ~2–5 m off its true position. Across the road that error can
be removed: the frames are map-matched as one track (:func:`geo.network.matching.match_track`),
so each frame's pose is moved onto its matched road, then to the lane the vehicle
drives in (``lane_offset_m`` to the ``drive_side`` of the direction of travel: left
in the UK). Each observation moves with its frame. Along the road the GPS error
stays; it is what remains of the placement error (see docs/camera.md).

Observations are then snapped to their nearest segment for segment id, chainage
and lateral offset (:func:`geo.network.matching.snap_points_to_network`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.crs import lonlat_from_xy, xy_from_lonlat
from geo.types import Observation, SampledFrame
from roadcam.errors import MatchingError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoseCorrection:
    """How each frame's pose was moved, metres in the network CRS, keyed by ``(source, frame_index)``."""

    shift_m: dict[tuple[str, int], tuple[float, float]]
    frames_matched: int
    frames_total: int

    @property
    def median_shift_m(self) -> float:
        if not self.shift_m:
            return 0.0
        return float(np.median([np.hypot(*d) for d in self.shift_m.values()]))


def correct_frame_poses(
    network,
    frames: Sequence[SampledFrame],
    *,
    lane_offset_m: float = 1.6,
    drive_side: str = "left",
    max_shift_m: float = 10.0,
) -> PoseCorrection:
    """Map-match the frames and move each matched one onto its lane (see module docstring)."""
    from shapely import line_interpolate_point

    from geo.network.matching import match_track

    if drive_side not in ("left", "right"):
        raise ValueError("drive_side must be 'left' or 'right'")
    if len(frames) < 2:
        return PoseCorrection({}, 0, len(frames))
    order = sorted(range(len(frames)), key=lambda i: frames[i].time)
    fr = [frames[i] for i in order]
    lon = np.array([f.lon for f in fr])
    lat = np.array([f.lat for f in fr])
    times = np.array([np.datetime64(f.time.replace(tzinfo=None), "ns") for f in fr])
    heading = np.array([f.heading_deg for f in fr])
    try:
        m = match_track(network, lon, lat, time=times, heading_deg=heading)
    except MatchingError as err:
        log.warning("frames could not be map-matched (%s): GPS positions kept", err)
        return PoseCorrection({}, 0, len(frames))
    crs = str(network.crs)
    x, y = xy_from_lonlat(lon, lat, crs)
    geoms = network.segments.set_index("segment_id").geometry
    side = 1.0 if drive_side == "left" else -1.0
    shifts: dict[tuple[str, int], tuple[float, float]] = {}
    for k, f in enumerate(fr):
        if not m.matched[k]:
            continue
        line = geoms[m.segment_id[k]]
        ch = float(m.chainage_m[k])
        a = np.asarray(line_interpolate_point(line, max(ch - 1.0, 0.0)).coords[0])
        b = np.asarray(line_interpolate_point(line, min(ch + 1.0, line.length)).coords[0])
        t = b - a
        norm = float(np.hypot(*t))
        if norm == 0:
            continue
        t = t / norm * (-1.0 if m.reverse[k] else 1.0)  # direction of travel
        left = np.array([-t[1], t[0]])
        target = np.array([m.matched_x[k], m.matched_y[k]]) + side * lane_offset_m * left
        d = target - np.array([x[k], y[k]])
        if float(np.hypot(*d)) <= max_shift_m:
            shifts[(f.source or "", f.frame_index)] = (float(d[0]), float(d[1]))
    corr = PoseCorrection(shifts, len(shifts), len(frames))
    log.info(
        "pose correction: %d of %d frames on the network, median shift %.1f m",
        corr.frames_matched,
        corr.frames_total,
        corr.median_shift_m,
    )
    return corr


def shift_observations(
    observations: Sequence[Observation], correction: PoseCorrection, crs: str
) -> list[Observation]:
    """Move each observation by its frame's pose correction."""
    if not observations or not correction.shift_m:
        return list(observations)
    x, y = xy_from_lonlat([o.lon for o in observations], [o.lat for o in observations], crs)
    d = np.array(
        [correction.shift_m.get((o.source or "", o.frame_index), (0.0, 0.0)) for o in observations]
    )
    lon, lat = lonlat_from_xy(x + d[:, 0], y + d[:, 1], crs)
    return [
        dataclasses.replace(o, lon=float(lon[i]), lat=float(lat[i]))
        for i, o in enumerate(observations)
    ]


def snap_observations(
    observations: Sequence[Observation], network, max_distance_m: float = 15.0
) -> list[Observation]:
    """Segment id, chainage and lateral offset for each observation within ``max_distance_m`` of a road."""
    from geo.network.matching import snap_points_to_network

    if network is None or not observations:
        return list(observations)
    x, y = xy_from_lonlat(
        [o.lon for o in observations], [o.lat for o in observations], str(network.crs)
    )
    snapped = snap_points_to_network(network, x, y, max_distance_m=max_distance_m)
    out = []
    for k, obs in enumerate(observations):
        seg = snapped.segment_id[k]
        if not seg:
            out.append(obs)
            continue
        out.append(
            dataclasses.replace(
                obs,
                segment_id=str(seg),
                chainage_m=float(snapped.chainage_m[k]),
                offset_m=float(snapped.offset_m[k]),
            )
        )
    return out


def locate_observations(
    network, frames: Sequence[SampledFrame], observations: Sequence[Observation], **pose_kwargs
) -> tuple[list[Observation], PoseCorrection | None]:
    """Pose-correct then snap a survey's observations. Without a network they are returned as they are."""
    if network is None or not observations:
        return list(observations), None
    correction = correct_frame_poses(network, frames, **pose_kwargs)
    moved = shift_observations(observations, correction, str(network.crs))
    return snap_observations(moved, network), correction
