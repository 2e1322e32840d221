"""Repairs checked before payment, on the shipped sample with the shipped detector (no stand-in).

Drive 1 finds potholes P01–P04; a contractor claims all four repaired; drive 2, two weeks
later, passes them: P01, P02 and P04 were patched, P03 was not. The detector reads the
patches as potholes (0.3–0.5), so the verdict comes from the before/after crops of each
spot (geo.placement.spots/verify). The machine only proposes: claims stay pending until an
inspector decides. Measured (roadcam-v3): P01 0.82, P02 0.73, P04 0.86 repaired, P03 0.07
still_present (change scores; thresholds chosen on scenario seeds 100-106, not here).
"""

import csv
import json
import shutil
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sample_oracle import SAMPLE, ground_truth, metres

from pipeline.cli import main
from roadcam.settings import PROJECT_ROOT, get_settings

WEIGHTS = PROJECT_ROOT / "detector" / "weights" / "roadcam.onnx"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WEIGHTS.is_file(), reason="no committed weights"),
]
CLAIMED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # between the drives


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Both drives through `roadcam process` with the shipped detector, claims filed between."""
    from store.claims import create_repair_claim, list_repair_claims
    from store.defects import defect_lonlat, get_defect, list_defects
    from store.engine import make_engine, session_scope

    tmp = tmp_path_factory.mktemp("repairs")
    mp = pytest.MonkeyPatch()
    mp.setenv("ROADCAM_DATA_DIR", str(tmp))  # crops are stored relative to the data folder
    get_settings.cache_clear()
    db = f"sqlite:///{tmp / 'r.sqlite'}"
    run = ["--database", db, "--frames-dir", str(tmp / "frames"), "--json"]
    try:
        assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
        assert main(["process", str(SAMPLE / "drive1.mp4"), *run]) == 0
        truth = {f["properties"]["id"]: f for f in ground_truth("drive1")}
        engine = make_engine(db)
        defect_of = {}
        with session_scope(engine) as s:
            potholes = list_defects(s, class_name="pothole", limit=None)
            for pid in ("P01", "P02", "P03", "P04"):
                lon, lat = truth[pid]["geometry"]["coordinates"]
                d = min(potholes, key=lambda d: metres(lon, lat, *defect_lonlat(d)))
                assert metres(lon, lat, *defect_lonlat(d)) < 4.0, f"{pid} not found in drive1"
                defect_of[pid] = d.id
                create_repair_claim(s, d.id, "Acme Surfacing", f"WO-{pid}", CLAIMED_AT)
        assert main(["process", str(SAMPLE / "drive2.mp4"), *run]) == 0
        with session_scope(engine) as s:
            status = {pid: get_defect(s, did).status for pid, did in defect_of.items()}
            claims = {
                c.defect_id: {
                    "id": c.id,
                    "status": c.status,
                    "verdict": c.verdict,
                    "reason": c.verdict_reason,
                    "evidence": c.evidence,
                }
                for c in list_repair_claims(s)
            }
        engine.dispose()
        yield defect_of, status, claims, db, tmp
    finally:
        mp.undo()
        get_settings.cache_clear()


def test_patched_potholes_are_not_called_present_and_the_open_one_is(checked):
    defect_of, status, claims, _, _ = checked
    truth = {f["properties"]["id"]: f["properties"] for f in ground_truth("drive1")}
    assert [p for p in ("P01", "P02", "P03", "P04") if truth[p]["repaired_in"] == "drive2"] == [
        "P01",
        "P02",
        "P04",
    ]
    verdict = {pid: claims[did]["verdict"] for pid, did in defect_of.items()}
    for pid in ("P01", "P02", "P04"):
        assert verdict[pid] in ("repaired", "inspector_to_look"), (pid, claims[defect_of[pid]])
    assert verdict["P03"] == "still_present", claims[defect_of["P03"]]
    # a proposal only: nothing is payable or rejected until an inspector decides
    assert {c["status"] for c in claims.values()} == {"pending"}
    assert set(status.values()) == {"repair_claimed"}


def test_before_and_after_crops_of_every_frame_in_view_are_kept(checked):
    defect_of, _, claims, _, tmp = checked
    for pid, did in defect_of.items():
        ev = claims[did]["evidence"]
        assert ev["before"], f"{pid}: no crop from the survey that found it"
        # every frame of drive2 that had the spot in view, detection or not
        assert len(ev["after"]) == ev["frames_in_view"] >= 2, pid
        for v in ev["before"] + ev["after"]:
            assert not Path(v["crop"]).is_absolute(), "crops are relative to the data folder"
            assert (tmp / v["crop"]).is_file()
    # frames with no detection at the spot are evidence too
    after = [v for c in claims.values() for v in c["evidence"]["after"]]
    assert any(v["detector_confidence"] == 0.0 for v in after)


def test_inspector_decides_and_the_payment_report_lists_it(checked, capsys, tmp_path):
    defect_of, _, claims, db, tmp = checked
    p03 = claims[defect_of["P03"]]["id"]
    p01 = claims[defect_of["P01"]]["id"]
    args = ["--database", db]
    assert main(["repairs", "decide", str(p01), "verified", "--by", "A. Inspector",
                 "--reason", "patch seen in the after crops", *args]) == 0  # fmt: skip
    assert main(["repairs", "decide", str(p03), "rejected", "--by", "A. Inspector",
                 "--reason", "pothole still there", *args]) == 0  # fmt: skip
    capsys.readouterr()
    out = tmp_path / "report.csv"
    assert main(["repairs", "report", "--contractor", "Acme Surfacing", "--from", "2026-11-01",
                 "--to", "2026-11-30", "-o", str(out), *args]) == 0  # fmt: skip
    assert "1 verified (payable), 1 rejected, 2 awaiting decision" in capsys.readouterr().out
    rows = {int(r["claim_id"]): r for r in csv.DictReader(out.open())}
    assert rows[p01]["payable"] == "yes" and rows[p01]["decided_by"] == "A. Inspector"
    assert rows[p03]["status"] == "rejected" and rows[p03]["machine_verdict"] == "still_present"
    assert all(r["before_crops"] and r["after_crops"] for r in rows.values())
    html = tmp_path / "report.html"
    assert main(["repairs", "report", "--contractor", "acme surfacing", "-o", str(html),
                 *args]) == 0  # fmt: skip
    text = html.read_text()
    assert "Verified by an inspector: payable (1)" in text and text.count("<img") >= 8
    capsys.readouterr()
    assert main(["repairs", "list", "--contractor", "Nobody Ltd", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 0
    assert main(["repairs", "report", "-o", str(tmp_path / "r.pdf"), *args]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)")
def test_browser_shows_a_claims_before_and_after_and_records_a_decision(checked):
    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    from api.main import create_app
    from roadcam.settings import Settings
    from store.engine import make_engine, session_scope
    from store.users import add_user, issue_token

    defect_of, _, claims, db, tmp = checked
    claim = claims[defect_of["P02"]]["id"]
    engine = make_engine(db)
    with session_scope(engine) as s:
        add_user(s, "binspector", "inspector", "inspector-password")
        token, _ = issue_token(s, add_user(s, "finance", "viewer", "finance-password"), "api_key")
    engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=db, data_dir=tmp)),
            host="127.0.0.1",
            port=(port := _free_port()),
            log_level="warning",
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(base + "/")
            page.wait_for_url("**/login?next=*", timeout=15_000)  # sign in first
            page.fill("#username", "binspector")
            page.fill("#password", "inspector-password")
            page.click("#sign-in")
            page.wait_for_url(base + "/", timeout=15_000)
            page.click("#claims-link")  # the map links to the claims page
            page.wait_for_selector(f"#claims tbody tr[data-claim-id='{claim}']")
            page.click(f"#claims tbody tr[data-claim-id='{claim}']")
            page.wait_for_selector("#before img.crop-before")
            page.wait_for_function(
                "[...document.querySelectorAll('#before img, #after img')]"
                ".every(i => i.complete && i.naturalWidth > 0)"
            )
            n_after = page.locator("#after img").count()
            assert page.locator("#before img").count() >= 1 and n_after >= 2
            assert "proposes" in page.locator("#claim-verdict").inner_text()
            page.fill("#reason", "patched: square cut, sealed")
            page.click("#decide button[value=verified]")
            page.wait_for_function(
                "document.getElementById('decide-message').textContent.includes('verified')"
            )
            page.screenshot(path=str(tmp / "claims.png"))
            browser.close()
        got = httpx.get(f"{base}/repair-claims/{claim}", headers=auth).json()
        assert got["status"] == "verified" and got["decided_by"] == "binspector"
        report = httpx.get(
            f"{base}/repair-claims/report", params={"format": "html"}, headers=auth
        ).text
        assert report.count("data:image/jpeg;base64,") >= 3  # the crops travel with the page
        crop = httpx.get(f"{base}/repair-claims/{claim}/crops/after/0", headers=auth)
        assert crop.status_code == 200
        assert httpx.get(f"{base}/repair-claims/{claim}/crops/after/0").status_code == 401
    finally:
        srv.should_exit = True
        thread.join(timeout=5)
