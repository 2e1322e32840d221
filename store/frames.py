"""Frames: the sampled frames of a survey, with place, time and capture quality.

:func:`add_frames` is a bulk, idempotent insert keyed on
``(survey_id, source, frame_index)``: COPY on PostGIS, ``executemany`` on
SpatiaLite. Frames are read from the iterable in chunks, never all at once,
and their images are not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.types import SampledFrame
from roadcam.errors import InputNotFoundError
from store._sql import bulk_insert as _bulk_insert
from store._sql import clean_float, point_ewkt
from store.models import Frame, Survey

log = logging.getLogger(__name__)

CHUNK = 2000

FrameKey = tuple[str, int]  # (source, frame_index)


def _frame_row(survey_id: int, f: SampledFrame, image_ref: str | None) -> dict[str, Any]:
    q = f.quality
    return {
        "survey_id": survey_id,
        "source": f.source or "",
        "frame_index": int(f.frame_index),
        "video_time_s": float(f.video_time_s),
        "time": f.time,
        "geom": point_ewkt(f.lon, f.lat),
        "heading_deg": clean_float(f.heading_deg),
        "speed_mps": clean_float(f.speed_mps),
        "distance_m": clean_float(f.distance_m),
        "image_ref": image_ref,
        "brightness": clean_float(q.brightness) if q else None,
        "blur": clean_float(q.blur) if q else None,
        "glare": clean_float(q.glare) if q else None,
        "hdop": clean_float(q.hdop) if q else None,
        "usable": bool(f.usable),
    }


def _image_ref(
    image_refs: Sequence[str | None] | Mapping[Any, str | None] | None, pos: int, f: SampledFrame
) -> str | None:
    if image_refs is None:
        return None
    if isinstance(image_refs, Mapping):
        ref = image_refs.get((f.source or "", f.frame_index))
        return ref if ref is not None else image_refs.get(f.frame_index)
    return image_refs[pos] if pos < len(image_refs) else None


def add_frames(
    session: Session,
    survey_id: int,
    frames: Iterable[SampledFrame],
    image_refs: Sequence[str | None] | Mapping[Any, str | None] | None = None,
) -> list[int]:
    """Store frames of a survey; return their ids in input order. Re-adding a frame keeps the stored row.

    ``image_refs`` gives each frame's stored image (a path or URL): a list
    parallel to ``frames``, or a mapping keyed by ``(source, frame_index)`` or
    ``frame_index``.
    """
    if session.get(Survey, survey_id) is None:
        raise InputNotFoundError(f"survey {survey_id} not found")
    keys: list[FrameKey] = []
    it = iter(frames)
    pos = 0
    table = Frame.__table__
    while True:
        chunk = list(islice(it, CHUNK))
        if not chunk:
            break
        rows = []
        for f in chunk:
            rows.append(_frame_row(survey_id, f, _image_ref(image_refs, pos, f)))
            keys.append((f.source or "", int(f.frame_index)))
            pos += 1
        del chunk
        _bulk_insert(session, table, rows, conflict_cols=("survey_id", "source", "frame_index"))
    if not keys:
        return []
    ids = frame_ids_by_key(session, survey_id)
    log.debug("survey %d: %d frames stored", survey_id, len(keys))
    return [ids[k] for k in keys]


def frame_ids_by_key(session: Session, survey_id: int) -> dict[FrameKey, int]:
    """``{(source, frame_index): frame_id}`` for every stored frame of a survey."""
    stmt = select(Frame.source, Frame.frame_index, Frame.id).where(Frame.survey_id == survey_id)
    return {(s, int(i)): int(fid) for s, i, fid in session.execute(stmt)}


def count_frames(session: Session, survey_id: int | None = None) -> int:
    """Number of stored frames (of one survey, or all)."""
    stmt = select(func.count()).select_from(Frame)
    if survey_id is not None:
        stmt = stmt.where(Frame.survey_id == survey_id)
    return int(session.scalar(stmt) or 0)


def get_frame(session: Session, frame_id: int) -> Frame | None:
    """One frame by id, or None."""
    return session.get(Frame, frame_id)


def list_frames(
    session: Session,
    survey_id: int,
    usable: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Frame]:
    """Frames of a survey in (source, frame_index) order."""
    stmt = (
        select(Frame).where(Frame.survey_id == survey_id).order_by(Frame.source, Frame.frame_index)
    )
    if usable is not None:
        stmt = stmt.where(Frame.usable == usable)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def frame_lonlat(session: Session, frame_id: int) -> tuple[float, float] | None:
    """``(lon, lat)`` of a stored frame, or None."""
    row = session.execute(
        select(func.ST_X(Frame.geom), func.ST_Y(Frame.geom)).where(Frame.id == frame_id)
    ).first()
    return (float(row[0]), float(row[1])) if row else None
