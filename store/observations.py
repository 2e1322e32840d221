"""Observations: single detections in single frames, placed on the ground.

:func:`add_observations` is a bulk, idempotent insert: an observation is the
same when its frame, class and box (rounded to whole pixels) are the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from geo.types import Observation as ObservationDC
from roadcam.errors import InputNotFoundError
from store._sql import bulk_insert, clean_float, point_ewkt
from store.models import Frame, Observation

log = logging.getLogger(__name__)

ObsKey = tuple[int, str, str]  # (frame_id, class_name, box_key)


def box_key(xyxy: Sequence[float]) -> str:
    """The dedupe key of a box: its corners rounded to whole pixels."""
    return ",".join(str(int(round(float(v)))) for v in xyxy)


def _frame_id(frame_ids_by_index: Mapping[Any, int], obs: ObservationDC) -> int:
    fid = frame_ids_by_index.get((obs.source or "", obs.frame_index))
    if fid is None:
        fid = frame_ids_by_index.get(obs.frame_index)
    if fid is None:
        raise InputNotFoundError(
            f"no stored frame {obs.frame_index} of {obs.source or 'this survey'} for a {obs.class_name} observation"
        )
    return int(fid)


def add_observations(
    session: Session,
    frame_ids_by_index: Mapping[Any, int],
    observations: Sequence[ObservationDC],
) -> list[int]:
    """Store observations; return their ids in input order. Re-adding one keeps the stored row.

    ``frame_ids_by_index`` maps each observation's frame to its stored id, keyed
    by ``(source, frame_index)`` (as :func:`store.frames.frame_ids_by_key`
    returns) or by plain ``frame_index`` for single-source surveys.
    """
    rows: list[dict[str, Any]] = []
    keys: list[ObsKey] = []
    for obs in observations:
        fid = _frame_id(frame_ids_by_index, obs)
        key = box_key(obs.xyxy)
        x1, y1, x2, y2 = (float(v) for v in obs.xyxy)
        rows.append(
            {
                "frame_id": fid,
                "class_name": obs.class_name,
                "confidence": float(obs.confidence),
                "x1": x1,
                "y1": y1,
                "x2": x2,
                "y2": y2,
                "box_key": key,
                "geom": point_ewkt(obs.lon, obs.lat),
                "width_m": clean_float(obs.width_m),
                "segment_id": obs.segment_id,
                "chainage_m": clean_float(obs.chainage_m),
                "offset_m": clean_float(obs.offset_m),
                "defect_id": None,
            }
        )
        keys.append((fid, obs.class_name, key))
    if not rows:
        return []
    bulk_insert(
        session, Observation.__table__, rows, conflict_cols=("frame_id", "class_name", "box_key")
    )
    frame_ids = sorted({k[0] for k in keys})
    stored: dict[ObsKey, int] = {}
    for start in range(0, len(frame_ids), 900):
        chunk = frame_ids[start : start + 900]
        stmt = select(
            Observation.frame_id, Observation.class_name, Observation.box_key, Observation.id
        ).where(Observation.frame_id.in_(chunk))
        stored.update({(int(f), c, b): int(i) for f, c, b, i in session.execute(stmt)})
    return [stored[k] for k in keys]


def link_observations(session: Session, defect_id: int, observation_ids: Sequence[int]) -> int:
    """Attach observations to a defect; return how many rows were changed."""
    if not observation_ids:
        return 0
    total = 0
    ids = list(observation_ids)
    for start in range(0, len(ids), 900):
        res = session.execute(
            update(Observation)
            .where(Observation.id.in_(ids[start : start + 900]))
            .values(defect_id=defect_id)
        )
        total += res.rowcount or 0
    return total


def list_observations(
    session: Session,
    survey_id: int | None = None,
    defect_id: int | None = None,
    frame_id: int | None = None,
    limit: int | None = None,
) -> list[Observation]:
    """Observations filtered by survey, defect or frame, in id order."""
    stmt = select(Observation).order_by(Observation.id)
    if survey_id is not None:
        stmt = stmt.join(Frame, Frame.id == Observation.frame_id).where(
            Frame.survey_id == survey_id
        )
    if defect_id is not None:
        stmt = stmt.where(Observation.defect_id == defect_id)
    if frame_id is not None:
        stmt = stmt.where(Observation.frame_id == frame_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count_observations(session: Session, survey_id: int | None = None) -> int:
    """Number of stored observations (of one survey, or all)."""
    stmt = select(func.count()).select_from(Observation)
    if survey_id is not None:
        stmt = stmt.join(Frame, Frame.id == Observation.frame_id).where(
            Frame.survey_id == survey_id
        )
    return int(session.scalar(stmt) or 0)


def best_observation_box(
    session: Session, defect_id: int, frame_id: int | None
) -> tuple[float, float, float, float] | None:
    """The box (x1, y1, x2, y2, pixels) of the defect's most confident sighting in ``frame_id``."""
    if frame_id is None:
        return None
    row = session.execute(
        select(Observation.x1, Observation.y1, Observation.x2, Observation.y2)
        .where(Observation.defect_id == defect_id, Observation.frame_id == frame_id)
        .order_by(Observation.confidence.desc())
        .limit(1)
    ).first()
    return None if row is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
