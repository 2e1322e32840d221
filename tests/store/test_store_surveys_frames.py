"""Surveys, frames and observations on SpatiaLite and PostGIS: dedupe by content, no duplicate rows."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import store._sql
from roadcam.errors import InputNotFoundError, UsageError
from store.engine import session_scope
from store.frames import add_frames, count_frames, frame_ids_by_key, frame_lonlat, list_frames
from store.models import Frame, SurveySource
from store.observations import add_observations, count_observations, list_observations
from store.surveys import get_or_create_survey, list_survey_sources, list_surveys, set_survey_status
from tests.store._factories import LAT0, LON0, T0, frames, observation, sha


def test_survey_dedupe_by_content_hash(session):
    s1, created1 = get_or_create_survey(
        session,
        "RCV-07",
        [("a/cam1.mp4", sha(1), "video", 1000), ("a/cam1.gpx", sha(2), "gpx", 10)],
        T0,
        T0,
    )
    # the same content under another path (copied to another folder) is the same survey
    s2, created2 = get_or_create_survey(
        session, "RCV-07", [("b/renamed.mp4", sha(1).upper(), "video", 1000)]
    )
    assert created1 is True and created2 is False and s2.id == s1.id
    # a new file alongside a known one is attached to the existing survey
    s3, created3 = get_or_create_survey(
        session,
        "RCV-07",
        [("b/renamed.mp4", sha(1), "video", 1000), ("b/cam2.mp4", sha(3), "video", 5)],
    )
    assert created3 is False and s3.id == s1.id
    assert [x.path for x in list_survey_sources(session, s1.id)] == [
        "a/cam1.gpx",
        "a/cam1.mp4",
        "b/cam2.mp4",
    ]
    other, created4 = get_or_create_survey(session, "RCV-08", [("c.mp4", sha(4), "video", 5)])
    assert created4 is True and other.id != s1.id
    assert session.scalar(select(func.count()).select_from(SurveySource)) == 4
    set_survey_status(session, s1.id, "done", {"frames": 5})
    assert [s.id for s in list_surveys(session, vehicle_id="RCV-07", status="done")] == [s1.id]
    with pytest.raises(UsageError):
        set_survey_status(session, s1.id, "bogus")
    with pytest.raises(InputNotFoundError):
        set_survey_status(session, 999999, "done")
    with pytest.raises(ValueError, match="sha256"):
        get_or_create_survey(session, "RCV-07", [("x.mp4", "abc", "video", 1)])


def test_frames_reimport_no_duplicates(session):
    survey, _ = get_or_create_survey(session, "RCV-01", [("cam1.mp4", sha(10), "video", 1)])
    fs = frames(5)
    refs = [f"img/{f.frame_index}.jpg" for f in fs]
    ids1 = add_frames(session, survey.id, iter(fs), image_refs=refs)  # a generator is fine
    ids2 = add_frames(session, survey.id, fs)  # re-import: same ids, no new rows
    assert ids1 == ids2 and len(set(ids1)) == 5
    assert count_frames(session, survey.id) == 5
    # a second source with the same frame indexes is different frames
    ids3 = add_frames(session, survey.id, frames(2, source="cam2.mp4"))
    assert not set(ids3) & set(ids1) and count_frames(session, survey.id) == 7
    stored = list_frames(session, survey.id)
    first = stored[0]
    assert (first.source, first.frame_index, first.image_ref, first.distance_m, first.usable) == (
        "cam1.mp4",
        0,
        "img/0.jpg",
        0.0,
        True,
    )
    assert first.time == T0 and first.time.tzinfo is not None
    assert first.hdop == pytest.approx(0.9) and stored[1].hdop is None  # NaN stored as NULL
    last = frame_lonlat(session, ids1[-1])
    assert last[0] == pytest.approx(LON0 + 4 * 0.00007, abs=1e-9) and last[1] == pytest.approx(
        LAT0, abs=1e-9
    )
    assert frame_ids_by_key(session, survey.id)[("cam1.mp4", 40)] == ids1[-1]
    with pytest.raises(InputNotFoundError):
        add_frames(session, 999999, frames(1))


def test_observations_reimport_no_duplicates(session):
    survey, _ = get_or_create_survey(session, "RCV-02", [("cam1.mp4", sha(20), "video", 1)])
    add_frames(session, survey.id, frames(3))
    by_key = frame_ids_by_key(session, survey.id)
    obs = [
        observation(0),
        observation(0, cls="crack", box=(10, 10, 50, 20)),
        observation(10, box=(101.0, 201.0, 181.0, 259.0), seg=None),
        observation(20, conf=0.55),
    ]
    ids1 = add_observations(session, by_key, obs)
    # the same detections again, boxes jittered by < 0.5 px: recognised as the same rows
    again = [observation(0, box=(100.4, 200.1, 180.9, 259.8)), *obs[1:]]
    ids2 = add_observations(session, by_key, again)
    assert ids1 == ids2 and len(set(ids1)) == 4
    assert count_observations(session, survey.id) == 4
    # plain frame_index keys work for a one-source survey
    assert (
        add_observations(session, {i: fid for (_, i), fid in by_key.items()}, obs[:1]) == ids1[:1]
    )
    rows = list_observations(session, survey_id=survey.id)
    assert [(r.class_name, r.box_key) for r in rows] == [
        ("pothole", "100,200,181,260"),
        ("crack", "10,10,50,20"),
        ("pothole", "101,201,181,259"),
        ("pothole", "100,200,181,260"),
    ]
    assert rows[2].segment_id is None and rows[0].chainage_m == 12.5
    with pytest.raises(InputNotFoundError):
        add_observations(session, by_key, [observation(999)])


def test_postgis_bulk_insert_uses_copy(engine, monkeypatch):
    calls = []
    real = store._sql._copy_upsert

    def spy(*args, **kwargs):
        calls.append(args[1].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(store._sql, "_copy_upsert", spy)
    with session_scope(engine) as s:
        survey, _ = get_or_create_survey(s, "RCV-03", [("cam1.mp4", sha(30), "video", 1)])
        add_frames(s, survey.id, frames(2))
        add_observations(s, frame_ids_by_key(s, survey.id), [observation(0)])
    expected = ["frame", "observation"] if engine.dialect.name == "postgresql" else []
    assert calls == expected


def test_failing_batch_rolls_back_only_itself(engine):
    """Nothing already stored is lost when a later batch fails half-way."""
    with session_scope(engine) as s:
        survey, _ = get_or_create_survey(s, "RCV-04", [("cam1.mp4", sha(40), "video", 1)])
        add_frames(s, survey.id, frames(3))
        survey_id = survey.id
    with pytest.raises(RuntimeError, match="detector crashed"):
        with session_scope(engine) as s:
            add_frames(s, survey_id, frames(3, start=3))  # frames 3..5 of the same survey
            get_or_create_survey(s, "RCV-05", [("other.mp4", sha(41), "video", 1)])
            raise RuntimeError("detector crashed")
    with session_scope(engine) as s:
        assert count_frames(s, survey_id) == 3
        assert [f.frame_index for f in list_frames(s, survey_id)] == [0, 10, 20]
        assert list_surveys(s, vehicle_id="RCV-05") == []
    # a database error (NOT NULL violation) inside a batch also leaves the earlier work intact
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            add_frames(s, survey_id, frames(1, start=6))
            s.add(Frame(survey_id=survey_id, frame_index=1, source="x"))  # missing time/geom
            s.flush()
    with session_scope(engine) as s:
        assert count_frames(s, survey_id) == 3


def test_nan_heading_and_quality_none(session):
    from dataclasses import replace

    survey, _ = get_or_create_survey(session, "RCV-06", [("cam1.mp4", sha(60), "video", 1)])
    f = replace(frames(1)[0], heading_deg=math.nan, quality=None)
    (fid,) = add_frames(session, survey.id, [f])
    row = session.get(Frame, fid)
    assert row.heading_deg is None and row.brightness is None and row.usable is True


def test_savepoint_rolls_back_one_item(engine):
    """Within one transaction, a failed item (SAVEPOINT) is undone while the others are kept."""
    with session_scope(engine) as s:
        survey, _ = get_or_create_survey(s, "RCV-09", [("cam1.mp4", sha(90), "video", 1)])
        add_frames(s, survey.id, frames(2))
        try:
            with s.begin_nested():
                add_frames(s, survey.id, frames(2, start=2))
                raise RuntimeError("bad item")
        except RuntimeError:
            pass
        add_frames(s, survey.id, frames(1, start=4))
        survey_id = survey.id
    with session_scope(engine) as s:
        assert [f.frame_index for f in list_frames(s, survey_id)] == [0, 10, 40]
