"""The permit register (import, street matching, all-or-nothing) and the enforcement list.

On SpatiaLite and PostGIS, with the sample network (hand-made, sample_footage/network.geojson):
Gordon Road is r09-0..r11-0, Livingstone Road r12-0, Canterbury Street r01-0..r04-0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from geo.network.roads import load_network
from geo.types import DefectCandidate
from roadcam.errors import CorruptInputError
from roadcam.settings import PROJECT_ROOT
from store.defects import save_defects, set_defect_status
from store.engine import make_engine, session_scope
from store.frames import add_frames, frame_ids_by_key
from store.models import RoadSegment, SkipPermit
from store.observations import add_observations
from store.permits import import_skip_permits, streets_of_network
from store.review import review_defect
from store.segments import upsert_segments
from store.skip_enforcement import chargeable_skip_filter, skip_findings
from store.surveys import get_or_create_survey
from tests.store._factories import frames, observation, sha

DAY = datetime(2026, 11, 16, tzinfo=UTC)  # permits run from midnight to 23:59
SEEN = timedelta(hours=9)  # skips are passed at 09:00
END = timedelta(hours=23, minutes=59)


def _row(ref, frm, to, street="", address="", lon=None, lat=None):
    return {
        "reference": ref,
        "valid_from": frm,
        "valid_to": to,
        "street": street,
        "address": address,
        "lon": lon,
        "lat": lat,
        "company": "Medway Skips Ltd",
        "contact": "01634 000000",
    }


@pytest.fixture
def db(fresh_db_url):
    engine = make_engine(fresh_db_url)
    net = load_network(PROJECT_ROOT / "sample_footage" / "network.geojson")
    with session_scope(engine) as s:
        upsert_segments(s, net.segments)
    yield engine
    engine.dispose()


def _mid(s, seg_id):
    p = to_shape(s.get(RoadSegment, seg_id).geom).interpolate(0.5, normalized=True)
    return float(p.x), float(p.y)


def _skip(s, seg_id, first, last, sightings=3, lon_shift=0.0, at=None):
    lon, lat = at or _mid(s, seg_id)
    cand = DefectCandidate(
        class_name="skip",
        lon=lon + lon_shift,
        lat=lat,
        segment_id=seg_id,
        chainage_m=42.0,
        offset_m=3.0,
        first_seen=first + SEEN,
        last_seen=last + SEEN,
        sightings=sightings,
        max_width_m=1.8,
        best_confidence=0.9,
        best_frame_index=10,
        best_source="cam1.mp4",
    )
    return _confirmed(s, save_defects(s, [cand])[0])


def _confirmed(s, defect_id):
    """Only findings an engineer has confirmed are chargeable: confirm it, as one would."""
    review_defect(s, int(defect_id), "confirm", "eng")
    return defect_id


def test_import_matches_streets_and_is_idempotent(db):
    rows = [
        _row("SK-1", DAY, DAY + END, address="21 Gordon Rd, Gillingham, ME7 4AB"),
        _row("SK-2", DAY, DAY + END, street="LIVINGSTONE RD."),
        _row("SK-3", DAY, DAY + END, lon=0.5562, lat=51.3868, address="40 Canterbury St"),
    ]
    with session_scope(db) as s:
        assert streets_of_network(s)["gordon road"].segments == 3
        assert import_skip_permits(s, rows) == {"permits": 3, "by_coordinates": 1, "by_street": 2}
    with session_scope(db) as s:
        assert import_skip_permits(s, rows)["permits"] == 3  # again: updated, not duplicated
        assert s.scalar(select(func.count()).select_from(SkipPermit)) == 3
        got = {
            p.reference: (p.location_source, p.street, p.street_key, p.segment_id, p.contact)
            for p in s.scalars(select(SkipPermit))
        }
    assert got["SK-1"] == ("street", "Gordon Road", "gordon road", "r11-0", "01634 000000")
    assert got["SK-2"][:4] == ("street", "Livingstone Road", "livingstone road", "r12-0")
    assert got["SK-3"][:2] == ("coordinates", None)


def test_a_bad_row_names_its_row_and_stores_nothing(db):
    good = _row("SK-1", DAY, DAY + END, street="Gordon Road")
    for bad, msg in [
        (_row("SK-9", DAY, DAY + END, street="Nowhere Lane"), "row 3: street 'Nowhere Lane'"),
        (_row("SK-9", DAY, DAY - END), "row 3: SK-9: valid_to is before valid_from"),
        (_row("SK-9", DAY, DAY + END), "row 3: no lon/lat and no street"),
        (_row("SK-1", DAY, DAY + END, street="Gordon Road"), "row 3: reference 'SK-1' repeats"),
        (_row("SK-9", DAY, DAY + END, lon=400.0, lat=51.0), "row 3: skip permit SK-9: lon/lat"),
    ]:
        with pytest.raises(CorruptInputError, match=msg):
            with session_scope(db) as s:
                import_skip_permits(s, [good, bad])
        with session_scope(db) as s:
            assert s.scalar(select(func.count()).select_from(SkipPermit)) == 0, msg


def test_permit_states_and_street_coverage(db):
    with session_scope(db) as s:
        ok = _skip(
            s, "r10-0", DAY, DAY + timedelta(days=3)
        )  # Gordon Road, not the permit's segment
        late = _skip(s, "r12-0", DAY, DAY + timedelta(days=20))  # Livingstone Road
        none = _skip(s, "r01-0", DAY - timedelta(days=2), DAY)  # Canterbury Street, no permit
        once = _skip(s, "r05-0", DAY, DAY, sightings=1)  # seen once: not evidence
        closed = _skip(s, "r06-0", DAY, DAY)
        set_defect_status(s, closed, "closed", "a parked car, not a skip")
        near = _mid(s, "r01-0")
        import_skip_permits(
            s,
            [
                _row("G-1", DAY - timedelta(days=1), DAY + END, street="Gordon Rd"),
                _row("G-2", DAY + timedelta(days=1), DAY + timedelta(days=14), street="Gordon Rd"),
                _row(
                    "L-1",
                    DAY - timedelta(days=5),
                    DAY + timedelta(days=8) + END,
                    street="Livingstone Rd",
                ),
                # Canterbury Street, 7 m away, but it begins after the skip was first seen.
                _row("C-1", DAY + END, DAY + timedelta(days=14), lon=near[0] + 1e-4, lat=near[1]),
            ],
        )
    with session_scope(db) as s:
        found = {f["defect_id"]: f for f in skip_findings(s, min_sightings=2, radius_m=20.0)}
    assert sorted(found) == sorted([ok, late, none])  # not the single sighting, not the closed one
    assert once not in found and closed not in found
    # G-1 then its renewal G-2 cover all 4 days.
    assert (found[ok]["permit_state"], found[ok]["permit_reference"]) == ("permitted", "G-1")
    assert found[ok]["street"] == "Gordon Road" and found[ok]["permit_distance_m"] is None
    # L-1 ends on day 8; seen until day 20: 12 days over.
    assert (found[late]["permit_state"], found[late]["overstay_days"]) == ("overstay", 12)
    assert found[late]["days_on_highway"] == 21
    f = found[none]
    assert (f["permit_state"], f["other_permit_reference"], f["days_on_highway"]) == (
        "unlicensed",
        "C-1",
        3,
    )
    assert f["nearest_address"] == "Canterbury Street (r01-0) at 42 m"
    assert f["evidence_frames"] == ["cam1.mp4#10"]  # no stored frames: the best frame's ref


def test_evidence_frames_are_the_sightings_images_in_time_order(db):
    with session_scope(db) as s:
        survey, _ = get_or_create_survey(s, "RCV-01", [("cam1.mp4", sha(7), "video", 1)])
        add_frames(s, survey.id, frames(3), image_refs=["f0.jpg", "f10.jpg", "f20.jpg"])
        obs = [observation(i * 10, cls="skip", seg="r09-0") for i in (2, 0, 1)]
        ids = add_observations(s, frame_ids_by_key(s, survey.id), obs)
        lon, lat = _mid(s, "r09-0")
        cand = DefectCandidate(
            class_name="skip",
            lon=lon,
            lat=lat,
            segment_id="r09-0",
            chainage_m=10.0,
            offset_m=3.0,
            first_seen=DAY,
            last_seen=DAY,
            sightings=3,
            max_width_m=1.8,
            best_confidence=0.9,
            best_frame_index=10,
            best_source="cam1.mp4",
            observation_keys=(0, 1, 2),
        )
        _confirmed(s, save_defects(s, [cand], survey_id=survey.id, observation_ids=ids)[0])
    with session_scope(db) as s:
        (f,) = skip_findings(s, min_sightings=2, radius_m=20.0)
        assert f["evidence_frames"] == ["f0.jpg", "f10.jpg", "f20.jpg"]
        assert s.scalar(select(func.count()).where(chargeable_skip_filter())) is not None


def test_a_street_permit_covers_by_name_not_by_its_point(db):
    with session_scope(db) as s:
        import_skip_permits(s, [_row("G-1", DAY, DAY + END, street="Gordon Road")])
        point = streets_of_network(s)["gordon road"]
        # seen right at the Gordon Road permit's point, but matched to Windmill Road
        other = _skip(s, "r14-0", DAY, DAY, at=(point.lon, point.lat))
        same = _skip(s, "r09-0", DAY, DAY)
    with session_scope(db) as s:
        found = {f["defect_id"]: f["permit_state"] for f in skip_findings(s, 2, 20.0)}
    assert found == {other: "unlicensed", same: "permitted"}
