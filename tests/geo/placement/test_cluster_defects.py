"""Merging sightings into defects (geo.placement.cluster)."""

from datetime import UTC, datetime, timedelta

import pytest

from geo.crs import lonlat_from_xy, xy_from_lonlat
from geo.placement.cluster import MergeRules, cluster_observations, defects_from_observations
from geo.types import DefectCandidate, Observation

CRS = "EPSG:27700"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
X0, Y0 = 576_000.0, 168_000.0  # Gillingham, Medway


def obs(
    dx=0.0, dy=0.0, cls="pothole", seg="s1", ch=10.0, off=1.0, t=0, conf=0.8, width=0.4, frame=0
):
    lon, lat = lonlat_from_xy(X0 + dx, Y0 + dy, CRS)
    return Observation(
        class_name=cls,
        confidence=conf,
        xyxy=(10, 10, 50, 40),
        lon=float(lon),
        lat=float(lat),
        width_m=width,
        time=T0 + timedelta(seconds=t),
        frame_index=frame,
        source="a.mp4",
        segment_id=seg,
        chainage_m=None if seg is None else ch,
        offset_m=off,
    )


def test_repeat_sightings_in_consecutive_frames_make_one_defect():
    sightings = [
        obs(dx=0.5 * i, ch=10 + 0.5 * i, frame=i, t=i, conf=0.5 + 0.1 * i, width=0.3 + 0.1 * i)
        for i in range(4)
    ]
    defects = defects_from_observations(sightings)
    assert len(defects) == 1
    d = defects[0]
    assert d.sightings == 4
    assert d.first_seen == T0 and d.last_seen == T0 + timedelta(seconds=3)
    assert d.max_width_m == pytest.approx(0.6)
    assert d.best_frame_index == 3 and d.best_confidence == pytest.approx(0.8)
    assert d.segment_id == "s1" and d.chainage_m == pytest.approx(10.75)
    assert d.observation_keys == (0, 1, 2, 3)


def test_two_potholes_side_by_side_stay_apart():
    # same chainage, 3 m apart across the road: two defects
    defects = defects_from_observations([obs(off=-1.5, dy=-1.5), obs(off=1.5, dy=1.5)])
    assert len(defects) == 2


def test_far_along_the_segment_or_other_class_stay_apart():
    assert len(cluster_observations([obs(ch=10), obs(ch=20, dx=10)])) == 2
    assert len(cluster_observations([obs(cls="pothole"), obs(cls="crack")])) == 2


def test_off_network_sightings_merge_by_distance():
    clusters = cluster_observations([obs(seg=None), obs(seg=None, dx=2.0), obs(seg=None, dx=30.0)])
    assert clusters == [[0, 1], [2]]


def test_new_survey_updates_stored_defect_instead_of_duplicating():
    day1 = defects_from_observations([obs(frame=1), obs(frame=2, dx=0.4, ch=10.4)])
    stored = [DefectCandidate(**{**day1[0].__dict__, "defect_id": 7, "observation_keys": ()})]
    later = T0 + timedelta(days=3)
    day2 = [obs(frame=5, dx=0.2, ch=10.2, t=3 * 86400), obs(frame=6, dx=40, ch=50, t=3 * 86400 + 4)]
    out = defects_from_observations(day2, existing=stored)
    updated = [d for d in out if d.defect_id == 7]
    new = [d for d in out if d.defect_id is None]
    assert len(updated) == 1 and len(new) == 1
    assert updated[0].sightings == 3
    assert updated[0].first_seen == T0 and updated[0].last_seen == later
    assert updated[0].observation_keys == (0,)
    assert new[0].observation_keys == (1,)


def test_merged_position_is_averaged_in_metres():
    d = defects_from_observations([obs(dx=0.0), obs(dx=2.0, ch=12)])[0]
    x, y = xy_from_lonlat(d.lon, d.lat, CRS)
    assert float(x) == pytest.approx(X0 + 1.0, abs=0.01)
    assert float(y) == pytest.approx(Y0, abs=0.01)


def test_rules_are_validated():
    with pytest.raises(ValueError):
        MergeRules(max_distance_m=0)


def test_a_worn_line_seen_in_pieces_is_one_defect_but_potholes_are_not():
    pieces = [
        obs(cls="faded_marking", dx=7.0 * i, ch=10 + 7.0 * i, off=0.0, frame=i) for i in range(5)
    ]
    assert len(defects_from_observations(pieces)) == 1
    potholes = [obs(dx=7.0 * i, ch=10 + 7.0 * i, frame=i) for i in range(5)]
    assert len(defects_from_observations(potholes)) == 5
    # the centre line and the edge line (3.3 m apart) stay two defects
    two_lines = [obs(cls="faded_marking", off=0.0), obs(cls="faded_marking", off=3.3, dy=3.3)]
    assert len(defects_from_observations(two_lines)) == 2
