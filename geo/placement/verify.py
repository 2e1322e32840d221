"""Propose a verdict on contractors' repair claims from the footage of a later survey.

A claimed repair is looked at in every usable frame of the first survey after the claim
that has the defect's spot in view (ahead within ``min_range_m``–``max_range_m``, within
``max_lateral_m`` either side, inside the image), and compared with the frames of the
survey that found it (:mod:`geo.placement.spots`). The detector alone cannot tell a fresh
patch from a pothole (it reads the sample's patches as potholes at 0.3–0.5), so each
frame where the spot is close enough to measure (``SpotView``) gets a **change score**
from 0 (the hole is there as before) to 1 (repaired):

* nothing dark is left near the spot, though the hole was plain before → 1;
* else 0.4 × unlikeness (the "before" hole no longer matches anything in the "after" crop:
  normalised cross-correlation 0.9 → 0, 0.7 → 1) + 0.2 × growth (dark area after / before
  1.4 → 0, 2.6 → 1: a patch covers more than the hole) + 0.2 × rectangularity (0.90 → 0,
  0.96 → 1, regions of 0.2 m² or more: a saw-cut patch is a rectangle, a pothole is not)
  + 0.2 × lightening (darkness after / before 0.85 → 0, 0.55 → 1: filled, not a hole).

The claim's score is the median over the frames measured (the spot 4–15.5 m ahead, road
light normal); with the detector's highest confidence for the defect's class at the spot in
those frames it gives three verdicts (:func:`verdict_from_views`):

* ``repaired``: score >= ``repaired_min`` in at least ``min_frames`` measured frames, with a
  "before" crop to compare with, and the detector below ``conf_present`` there;
* ``still_present``: score <= ``present_max`` (with a "before" crop, or the detector at
  least ``conf_present`` sure): the defect is seen again; one measured frame may say so;
* ``inspector_to_look``: everything else, with the reason (too few usable frames in view,
  bad light, occluded by a skip, no "before" crop, an uncertain change or re-detection).

A verdict is a proposal for an inspector, never a payment (store.claims). The thresholds
(:data:`THRESHOLDS`) were chosen on repair scenarios from seeds 100–106
(sample_footage/repair_scenarios.py, bench/repairs.py), never on the bench's seeds or on
the shipped sample.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from geo.crs import xy_from_lonlat
from geo.placement.camera import CameraModel, pixel_from_ground_point, vehicle_point_from_en
from geo.placement.spots import BlobFeatures
from geo.types import SampledFrame

VERDICTS = ("repaired", "still_present", "inspector_to_look")


@dataclass(frozen=True)
class VerdictThresholds:
    """Where change score and detector confidence split the three verdicts."""

    repaired_min: float = 0.35
    present_max: float = 0.2
    conf_present: float = 0.6
    min_frames: int = 2
    min_forward_m: float = 4.0  # frames measured: the spot this close ...
    max_forward_m: float = 15.5  # ... to this far ahead (ground resolution)
    light_range: tuple[float, float] = (35.0, 235.0)  # road grey level outside: bad light


THRESHOLDS = VerdictThresholds()
# frame change score terms (fixed before tuning the verdict thresholds above)
SIMILAR, SIMILAR_SPAN = 0.9, 0.2  # NCC of the "before" hole: >= 0.9 same, <= 0.7 unlike
GROW_FROM, GROW_TO = 1.4, 2.6  # dark area after / before: a patch covers more than the hole
SHAPE_FROM, SHAPE_SPAN, MIN_SHAPE_AREA_M2 = 0.9, 0.06, 0.2  # rectangularity of a patch
LIGHTER_FROM, LIGHTER_SPAN = 0.85, 0.3  # darkness after / before: 0.85 same hole, 0.55 filled


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
class SpotView:
    """The spot measured in one frame: where it was, what was there, what the detector said."""

    source: str
    frame_index: int
    forward_m: float
    lateral_m: float
    blob: BlobFeatures
    similarity: float | None = None  # best NCC of the "before" hole in this crop (after views)
    detector_confidence: float = 0.0  # the defect's class, at the spot
    crop: str | None = None  # the saved image crop (evidence), relative to the data folder
    occluded: bool = False  # something the detector knows stands over it (a skip)


@dataclass(frozen=True)
class RepairVerdict:
    """The footage's proposal on one claimed repair, with why and the measures behind it."""

    defect_id: int
    verdict: str
    reason: str = ""
    frames_in_view: int = 0
    frames_measured: int = 0
    sightings: int = 0
    change_score: float | None = None
    detector_confidence: float = 0.0
    evidence_frames: tuple[tuple[str, int], ...] = field(default=())  # (source, frame_index)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        if self.frames_in_view < 0 or self.sightings < 0 or self.frames_measured < 0:
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


