"""Inspectors verify contractors' repairs from later footage before payment.

Drive 1 sees potholes P01–P04; claims say all four were repaired; drive 2, two
weeks later, passes them: P01, P02 and P04 were patched (not seen), P03 was not
(seen again). The rendered truth stands in for the detector (sample_oracle).
"""

from datetime import UTC, datetime

import pytest
from sample_oracle import SAMPLE, ground_truth, metres, process_with_oracle

from pipeline.cli import main

pytestmark = pytest.mark.slow
CLAIMED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # between the drives


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    from store.claims import create_repair_claim, list_repair_claims
    from store.defects import defect_lonlat, get_defect, list_defects
    from store.engine import make_engine, session_scope

    tmp = tmp_path_factory.mktemp("repairs")
    db = f"sqlite:///{tmp / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    assert process_with_oracle([SAMPLE / "drive1.mp4"], db, tmp) == 0
    truth = {f["properties"]["id"]: f for f in ground_truth("drive1")}
    engine = make_engine(db)
    defect_of = {}
    with session_scope(engine) as s:
        potholes = list_defects(s, class_name="pothole", limit=None)
        for pid in ("P01", "P02", "P03", "P04"):
            lon, lat = truth[pid]["geometry"]["coordinates"]
            d = min(potholes, key=lambda d: metres(lon, lat, *defect_lonlat(d)))
            defect_of[pid] = d.id
            create_repair_claim(s, d.id, "Acme Surfacing", f"WO-{pid}", CLAIMED_AT)
    assert process_with_oracle([SAMPLE / "drive2.mp4"], db, tmp) == 0
    with session_scope(engine) as s:
        status = {pid: get_defect(s, did).status for pid, did in defect_of.items()}
        claims = {c.defect_id: (c.status, c.evidence) for c in list_repair_claims(s)}
    engine.dispose()
    return defect_of, status, claims, db


def test_patched_potholes_are_verified_and_the_unrepaired_one_is_still_present(verified):
    defect_of, status, claims, _ = verified
    truth = {f["properties"]["id"]: f["properties"] for f in ground_truth("drive1")}
    assert [p for p in ("P01", "P02", "P03", "P04") if truth[p]["repaired_in"] == "drive2"] == [
        "P01",
        "P02",
        "P04",
    ]
    assert status == {
        "P01": "verified_repaired",
        "P02": "verified_repaired",
        "P03": "still_present",
        "P04": "verified_repaired",
    }
    assert (
        claims[defect_of["P03"]][0] == "rejected" and claims[defect_of["P03"]][1]["sightings"] > 0
    )
    for pid in ("P01", "P02", "P04"):
        state, evidence = claims[defect_of[pid]]
        assert state == "verified"
        assert evidence["sightings"] == 0 and evidence["frames_in_view"] >= 2
        assert len(evidence["frames"]) == evidence["frames_in_view"]


def test_repairs_list_command_shows_the_verdicts(verified, capsys):
    import json

    defect_of, _, _, db = verified
    assert main(["repairs", "list", "--database", db, "--json"]) == 0
    rows = {r["defect_id"]: r for r in json.loads(capsys.readouterr().out)["claims"]}
    assert rows[defect_of["P03"]]["status"] == "rejected"
    assert (
        rows[defect_of["P01"]]["status"] == "verified" and rows[defect_of["P01"]]["survey_id"] == 2
    )
