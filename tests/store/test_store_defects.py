"""Defects, repair claims and skip permits on SpatiaLite and PostGIS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from roadcam.errors import InputNotFoundError, InvalidTransitionError, UsageError
from store.claims import (
    create_repair_claim,
    decide_repair_claim,
    get_repair_claim,
    list_repair_claims,
    repair_claims_report,
)
from store.defects import (
    count_defects,
    defect_lonlat,
    defect_to_dict,
    defects_near,
    get_defect,
    list_defects,
    save_defects,
    set_defect_risk,
    set_defect_status,
    stored_defect_candidates,
)
from store.frames import add_frames, frame_ids_by_key
from store.observations import add_observations, list_observations
from store.permits import create_skip_permit, get_skip_permit, list_skip_permits, permits_near
from store.surveys import get_or_create_survey
from tests.store._factories import DLON, LAT0, LON0, T0, candidate, frames, observation, sha

# 1e-4 deg of latitude is 11.12 m; 0.00007 deg of longitude at 51.389 N is 4.86 m.
M_PER_DLAT_1E4 = 11.1195


def _three_defects(session):
    """A pothole at the origin, a crack 4.86 m east, a pothole ~1.1 km north."""
    return save_defects(
        session,
        [
            candidate(),
            candidate(lon=LON0 + DLON, cls="crack"),
            candidate(lat=LAT0 + 0.01),
        ],
    )


def test_save_and_list_with_bbox(session):
    ids = _three_defects(session)
    assert len(ids) == 3 and count_defects(session) == 3
    box = (LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.001)
    assert [d.id for d in list_defects(session, bbox=box)] == ids[:2]
    assert [d.id for d in list_defects(session, bbox=box, class_name="crack")] == [ids[1]]
    assert [d.id for d in list_defects(session, class_name=["pothole"])] == [ids[0], ids[2]]
    assert [d.id for d in list_defects(session, segment_ids=["s1"], limit=2, offset=1)] == ids[1:3]
    assert list_defects(session, since=T0 + timedelta(hours=1)) == []
    assert len(list_defects(session, since=T0, status="open")) == 3
    d = get_defect(session, ids[0])
    assert defect_lonlat(d) == pytest.approx((LON0, LAT0), abs=1e-9)
    assert (d.status, d.sightings, d.best_frame_ref, d.first_seen) == ("open", 2, "cam1.mp4#10", T0)
    as_dict = defect_to_dict(d)
    assert as_dict["id"] == ids[0] and as_dict["first_seen"] == "2026-03-02T08:00:00+00:00"
    with pytest.raises(UsageError):
        list_defects(session, status="fixed")


def test_defects_near_is_metric(session):
    ids = _three_defects(session)
    near = defects_near(session, None, LON0, LAT0, 10.0)
    assert [d.id for d, _ in near] == ids[:2]
    assert near[0][1] == pytest.approx(0.0, abs=1e-6)
    assert near[1][1] == pytest.approx(4.86, abs=0.02)
    assert [d.id for d, _ in defects_near(session, "pothole", LON0, LAT0, 10.0)] == [ids[0]]
    assert [d.id for d, _ in defects_near(session, None, LON0, LAT0, 4.8)] == [ids[0]]
    # 0.01 deg of latitude here is 1112.56 m on the WGS84 ellipsoid: inside 1113 m, outside 1112 m
    assert ids[2] in [d.id for d, _ in defects_near(session, "pothole", LON0, LAT0, 1113.0)]
    assert ids[2] not in [d.id for d, _ in defects_near(session, "pothole", LON0, LAT0, 1112.0)]


def test_spatial_index_is_used(session):
    """The bbox query goes through the R*Tree (SpatiaLite) / GiST index (PostGIS)."""
    from sqlalchemy import select

    from store._sql import bbox_filter
    from store.models import Defect

    _three_defects(session)
    stmt = select(Defect.id).where(
        bbox_filter(
            session, Defect.__table__, (LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.001)
        )
    )
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    params = (
        tuple(compiled.params[k] for k in compiled.positiontup)
        if compiled.positional
        else compiled.params
    )
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), params))
        assert "idx_defect_geom" in plan
    else:
        assert "SpatialIndex" in str(compiled)
        plan = " ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
        )
        assert "VIRTUAL TABLE INDEX" in plan and "SpatialIndex" in plan, plan
    assert len(session.execute(stmt).all()) == 2


def test_status_transitions(session):
    (did,) = save_defects(session, [candidate()])
    with pytest.raises(InvalidTransitionError, match="cannot go from open to verified_repaired"):
        set_defect_status(session, did, "verified_repaired")
    assert set_defect_status(session, did, "open").status == "open"  # same status: no-op
    set_defect_status(session, did, "repair_claimed", note="ticket 17")
    set_defect_status(session, did, "verified_repaired")
    d = set_defect_status(session, did, "closed", note="resurfaced")
    assert (d.status, d.status_note) == ("closed", "resurfaced") and d.status_changed_at is not None
    with pytest.raises(InvalidTransitionError):
        set_defect_status(session, did, "repair_claimed")
    assert set_defect_status(session, did, "open").status == "open"  # reopen
    with pytest.raises(UsageError):
        set_defect_status(session, did, "fixed")
    with pytest.raises(InputNotFoundError):
        set_defect_status(session, 999999, "closed")


def test_update_links_frames_and_observations(session):
    survey, _ = get_or_create_survey(session, "RCV-10", [("cam1.mp4", sha(100), "video", 1)])
    add_frames(session, survey.id, frames(3), image_refs=["f0.jpg", "f10.jpg", "f20.jpg"])
    obs = [observation(0), observation(10, box=(1, 2, 3, 4)), observation(20, box=(5, 6, 7, 8))]
    obs_ids = add_observations(session, frame_ids_by_key(session, survey.id), obs)
    (did,) = save_defects(
        session, [candidate(keys=(0, 1))], survey_id=survey.id, observation_ids=obs_ids
    )
    d = get_defect(session, did)
    assert (
        d.best_frame_ref == "f10.jpg"
        and d.best_frame_id == frame_ids_by_key(session, survey.id)[("cam1.mp4", 10)]
    )
    assert [o.id for o in list_observations(session, defect_id=did)] == obs_ids[:2]
    set_defect_status(session, did, "repair_claimed")
    set_defect_status(session, did, "verified_repaired")
    # seen again later: the stored candidate is merged (full state) and it is still present
    (stored,) = [c for c in stored_defect_candidates(session) if c.defect_id == did]
    assert (stored.best_source, stored.best_frame_index, stored.sightings) == ("cam1.mp4", 10, 2)
    later = candidate(
        defect_id=did, sightings=3, keys=(2,), last_seen=T0 + timedelta(days=30), lon=LON0 + 1e-6
    )
    assert save_defects(session, [later], survey_id=survey.id, observation_ids=obs_ids) == [did]
    d = get_defect(session, did)
    assert (d.sightings, d.last_seen, d.status) == (3, T0 + timedelta(days=30), "still_present")
    assert [o.id for o in list_observations(session, defect_id=did)] == obs_ids
    assert did not in [c.defect_id for c in stored_defect_candidates(session, status=("open",))]
    with pytest.raises(InputNotFoundError):
        save_defects(session, [candidate(defect_id=999999)])
    set_defect_risk(session, did, "cat2-high", 9.0, T0 + timedelta(days=5))
    assert get_defect(session, did).response_due == T0 + timedelta(days=5)


def test_repair_claims(session):
    (did,) = save_defects(session, [candidate()])
    claim = create_repair_claim(session, did, "Acme Highways", "WO-1", T0, {"photo": "after.jpg"})
    assert get_defect(session, did).status == "repair_claimed"
    assert get_repair_claim(session, claim.id).contractor == "Acme Highways"
    assert [c.id for c in list_repair_claims(session, defect_id=did, status="pending")] == [
        claim.id
    ]
    with pytest.raises(UsageError):  # a decision names the inspector and the reason
        decide_repair_claim(session, claim.id, "verified", "A. Inspector", " ")
    done = decide_repair_claim(session, claim.id, "verified", "A. Inspector", "patch seen", T0)
    assert (done.status, done.decided_by, done.decision_reason) == (
        "verified",
        "A. Inspector",
        "patch seen",
    )
    assert done.evidence["photo"] == "after.jpg" and done.decided_at == T0
    assert get_defect(session, did).status == "verified_repaired"
    # overruled later, in the other direction, with a reason: both decisions are kept
    again = decide_repair_claim(session, claim.id, "rejected", "B. Senior", "pothole reopened")
    assert again.status == "rejected" and get_defect(session, did).status == "still_present"
    assert [d["decision"] for d in again.evidence["decisions"]] == ["verified", "rejected"]
    back = decide_repair_claim(session, claim.id, "verified", "B. Senior", "re-patched")
    assert back.status == "verified" and get_defect(session, did).status == "verified_repaired"
    assert [c.id for c in list_repair_claims(session, contractor="acme highways")] == [claim.id]
    assert list_repair_claims(session, contractor="Other") == []
    report = repair_claims_report(
        session, "Acme Highways", T0 - timedelta(days=1), T0 + timedelta(days=1)
    )
    assert report["totals"] == {"pending": 0, "verified": 1, "rejected": 0}
    assert repair_claims_report(session, "Acme Highways", T0 + timedelta(days=1))["claims"] == []
    with pytest.raises(InputNotFoundError):
        create_repair_claim(session, 999999, "x")


def test_skip_permits(session):
    p = create_skip_permit(
        session, "SK-1", LON0, LAT0, T0, T0 + timedelta(days=14), "1 High St", "Bins Ltd"
    )
    again = create_skip_permit(
        session, "SK-1", LON0, LAT0, T0, T0 + timedelta(days=21), "1 High St", "Bins Ltd"
    )
    assert again.id == p.id and get_skip_permit(session, p.id).valid_to == T0 + timedelta(days=21)
    create_skip_permit(
        session, "SK-2", LON0, LAT0 + 1e-4, T0 + timedelta(days=30), T0 + timedelta(days=44)
    )
    assert [x.reference for x in list_skip_permits(session, valid_at=T0 + timedelta(days=1))] == [
        "SK-1"
    ]
    near = permits_near(session, LON0, LAT0, 20.0)
    assert [x.reference for x, _ in near] == ["SK-1", "SK-2"]
    assert near[1][1] == pytest.approx(M_PER_DLAT_1E4, abs=0.01)
    assert [
        x.reference
        for x, _ in permits_near(session, LON0, LAT0, 20.0, valid_at=T0 + timedelta(days=31))
    ] == ["SK-2"]
    assert [
        x.reference
        for x in list_skip_permits(
            session, bbox=(LON0 - 1e-5, LAT0 - 1e-5, LON0 + 1e-5, LAT0 + 1e-5)
        )
    ] == ["SK-1"]
    with pytest.raises(UsageError):
        create_skip_permit(session, "SK-3", LON0, LAT0, T0, T0 - timedelta(days=1))
