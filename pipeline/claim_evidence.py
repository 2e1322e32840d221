"""Before/after evidence of claimed repairs: crops of the spot and their measures, in the runner.

For each pending claim a survey passes:

* **after**: every usable frame of this survey that had the spot in view (whether or not
  anything was detected) was kept as a raw JPEG by the worker (``ComputeOptions.watch_spots``);
  the spot is cropped from each (top-down for measuring, as seen for the inspector) and the
  detector's confidence for the defect's class at the spot is read from this survey's
  detections;
* **before**: the frames of the survey(s) that found the defect (its observations before the
  claim, best first) are cropped the same way from their raw JPEGs, around each sighting's
  own ground point (projected with that frame's pose, so its GPS error cancels).

Crops are written to ``<frames dir>/claims/claim_<id>/`` and referred to relative to the
data folder (``ROADCAM_DATA_DIR``). :func:`geo.placement.verify.verdict_from_views` then
proposes the verdict. :func:`propose_repair_verdicts` does this for every pending claim a
stored survey passes (called by :func:`pipeline.runner.store_result`); :func:`watched_spots`
tells the workers which spots to keep frames of.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
OCCLUDING_CLASSES = ("skip",)  # detected objects that stand on the road and hide it


def _data_dir() -> Path:
    from roadcam.settings import get_settings

    return Path(get_settings().data_dir)


def data_relative(path: Path) -> str:
    """``path`` as stored: relative to the data folder when inside it (store.evidence_paths)."""
    from store.evidence_paths import ref_from_path

    return ref_from_path(path, _data_dir())


def _file_of_ref(ref: str) -> Path:
    """A stored evidence ref as a file: relative refs are under the data folder."""
    p = Path(ref)
    return p if p.is_absolute() else _data_dir() / p


def _load(path: str | None):
    import cv2

    if not path or not Path(path).is_file():
        return None
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def measure_view(
    camera, image, pose: tuple[float, float, float], spot: tuple[float, float], crs: str, *,
    source: str, frame_index: int, crop_path: Path | None, boxes=(), occluders=(),
    shift_m=(0.0, 0.0),
):  # fmt: skip
    """One :class:`SpotView` (and its top-down crop) of the spot in one frame image.

    ``boxes``: ``(xyxy, confidence)`` of the defect's class in this frame; ``occluders``: boxes
    of objects that hide the road (skips): the spot inside one is not measured.
    """
    from dataclasses import replace

    import cv2

    from geo.placement.spots import (
        blob_features,
        blob_pixel,
        image_crop,
        spot_in_frame,
        topdown_crop,
    )
    from geo.placement.verify import SpotView

    fwd, lat = spot_in_frame(camera, pose[0], pose[1], pose[2], spot[0], spot[1], crs, shift_m)
    top, inside = topdown_crop(camera, image, fwd, lat)
    blob = blob_features(top, inside)
    ref = None
    if crop_path is not None:
        seen = image_crop(camera, image, fwd, lat)
        if seen is not None:
            crop_path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(crop_path), seen, [int(cv2.IMWRITE_JPEG_QUALITY), 90])
            ref = data_relative(crop_path)
    u, v = blob_pixel(camera, image.shape, fwd, lat, blob)
    conf = max(
        (c for (x1, y1, x2, y2), c in boxes if x1 - 8 <= u <= x2 + 8 and y1 - 8 <= v <= y2 + 8),
        default=0.0,
    )
    su, sv = blob_pixel(camera, image.shape, fwd, lat, replace(blob, found=False))
    hidden = any(x1 <= su <= x2 and y1 <= sv <= y2 for x1, y1, x2, y2 in occluders)
    view = SpotView(
        source, frame_index, round(fwd, 2), round(lat, 2), blob, None, float(conf), ref, hidden
    )
    return view, top


def before_views(session, check, claim_id: int, camera, crs: str, out_dir: Path, limit: int = 4):
    """The spot in the frames that found the defect (before the claim), best sightings first."""
    from sqlalchemy import select

    from store._sql import lonlat_of
    from store.frames import frame_lonlat
    from store.models import Frame, Observation

    rows = session.execute(
        select(Observation, Frame)
        .join(Frame, Frame.id == Observation.frame_id)
        .where(Observation.defect_id == check.defect_id, Frame.time < check.claimed_at)
        .order_by(Observation.confidence.desc())
    ).all()
    out, seen = [], set()
    for obs, frame in rows:
        if frame.id in seen or not frame.image_ref or len(out) >= limit:
            continue
        seen.add(frame.id)
        evidence = _file_of_ref(frame.image_ref)
        raw = evidence.parent / "raw" / evidence.name
        image = _load(str(raw))
        lonlat = frame_lonlat(session, frame.id)
        if image is None or lonlat is None or frame.heading_deg is None:
            continue
        # the sighting's own ground point: same frame, same pose error, so the hole is at it
        spot = lonlat_of(obs.geom)
        out.append(
            measure_view(
                camera, image, (*lonlat, frame.heading_deg), spot, crs,
                source=frame.source, frame_index=frame.frame_index,
                crop_path=out_dir / f"claim_{claim_id}" / f"before_{frame.frame_index:06d}.jpg",
                boxes=[((obs.x1, obs.y1, obs.x2, obs.y2), obs.confidence)],
            )
        )  # fmt: skip
    return out


def after_views(result, check, claim_id: int, viewing, camera, crs: str, out_dir: Path, shifts):
    """The spot in every in-view frame of this survey that was kept as a raw JPEG."""
    boxes: dict[int, list] = {}
    occluders: dict[int, list] = {}
    for o in result.observations:
        if o.class_name == check.class_name:
            boxes.setdefault(o.frame_index, []).append((o.xyxy, o.confidence))
        elif o.class_name in OCCLUDING_CLASSES:
            occluders.setdefault(o.frame_index, []).append(o.xyxy)
    out = []
    for f in viewing:
        image = _load(result.raw_refs.get((f.source or "", f.frame_index)))
        if image is None:
            continue
        out.append(
            measure_view(
                camera, image, (f.lon, f.lat, f.heading_deg), (check.lon, check.lat), crs,
                source=f.source or "", frame_index=f.frame_index,
                crop_path=out_dir / f"claim_{claim_id}" / f"after_{Path(f.source).stem}_{f.frame_index:06d}.jpg",
                boxes=boxes.get(f.frame_index, ()),
                occluders=occluders.get(f.frame_index, ()),
                shift_m=(shifts or {}).get((f.source or "", f.frame_index), (0.0, 0.0)),
            )
        )  # fmt: skip
    return out


def judge_claim(
    session, result, claim_id, check, viewing, sightings, camera, crs, shifts, frames_dir
):
    """The verdict on one claim and the evidence to store with it."""
    from dataclasses import replace

    from geo.placement.spots import centred_on_blob, similarity
    from geo.placement.verify import best_before, verdict_from_views

    frames_dir = Path(frames_dir) if frames_dir else None
    out_dir = (frames_dir or Path(".")) / "claims"
    before = before_views(session, check, claim_id, camera, crs, out_dir) if frames_dir else []
    after = after_views(result, check, claim_id, viewing, camera, crs, out_dir, shifts)
    ref_view = best_before([v for v, _t in before])
    ref_top = next((t for v, t in before if v is ref_view), None)
    views = []
    for v, top in after:
        sim = None
        if ref_view is not None and ref_top is not None:
            sim = round(similarity(centred_on_blob(ref_top, ref_view.blob), top), 3)
        views.append(replace(v, similarity=sim))
    verdict = verdict_from_views(
        check, ref_view, views, frames_in_view=len(viewing), sightings=sightings
    )
    evidence = {
        "before": [_view_dict(v) for v, _t in before],
        "after": [_view_dict(v) for v in views],
    }
    return verdict, evidence


def _view_dict(v) -> dict[str, Any]:
    b = v.blob
    return {
        "source": v.source,
        "frame_index": v.frame_index,
        "forward_m": v.forward_m,
        "lateral_m": v.lateral_m,
        "crop": v.crop,
        "detector_confidence": round(v.detector_confidence, 3),
        "similarity": v.similarity,
        "occluded": v.occluded,
        "dark_region": None
        if not b.found
        else {
            "area_m2": round(b.area_m2, 3),
            "rectangularity": round(b.rectangularity, 3),
            "darkness": round(b.darkness, 3),
            "rim": round(b.rim, 3),
            "offset_m": round(b.offset_m, 2),
        },
        "road_brightness": round(float(np.float64(b.road_brightness)), 1),
    }


def propose_repair_verdicts(
    session,
    result,
    survey_id: int,
    candidates,
    correction,
    camera,
    crs: str | None,
    frames_dir=None,
) -> dict[str, int]:
    """Propose verdicts on pending repair claims from this survey's frames (pipeline.claim_evidence)."""
    from collections import Counter

    from geo.crs import metric_crs_for_lonlat
    from geo.placement.verify import frames_viewing_point
    from store.claims import pending_repair_checks, record_repair_verdicts

    frames = result.frames
    if not frames or camera is None:
        return {}
    margin = 0.0005  # ~50 m around the survey: the camera sees at most 20 m ahead
    bbox = (
        min(f.lon for f in frames) - margin,
        min(f.lat for f in frames) - margin,
        max(f.lon for f in frames) + margin,
        max(f.lat for f in frames) + margin,
    )
    pending = pending_repair_checks(session, bbox=bbox)
    if not pending:
        return {}
    sightings: Counter[int] = Counter()
    for cand in candidates:
        if cand.defect_id is not None:
            sightings[cand.defect_id] += len(cand.observation_keys)
    crs = crs or metric_crs_for_lonlat(frames[0].lon, frames[0].lat)
    shifts = correction.shift_m if correction else None
    verdicts, evidence, claim_ids = [], {}, {}
    for claim_id, check in pending:
        later = [f for f in frames if f.time > check.claimed_at]
        viewing = frames_viewing_point(camera, later, check.lon, check.lat, crs, shifts_m=shifts)
        if not viewing:
            continue  # this survey did not pass it: the claim waits for one that does
        verdict, evidence[check.defect_id] = judge_claim(
            session, result, claim_id, check, viewing, sightings[check.defect_id],
            camera, crs, shifts, frames_dir,
        )  # fmt: skip
        verdicts.append(verdict)
        claim_ids[check.defect_id] = claim_id
    if not verdicts:
        return {}
    return record_repair_verdicts(session, claim_ids, verdicts, survey_id, evidence)


def watched_spots(database_url: str | None) -> tuple[tuple[float, float], ...]:
    """(lon, lat) of every defect under a pending claim still to check: workers keep frames seeing them."""
    from store.claims import pending_repair_checks
    from store.engine import make_engine, session_scope

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return tuple((c.lon, c.lat) for _id, c in pending_repair_checks(session))
    finally:
        engine.dispose()
