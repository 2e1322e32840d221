"""The web map in real headless Chromium: it shows the network and defects, and an inspector can act on one."""

import shutil
from datetime import UTC, datetime

import pytest
from _server import serve_app

from geo.types import DefectCandidate
from tests.api._export_seed import canterbury_street

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"),
]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.main import create_app
    from roadcam.settings import Settings
    from store.defects import save_defects
    from store.engine import make_engine, session_scope
    from store.migrate import upgrade
    from store.segments import upsert_segments

    tmp = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{tmp / 'web.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    segs = canterbury_street("w1-0", 100.0, 0.5494)
    with session_scope(engine) as s:
        upsert_segments(s, segs)
        ids = save_defects(
            s,
            [
                DefectCandidate(
                    class_name=c,
                    lon=0.548 + 0.0004 * k,
                    lat=51.386,
                    segment_id="w1-0",
                    chainage_m=28.0 * k,
                    offset_m=1.0,
                    first_seen=T0,
                    last_seen=T0,
                    sightings=2 + k,
                    max_width_m=0.4,
                    best_confidence=0.8,
                    best_frame_index=k,
                )
                for k, c in enumerate(["pothole", "pothole", "skip"])
            ],
        )
        from store.claims import create_repair_claim

        create_repair_claim(s, ids[1], "Acme Roads", "job 123")  # the defect: repair_claimed
        from store.users import add_user

        add_user(s, "insp", "inspector", "inspector-password")
    engine.dispose()
    with serve_app(create_app(Settings(database_url=url, data_dir=tmp))) as base:
        yield base, ids, tmp


def test_map_lists_defects_and_inspector_verifies_a_claimed_repair(server):
    from playwright.sync_api import sync_playwright

    base, ids, tmp = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(base + "/")
        page.wait_for_url("**/login?next=*", timeout=15_000)  # no token: sign in first
        page.fill("#username", "insp")
        page.fill("#password", "inspector-password")
        page.click("#sign-in")
        page.wait_for_url(base + "/", timeout=15_000)  # back where the inspector started
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        assert page.locator("#defect-list li").count() == 3
        assert page.locator("#status-line").inner_text() == "1 road segments, 3 defects shown"
        assert page.evaluate("window.roadcam.markers.size") == 3
        assert page.evaluate("window.roadcam.segmentLayer.getLayers().length") == 1

        # only skips
        page.uncheck("input[value=pothole]")
        page.wait_for_function("document.querySelectorAll('#defect-list li').length === 1")

        # the inspector's queue: repairs claimed, to verify
        page.check("input[value=pothole]")
        page.select_option("#status-filter", "repair_claimed")
        page.wait_for_function("document.querySelectorAll('#defect-list li').length === 1")
        page.click(f"#defect-list li[data-id='{ids[1]}']")
        # a pending claim is answered by the claim decision, with a reason (never the status alone)
        page.wait_for_selector("#claim-pending")
        assert "repair claim" in page.inner_text("#claim-pending")
        assert page.locator("#actions button[data-status=verified_repaired]").count() == 0
        page.click("#actions button[data-decision=verified]")
        page.wait_for_function(
            "document.getElementById('action-message').textContent.includes('give a reason')"
        )
        page.fill("#claim-reason", "patched flush, seen on site")
        page.click("#actions button[data-decision=verified]")
        page.wait_for_function(
            "document.getElementById('action-message').textContent.includes('verified repaired')"
        )
        # the audit trail: who moved it from repair_claimed to verified_repaired
        page.wait_for_function(
            "document.getElementById('detail-history').textContent"
            ".includes('insp status: repair_claimed → verified_repaired')"
        )
        assert "review: proposed" in page.inner_text("#detail-review")
        page.screenshot(path=str(tmp / "map.png"))
        browser.close()

    import httpx

    assert httpx.get(f"{base}/defects/{ids[1]}").status_code == 401
    token = httpx.post(
        f"{base}/auth/token", data={"username": "insp", "password": "inspector-password"}
    ).json()["access_token"]
    got = httpx.get(f"{base}/defects/{ids[1]}", headers={"Authorization": f"Bearer {token}"})
    assert got.json()["status"] == "verified_repaired"
    claims = httpx.get(
        f"{base}/defects/{ids[1]}/repair-claims", headers={"Authorization": f"Bearer {token}"}
    ).json()["claims"]
    assert [(c["status"], c["decided_by"], c["decision_reason"]) for c in claims] == [
        ("verified", "insp", "patched flush, seen on site")
    ]
    assert (tmp / "map.png").stat().st_size > 10_000
