"""A small hand-checkable network for the export, feed and map tests (made here).

Two drives along Canterbury Street (B2004, ~97 m, east-west) then a cul-de-sac north of its
east end. Four defects, each in a different state:

* ``pothole`` first seen on drive 1, repair claimed (confirmed), passed by drive 2 and not seen;
* ``crack`` first seen on drive 2 (new), open (a proposal, not confirmed);
* ``skip`` on the cul-de-sac, drive 1, open; drive 2 never came within 20 m of it;
* ``faded_marking`` drive 1, closed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
from shapely.geometry import LineString

from geo.types import DefectCandidate, FrameQuality, Observation, SampledFrame

T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # drive 1
T2 = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # drive 2
LAT = 51.386


def segments() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "segment_id": ["w1-0", "w2-0"],
            "source_id": ["21400123", "21400456"],  # USRN-like ids from the council's network
            "name": ["Canterbury Street", "Cul-de-sac"],
            "ref": ["B2004", ""],
            "highway": ["secondary", "residential"],
            "road_class": ["B", "residential"],
            "oneway": [False, False],
            "u": ["a", "b"],
            "v": ["b", "c"],
            "length_m": [97.0, 44.5],
            "hierarchy": ["3b", ""],
        },
        geometry=[
            LineString([(0.548, LAT), (0.5494, LAT)]),
            LineString([(0.5494, LAT), (0.5494, LAT + 0.0004)]),
        ],
        crs="EPSG:4326",
    )


def canterbury_street(segment_id: str, length_m: float, end_lon: float) -> gpd.GeoDataFrame:
    """Canterbury Street alone (B2004, east from 0.548 E), for tests that need one road."""
    one = segments().iloc[[0]].copy()
    one["segment_id"] = [segment_id]
    one["source_id"] = ["1"]
    one["length_m"] = [length_m]
    one["geometry"] = [LineString([(0.548, LAT), (end_lon, LAT)])]
    return one.reset_index(drop=True)


def _frames(t0: datetime, source: str) -> list[SampledFrame]:
    q = FrameQuality(brightness=120.0, blur=300.0, glare=0.01, hdop=0.9)
    return [
        SampledFrame(
            frame_index=i,
            video_time_s=float(i),
            time=t0 + timedelta(seconds=i),
            lon=0.548 + i * 0.00007,
            lat=LAT,
            heading_deg=90.0,
            speed_mps=5.0,
            distance_m=4.9 * i,
            quality=q,
            source=source,
        )
        for i in range(21)
    ]


def _candidate(cls: str, lon: float, lat: float, seg: str, t: datetime, k: int) -> DefectCandidate:
    return DefectCandidate(
        class_name=cls,
        lon=lon,
        lat=lat,
        segment_id=seg,
        chainage_m=round((lon - 0.548) / 0.0014 * 97.0, 1) if seg == "w1-0" else 10.0,
        offset_m=1.0,
        first_seen=t,
        last_seen=t,
        sightings=2 + k,
        max_width_m=0.42,
        best_confidence=0.8,
        best_frame_index=k,
    )


def seed(session) -> dict[str, int]:
    """Store the network, two drives and the four defects; returns ids by class name."""
    from store.defects import save_defects, set_defect_status
    from store.frames import add_frames
    from store.observations import add_observations
    from store.review import review_defect
    from store.segments import upsert_segments
    from store.surveys import get_or_create_survey

    upsert_segments(session, segments())
    for n, t in ((1, T1), (2, T2)):
        survey, _ = get_or_create_survey(
            session, "truck-7", [(f"drive{n}.mp4", f"{n:064d}", "video", 100)], t, t
        )
        frames = _frames(t, f"drive{n}.mp4")
        frame_ids = add_frames(session, survey.id, frames)
    # drive 2 saw the crack in two frames (12 and 13)
    by_key = {(f.source, f.frame_index): i for f, i in zip(frames, frame_ids, strict=True)}
    add_observations(
        session,
        by_key,
        [
            Observation(
                class_name="crack",
                confidence=0.6 + 0.01 * k,
                xyxy=(100.0 + k, 200.0, 180.0, 260.0),
                lon=0.5489,
                lat=LAT,
                width_m=0.42,
                time=frames[k].time,
                frame_index=k,
                source="drive2.mp4",
                segment_id="w1-0",
                chainage_m=62.4,
                offset_m=1.0,
            )
            for k in (12, 13)
        ],
    )
    cands = [
        _candidate("pothole", 0.5485, LAT, "w1-0", T1, 0),
        _candidate("crack", 0.5489, LAT, "w1-0", T2, 1),
        _candidate("skip", 0.5494, LAT + 0.0003, "w2-0", T1, 2),
        _candidate("faded_marking", 0.5482, LAT, "w1-0", T1, 3),
    ]
    ids = dict(zip([c.class_name for c in cands], save_defects(session, cands), strict=True))
    # an inspector confirmed the pothole (a repair was then claimed) and rejected the faded
    # marking; the crack and the skip are still proposals
    review_defect(session, ids["pothole"], "confirm", "inspector")
    set_defect_status(session, ids["pothole"], "repair_claimed", "job 123")
    review_defect(session, ids["faded_marking"], "reject", "inspector", reason="false_positive")
    set_defect_status(session, ids["faded_marking"], "closed", "not a defect")
    session.flush()
    return ids
