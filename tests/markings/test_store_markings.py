"""Wear runs in the store (SpatiaLite and PostGIS): save per survey, merge drives, serve by API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from roadcam.settings import Settings
from store.engine import session_scope
from store.markings import list_wear_runs, merged_wear_runs, save_wear_runs
from store.surveys import get_or_create_survey
from tests.store._factories import sha

T1 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@dataclass
class Run:
    segment_id: str
    line_offset_m: float
    run_index: int
    wear: float
    line_kind: str = "centre"
    paint_width_m: float = 0.03
    reference_width_m: float = 0.05
    covered_m: float = 20.0
    frames: tuple = (("drive1.mp4", 7),)

    @property
    def start_m(self):
        return self.run_index * 10.0

    @property
    def end_m(self):
        return self.start_m + 10.0

    @property
    def lonlat(self):
        x = 0.555 + self.run_index * 0.0001
        return ((x, 51.386), (x + 0.0001, 51.386))


@pytest.fixture(scope="module")
def stored(db_url, engine):
    with session_scope(engine) as s:
        a, _ = get_or_create_survey(s, "RCV-01", [("d1.mp4", sha(151), "video", 1)], T1, T1)
        b, _ = get_or_create_survey(s, "RCV-01", [("d2.mp4", sha(152), "video", 1)], T2, T2)
        save_wear_runs(s, a.id, [Run("r06-0", -0.36, 0, 0.1), Run("r06-0", -0.36, 1, 0.2)], T1)
        # the second drive sees the line 0.2 m away (same line) and run 1 much more worn
        save_wear_runs(s, b.id, [Run("r06-0", -0.16, 0, 0.15), Run("r06-0", -0.16, 1, 0.6)], T2)
        # saving a survey again replaces its runs
        save_wear_runs(s, b.id, [Run("r06-0", -0.16, 0, 0.15), Run("r06-0", -0.16, 1, 0.6)], T2)
    return db_url


def test_drives_merge_with_trend_and_change_flag(stored, engine):
    with session_scope(engine) as s:
        assert len(list_wear_runs(s)) == 4
        merged = merged_wear_runs(s, repeatability=0.1)
    assert [(m["run_index"], m["wear"], m["changed"]) for m in merged] == [
        (0, 0.15, False),
        (1, 0.6, True),
    ]
    assert [p["wear"] for p in merged[1]["trend"]] == [0.2, 0.6]
    assert merged[1]["coordinates"] == [[0.5551, 51.386], [0.5552, 51.386]]


def test_api_serves_runs_as_geojson_and_the_programme(stored, tmp_path):
    from api.main import create_app

    settings = Settings(database_url=stored, data_dir=tmp_path, public_reads=True)
    with TestClient(create_app(settings)) as client:
        geo = client.get("/markings/runs/geojson").json()
        prog = client.get("/markings/programme").json()
        one = client.get("/markings/runs", params={"segment_id": "nope"}).json()
    assert geo["type"] == "FeatureCollection" and geo["total"] == 2
    f = geo["features"][1]
    assert f["geometry"]["type"] == "LineString" and f["properties"]["wear"] == 0.6
    assert f["properties"]["above_threshold"] is True
    assert [r["start_m"] for r in prog["runs"]] == [10.0]
    assert prog["runs"][0]["response"] == "planned"
    assert prog["totals"]["programme_km"] == 0.01
    assert one == []


@dataclass
class DashedRun(Run):
    dash_period_m: float | None = None
    dash_phase_m: float | None = None


def test_the_earliest_survey_of_a_segment_gives_the_dash_datum(stored, engine):
    """``reference_dashes``: the dashed line (offset, period, phase) of the earliest survey that
    registered one on the segment; runs of other lines carry none (run after the tests above:
    it adds surveys to the module's database)."""
    from store.markings import reference_dashes

    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        late, _ = get_or_create_survey(s, "RCV-02", [("d4.mp4", sha(154), "video", 1)], T2, T2)
        early, _ = get_or_create_survey(s, "RCV-02", [("d3.mp4", sha(153), "video", 1)], t0, t0)
        save_wear_runs(s, late.id, [DashedRun("r12-0", 0.05, 0, 0.1, dash_period_m=9.0,
                                              dash_phase_m=4.2)], T2)  # fmt: skip
        save_wear_runs(s, early.id, [DashedRun("r12-0", 0.02, 0, 0.1, dash_period_m=9.0,
                                               dash_phase_m=3.1),
                                     DashedRun("r12-0", 3.3, 0, 0.0)], t0)  # fmt: skip
    with session_scope(engine) as s:
        ref = reference_dashes(s)
    assert ref["r12-0"] == pytest.approx((0.02, 9.0, 3.1))
    assert "r06-0" not in ref  # its runs were stored without a dashed line
