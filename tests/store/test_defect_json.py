"""Defects as JSON built in SQL: the same objects as the API schema, bbox through the index,
keyset pages that cover everything once, and honest totals; on SpatiaLite and PostGIS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from api.schemas.defect import DefectPublic
from geo.types import DefectCandidate
from store.defect_filter import DefectFilter
from store.defect_json import defect_json, defects_geojson_text, defects_page_json
from store.defects import list_defects, save_defects, set_defect_risk, set_defect_status

T0 = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
LON0, LAT0 = 0.5040, 51.3890


def cand(i: int) -> DefectCandidate:
    return DefectCandidate(
        class_name=("pothole", "crack", "skip")[i % 3],
        lon=LON0 + 0.0001 * i,  # ~7 m apart, east
        lat=LAT0 + 0.00001 * (i % 7),
        segment_id=f"s{i % 4}" if i % 5 else None,
        chainage_m=1.5 * i if i % 5 else None,
        offset_m=-1.0,
        first_seen=T0 + timedelta(seconds=i, microseconds=1234 * (i % 2)),
        last_seen=T0 + timedelta(days=i),
        sightings=1 + i % 3,
        max_width_m=0.1 * i if i % 2 else 0.0,
        best_confidence=0.5 + i / 100,
        best_frame_index=i,
        best_source="cam.mp4",
    )


@pytest.fixture(scope="module")
def ids(engine):
    from store.engine import session_scope

    with session_scope(engine) as s:
        out = save_defects(s, [cand(i) for i in range(40)])
        set_defect_status(s, out[3], "closed", note='not a "defect"')
        set_defect_risk(s, out[4], "high", 0.91, T0 + timedelta(hours=24))
        from store.models import Defect

        s.get(Defect, out[5]).best_frame_ref = "/var/frames/a.jpg"
    return out


def schema_json(rows) -> list[dict]:
    return [json.loads(DefectPublic.from_row(r).model_dump_json()) for r in rows]


def test_each_object_is_the_schema_s_json(session, ids):
    got = json.loads(defects_page_json(session, DefectFilter(), limit=100))
    want = schema_json(list_defects(session, limit=None))
    assert got["count"] == len(want) == 40 and got["total"] == 40 and got["total_exact"]
    assert got["next_after_id"] is None
    for g, w in zip(got["defects"], want, strict=True):
        assert g.keys() == w.keys()
        for k in w:
            if isinstance(w[k], float):
                assert g[k] == pytest.approx(w[k], rel=1e-12, abs=1e-12), k
            else:
                assert g[k] == w[k], (k, g[k], w[k])
    one = json.loads(defect_json(session, ids[5]))
    assert one["has_image"] is True and one == got["defects"][5]
    assert defect_json(session, 10**9) is None


def test_bbox_filters_and_keyset_pages(session, ids):
    box = (LON0 + 0.0001 * 10 - 1e-7, LAT0 - 1e-4, LON0 + 0.0001 * 29 + 1e-7, LAT0 + 1e-4)
    flt = DefectFilter(bbox=box, class_names=["pothole", "crack"], statuses=["open"])
    want = [
        d.id
        for d in list_defects(
            session, bbox=box, class_name=["pothole", "crack"], status="open", limit=None
        )
    ]
    assert len(want) == 13  # i in 10..29, not skips (i % 3 == 2)
    seen, after = [], None
    while True:
        page = json.loads(defects_page_json(session, flt, limit=5, after_id=after))
        assert page["total"] == len(want) and page["total_exact"]
        seen += [d["id"] for d in page["defects"]]
        after = page["next_after_id"]
        if after is None:
            break
    assert seen == want


def test_totals_are_capped_honestly(session, ids, monkeypatch):
    import store.defect_json as dj

    monkeypatch.setattr(dj, "COUNT_CAP", 25)
    page = json.loads(defects_page_json(session, DefectFilter(), limit=10))
    assert page["total"] == 25 and page["total_exact"] is False and page["count"] == 10


def test_geojson_features(session, ids):
    since = T0 + timedelta(days=30)
    fc = json.loads(defects_geojson_text(session, DefectFilter(last_seen_from=since), limit=1000))
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == ids[30:]
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Point"
    assert f["geometry"]["coordinates"] == pytest.approx([LON0 + 0.003, LAT0 + 0.00001 * 2])
    assert "lon" not in f["properties"] and f["properties"]["id"] == ids[30]


SAME_FILTERS = [
    dict(class_names=["pothole", "skip"], last_seen_from=T0 + timedelta(days=10)),
    dict(statuses=["closed"]),
    dict(risk_categories=["high"]),
    dict(segment_ids=["s1", "s3"], first_seen_to=T0 + timedelta(seconds=20)),
    dict(first_seen_from=T0 + timedelta(seconds=5), last_seen_to=T0 + timedelta(days=12)),
    dict(bbox=(LON0 + 0.0004, LAT0 - 0.001, LON0 + 0.0012, LAT0 + 0.001)),
    dict(updated_since=T0 - timedelta(days=1), class_names=["crack"]),
    dict(updated_since=datetime(2100, 1, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize("kw", SAME_FILTERS, ids=lambda kw: "+".join(kw))
def test_the_lists_and_the_exports_filter_alike(session, ids, kw):
    """The review lists (SQL built for JSON) and the exports (ORM) implement one DefectFilter
    twice, for speed: they must select the same defects."""
    from store.exports import filtered_defects

    flt = DefectFilter(**kw)
    listed = [f["id"] for f in json.loads(defects_geojson_text(session, flt))["features"]]
    assert listed == [d.id for d in filtered_defects(session, flt)]
    assert json.loads(defects_page_json(session, flt))["count"] == len(listed)


def test_the_lists_refuse_confirmed_only_and_bad_statuses(session, ids):
    from roadcam.errors import UsageError

    with pytest.raises(UsageError, match="confirmed_only"):
        defects_page_json(session, DefectFilter(confirmed_only=True))
    with pytest.raises(UsageError, match="unknown defect status"):
        DefectFilter(statuses=["fixed?"])
