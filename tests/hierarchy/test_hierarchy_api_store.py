"""Hierarchy review against the store (both databases): repository, CLI --database, and the API."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest
from hierarchy_testnet import hospital_network, hospital_sites

from geo.types import DefectCandidate
from roadcam.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def seeded(db_url, engine):
    from store.defects import save_defects
    from store.engine import session_scope
    from store.segments import upsert_segments

    seg = hospital_network()
    wgs = seg.to_crs(4326)
    a2 = wgs.loc[wgs["segment_id"] == "A-2"].geometry.iloc[0].interpolate(0.5, normalized=True)
    cand = DefectCandidate(
        class_name="pothole",
        lon=a2.x,
        lat=a2.y,
        segment_id="A-2",
        chainage_m=100.0,
        offset_m=0.0,
        first_seen=T0,
        last_seen=T0,
        sightings=4,
        max_width_m=0.2,
        best_confidence=0.9,
        best_frame_index=1,
    )
    from dataclasses import replace

    from store.review import review_defect

    unconfirmed = replace(cand, chainage_m=150.0, max_width_m=0.6)  # proposed: not evidence
    with session_scope(engine) as s:
        upsert_segments(s, seg)
        ids = save_defects(s, [cand, unconfirmed])
        review_defect(s, ids[0], "confirm", "inspector")
    return db_url, engine, ids


def test_store_round_trip(seeded):
    from hierarchy.policy import load_policy
    from hierarchy.review import review_hierarchy
    from roadcam.errors import InputNotFoundError
    from store.engine import session_scope
    from store.hierarchy import (
        add_override,
        defects_for_review,
        overrides_from_store,
        save_recommendations,
        segment_hierarchy,
        segments_for_review,
    )

    _, engine, _ = seeded
    with session_scope(engine) as s:
        segs = segments_for_review(s)
        assert len(segs) == 8 and segs.crs.to_epsg() == 27700
        assert segs.set_index("segment_id").at["short", "length_m"] == pytest.approx(200.0)
        d = defects_for_review(s)
        assert list(d["class_name"]) == ["pothole"] and list(d["segment_id"]) == ["A-2"]
        with pytest.raises(InputNotFoundError):
            add_override(s, "nope", "4a", "x")
    result = review_hierarchy(segs, None, load_policy(), sites=hospital_sites(), defects=d)
    with session_scope(engine) as s:
        assert save_recommendations(s, result) == 8
        h = segment_hierarchy(s, "quiet-1")
        assert (h["current_category"], h["recommended_category"]) == ("4b", "4a")
        assert (h["inspection_frequency"], h["recommended_frequency"]) == ("annual", "quarterly")
        assert h["condition"] == "1"  # surveyed (defects present, no pass counts), no defect here
        assert segment_hierarchy(s, "A-2")["condition"] == "3"  # 1 pothole / 0.2 km = 5 per km
        assert h["overrides"] == []
    with session_scope(engine) as s:
        add_override(s, "close", "4a", "school bus turning head", "J Doe")
    with session_scope(engine) as s:
        o = overrides_from_store(s)
        assert list(o["segment_id"]) == ["close"] and list(o["category"]) == ["4a"]


def test_cli_database_mode_rescores_defects(seeded, tmp_path, capsys):
    from pipeline.cli import main
    from store.defects import get_defect
    from store.engine import session_scope

    url, engine, ids = seeded
    out = tmp_path / "review"
    assert (
        main(
            [
                "hierarchy",
                "override",
                "close",
                "4a",
                "--reason",
                "school bus turning head",
                "--author",
                "J Doe",
                "--database",
                url,
            ]
        )
        == 0
    )
    assert main(["hierarchy", "review", "--database", url, "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert summary["segments_written"] == 8 and summary["defects_rescored"] == 1
    with open(out / "segments.csv", newline="") as fh:
        rows = {r["segment_id"]: r for r in csv.DictReader(fh)}
    # The override recorded in the database is kept.
    assert rows["close"]["recommended_category"] == "4a"
    assert rows["close"]["reasons"].startswith("override to 4a (from 4b) by J Doe")
    with session_scope(engine) as s:
        d = get_defect(s, ids[0])
        # pothole 0.2 m on a 3a A road (40 mph): impact 3 + 1, probability 3 -> 12 = Cat 1, 2 working days.
        assert (d.risk_category, d.risk_score) == ("cat1", 12.0)
        assert d.response_due == datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


def test_api_review_segment_and_override(seeded, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app

    url, _, _ = seeded
    settings = Settings(database_url=url, data_dir=tmp_path)
    sites = json.loads(hospital_sites().to_json())
    from store.engine import make_engine, session_scope
    from store.users import add_user, issue_token

    engine = make_engine(url)
    with session_scope(engine) as s:
        token, _ = issue_token(s, add_user(s, "eng", "engineer", "engineer-password"))
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        r = client.post("/hierarchy/review", json={"sites": sites})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["segments"] == 8 and body["segments_written"] == 8
        changes = {c["segment_id"]: c for c in body["changes"]}
        assert changes["quiet-2"]["recommended_category"] == "4a"
        assert (
            changes["quiet-2"]["reasons"]
            == "raised from 4b to 4a: alternative route to Medway Maritime Hospital"
        )
        r = client.get("/segments/quiet-2/hierarchy")
        assert r.status_code == 200
        assert r.json()["recommended_category"] == "4a"
        assert (
            r.json()["reasons"]
            == "raised from 4b to 4a: alternative route to Medway Maritime Hospital"
        )
        r = client.post(
            "/segments/quiet-2/hierarchy/override",
            json={"category": "3B", "reason": "diversion route", "author": "kb"},
        )
        assert r.status_code == 201 and r.json()["category"] == "3b"
        assert r.json()["author"] == "eng"  # the signed-in engineer, not the body's "kb"
        events = client.get("/segments/quiet-2/history").json()["events"]
        assert [(e["action"], e["actor"], e["to_value"]) for e in events] == [
            ("override", "eng", "3b")
        ]
        r = client.post("/hierarchy/review", json={})
        assert {c["segment_id"]: c for c in r.json()["changes"]}["quiet-2"][
            "recommended_category"
        ] == "3b"
        h = client.get("/segments/quiet-2/hierarchy").json()
        assert (
            h["recommended_category"] == "3b" and h["overrides"][-1]["reason"] == "diversion route"
        )
        assert client.get("/segments/nope/hierarchy").status_code == 404
        assert (
            client.post(
                "/segments/quiet-2/hierarchy/override", json={"category": "9", "reason": "x"}
            ).status_code
            == 422
        )
        assert (
            client.post(
                "/hierarchy/review", json={"traffic": [{"source_id": "x", "aadt": -1}]}
            ).status_code
            == 422
        )
