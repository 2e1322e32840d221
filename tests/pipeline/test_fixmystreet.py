"""FixMyStreet / Open311 GeoReport v2 import on a fixture written from the specification:
parsing, placement on segments, links to camera defects and the contact centre's triage."""

import json
from datetime import UTC, datetime

import pytest

from pipeline.cli import main
from pipeline.open311 import read_georeport
from roadcam.errors import CorruptInputError
from tests.api._export_seed import seed
from tests.conftest import TEST_DATA

FIXTURE = TEST_DATA / "open311" / "requests.json"


def test_georeport_fixture_parses_with_zones_and_string_coordinates():
    reports, errors = read_georeport(str(FIXTURE))
    assert [r.service_request_id for r in reports] == ["fms-101", "fms-102", "fms-103", "fms-104"]
    by_id = {r.service_request_id: r for r in reports}
    assert by_id["fms-102"].requested_at == datetime(2026, 11, 5, 13, 0, tzinfo=UTC)  # -05:00
    assert (by_id["fms-104"].lat, by_id["fms-104"].lon) == (51.39, 0.56)  # strings in the file
    assert by_id["fms-104"].report_status == "closed"
    assert by_id["fms-104"].source_updated_at == datetime(2026, 11, 8, 9, 15, tzinfo=UTC)
    assert [e["kind"] for e in errors] == ["corrupt_input", "corrupt_input"]
    assert "fms-105" in errors[0]["message"] and "lat is missing" in errors[0]["message"]
    assert "fms-106" in errors[1]["message"] and "no time zone" in errors[1]["message"]


def test_wrapped_array_accepted_and_other_json_refused(tmp_path):
    data = json.loads(FIXTURE.read_text())
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"service_requests": data[:2]}))
    assert len(read_georeport(str(wrapped))[0]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(CorruptInputError, match="GeoReport"):
        read_georeport(str(bad))


def test_import_places_links_and_triages(fresh_db_url, capsys):
    from store.engine import make_engine, session_scope

    engine = make_engine(fresh_db_url)
    with session_scope(engine) as s:
        ids = seed(s)
    engine.dispose()
    code = main(["fixmystreet", "import", str(FIXTURE), "--database", fresh_db_url, "--json"])
    assert code == 3  # two unusable requests: the batch went on and says so
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == {"inserted": 4, "updated": 0}
    triage = {r["service_request_id"]: r for r in out["triage"]}
    # at the pothole (seen 2 Nov); drive 2 passed it on 9 Nov and did not see it again
    assert triage["fms-101"]["segment_id"] == "w1-0"
    assert triage["fms-101"]["defect_id"] == ids["pothole"]
    assert triage["fms-101"]["verdict"] == "passed_not_seen"
    # the crack was first seen on 9 Nov, after the report: the camera saw it
    assert (triage["fms-102"]["defect_id"], triage["fms-102"]["verdict"]) == (ids["crack"], "seen")
    # the skip was seen before the report, and no drive has come within 15 m since
    assert triage["fms-103"]["segment_id"] == "w2-0"
    assert (triage["fms-103"]["defect_id"], triage["fms-103"]["verdict"]) == (
        ids["skip"],
        "known_before",
    )
    # 1 km away: off the network, nothing near, wait for a pass
    assert triage["fms-104"]["segment_id"] is None and triage["fms-104"]["defect_id"] is None
    assert triage["fms-104"]["verdict"] == "awaiting_pass"
    # 0.00051 deg of longitude east of the street's start at 51.386 N: 0.00051 * 111320 m *
    # cos(51.386 deg) = 35.4 m
    assert triage["fms-101"]["chainage_m"] == pytest.approx(35.4, abs=0.3)

    # importing again updates in place; the plain triage prints one line per report
    assert main(["fixmystreet", "import", str(FIXTURE), "--database", fresh_db_url]) == 3
    text = capsys.readouterr().out
    assert "0 new and 4 updated citizen reports, 2 unusable" in text
    assert "fms-101 2026-11-05 Potholes [open] on w1-0" in text
    assert "PASSED, NOT SEEN" in text
    assert main(["fixmystreet", "triage", "--database", fresh_db_url]) == 0
    assert capsys.readouterr().out.count("\n") == 4

    # the same list for the contact centre's screen
    from fastapi.testclient import TestClient

    from api.main import create_app
    from roadcam.settings import Settings

    with TestClient(create_app(Settings(database_url=fresh_db_url, public_reads=True))) as client:
        api = client.get("/citizen-reports/triage").json()
    assert api["count"] == 4
    assert {r["service_request_id"]: r["verdict"] for r in api["reports"]} == {
        k: v["verdict"] for k, v in triage.items()
    }


def test_missing_file_is_one_line_user_error(fresh_db_url, capsys, tmp_path):
    code = main(["fixmystreet", "import", str(tmp_path / "nope.json"), "--database", fresh_db_url])
    assert code == 11
    assert "no such file" in capsys.readouterr().err