def frame_change_score(before: BlobFeatures | None, view: SpotView) -> float:
    """0 (the defect as before) .. 1 (repaired) for one "after" frame; see the module docstring."""
    after = view.blob
    if not after.found:
        return 1.0 if before is not None and before.found else 0.5
    # a rectangle only counts when the region is large enough to have a measurable shape
    shape = (
        float(np.clip((after.rectangularity - SHAPE_FROM) / SHAPE_SPAN, 0.0, 1.0))
        if after.area_m2 >= MIN_SHAPE_AREA_M2
        else 0.0
    )
    if before is None or not before.found or before.area_m2 <= 0:
        return shape
    ratio = np.log(after.area_m2 / before.area_m2)
    grow = float(np.clip((ratio - np.log(GROW_FROM)) / np.log(GROW_TO / GROW_FROM), 0.0, 1.0))
    sim = view.similarity if view.similarity is not None else SIMILAR
    unlike = float(np.clip((SIMILAR - sim) / SIMILAR_SPAN, 0.0, 1.0))
    dark = after.darkness / max(before.darkness, 1e-6)
    lighter = float(np.clip((LIGHTER_FROM - dark) / LIGHTER_SPAN, 0.0, 1.0))
    return 0.4 * unlike + 0.2 * grow + 0.2 * shape + 0.2 * lighter


def measurable(view: SpotView, th: VerdictThresholds = THRESHOLDS) -> str | None:
    """Why a view cannot be measured ("too far", "bad light", ...), or None when it can."""
    if not th.min_forward_m <= view.forward_m <= th.max_forward_m:
        return "out of measuring range"
    if view.occluded:
        return "occluded"
    lo, hi = th.light_range
    if view.blob.road_brightness and not lo <= view.blob.road_brightness <= hi:
        return "bad light"
    if view.blob.road_brightness == 0:
        return "road not visible"
    return None


def best_before(views: Sequence[SpotView], th: VerdictThresholds = THRESHOLDS) -> SpotView | None:
    """The "before" view to compare with: the closest measurable one where the hole was found."""
    ok = [v for v in views if measurable(v, th) is None and v.blob.found]
    return min(ok, key=lambda v: v.forward_m) if ok else None


def verdict_from_views(
    check: RepairCheck,
    before: SpotView | None,
    after: Sequence[SpotView],
    *,
    frames_in_view: int,
    sightings: int = 0,
    th: VerdictThresholds = THRESHOLDS,
) -> RepairVerdict:
    """Three-way verdict from the spot's "after" views (see the module docstring)."""
    measured = [v for v in after if measurable(v, th) is None]
    why_not = sorted(
        {m for v in after if (m := measurable(v, th)) and m != "out of measuring range"}
    )
    conf = max((v.detector_confidence for v in measured), default=0.0)
    keys = tuple((v.source, v.frame_index) for v in after)
    common = dict(
        frames_in_view=frames_in_view,
        frames_measured=len(measured),
        sightings=sightings,
        detector_confidence=round(conf, 3),
        evidence_frames=keys,
    )
    if not measured or (len(measured) < th.min_frames and conf < th.conf_present):
        reason = f"too few usable frames in view ({len(measured)} measured of {frames_in_view})"
        if why_not:
            reason += ": " + ", ".join(why_not)
        return RepairVerdict(check.defect_id, "inspector_to_look", reason, **common)
    blob = before.blob if before is not None else None
    score = round(statistics.median(frame_change_score(blob, v) for v in measured), 3)
    basis = "" if before is not None else " (no usable 'before' crop: shape only)"
    enough = len(measured) >= th.min_frames
    if enough and before is not None and score >= th.repaired_min and conf < th.conf_present:
        verdict = "repaired"
        reason = f"change score {score:.2f} in {len(measured)} frames: no defect left there"
    elif score <= th.present_max and (before is not None or conf >= th.conf_present):
        verdict = "still_present"
        reason = f"change score {score:.2f}{basis}, detector {conf:.2f}: the defect is seen again"
    else:
        verdict = "inspector_to_look"
        reason = f"uncertain: change score {score:.2f}{basis}, detector {conf:.2f} at the spot"
        if not enough:
            reason += f", {len(measured)} frame measured"
    return RepairVerdict(check.defect_id, verdict, reason, change_score=score, **common)
