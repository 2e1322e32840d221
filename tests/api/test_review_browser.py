"""The review queue in headless Chromium: an inspector signs in, confirms (correcting the class),
rejects with a keyboard reason, moves on, confirms the rest in bulk, and sees each history."""

from __future__ import annotations

import pytest
from _server import serve_app
from test_web_map_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"),
]


def _seed(url: str, data_dir) -> list[int]:
    import cv2
    import numpy as np

    from geo.types import DefectCandidate, FrameQuality, Observation, SampledFrame
    from store.defects import save_defects
    from store.engine import make_engine, session_scope
    from store.frames import add_frames, frame_ids_by_key
    from store.migrate import upgrade
    from store.observations import add_observations
    from store.surveys import get_or_create_survey
    from store.users import add_user

    upgrade(url)
    engine = make_engine(url)
    from datetime import UTC, datetime

    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    frames, obs, cands, refs = [], [], [], []
    for k in range(3):
        image = np.full((480, 640, 3), 110, np.uint8)
        cv2.ellipse(image, (320, 360), (60, 25), 0, 0, 360, (30, 30, 30), -1)
        path = data_dir / f"frame{k}.jpg"
        cv2.imwrite(str(path), image)
        refs.append(str(path))
        lon = 0.548 + 0.0003 * k
        q = FrameQuality(brightness=110.0, blur=300.0, glare=0.0, hdop=0.9)
        frames.append(
            SampledFrame(k, k / 3, t0, lon, 51.386, 90.0, 5.0, 5.0 * k, quality=q, source="cam.mp4")
        )
        box = (260.0, 335.0, 380.0, 385.0)
        obs.append(Observation("pothole", 0.7, box, lon, 51.386, 0.5, t0, k, "cam.mp4"))
        cands.append(
            DefectCandidate(
                class_name="pothole",
                lon=lon,
                lat=51.386,
                segment_id=None,
                chainage_m=None,
                offset_m=None,
                first_seen=t0,
                last_seen=t0,
                sightings=1,
                max_width_m=0.5,
                best_confidence=0.7,
                best_frame_index=k,
                best_source="cam.mp4",
                observation_keys=(k,),
            )
        )
    with session_scope(engine) as s:
        survey, _ = get_or_create_survey(s, "RCV-1", [("cam.mp4", "ab" * 32, "video", 1)])
        add_frames(s, survey.id, frames, image_refs=refs)
        obs_ids = add_observations(s, frame_ids_by_key(s, survey.id), obs)
        ids = save_defects(s, cands, survey_id=survey.id, observation_ids=obs_ids)
        add_user(s, "insp", "inspector", "inspector-password")
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.main import create_app
    from roadcam.settings import Settings

    tmp = tmp_path_factory.mktemp("review")
    url = f"sqlite:///{tmp / 'review.sqlite'}"
    ids = _seed(url, tmp)
    with serve_app(create_app(Settings(database_url=url, data_dir=tmp))) as base:
        yield base, ids, tmp


def test_inspector_works_through_the_review_queue(server):
    from playwright.sync_api import sync_playwright

    base, ids, tmp = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(base + "/review")
        page.wait_for_url("**/login?next=*", timeout=15_000)
        page.fill("#username", "insp")
        page.fill("#password", "inspector-password")
        page.click("#sign-in")
        page.wait_for_selector(f"body[data-current='{ids[0]}'][data-ready='1']", timeout=15_000)
        assert page.inner_text("#queue-status") == "3 findings waiting for review"
        page.wait_for_function("document.getElementById('crop').naturalWidth > 0")
        page.wait_for_function("document.getElementById('frame').naturalWidth === 640")
        assert page.evaluate("document.getElementById('crop').naturalWidth") < 640

        # confirm, correcting the class, from the keyboard
        page.select_option("#d-class", "crack")
        page.focus("body")
        page.keyboard.press("c")
        page.wait_for_function(
            "document.getElementById('review-message').textContent.includes('confirmed')"
        )
        page.wait_for_function(
            "document.getElementById('history').textContent.includes('proposed → confirmed')"
        )
        history = page.inner_text("#history")
        assert "insp class: pothole → crack" in history and "insp review" in history

        # next, then reject as a false positive (reason key 1, then r)
        page.keyboard.press("n")
        page.wait_for_selector(f"body[data-current='{ids[1]}']", timeout=10_000)
        page.keyboard.press("2")
        page.keyboard.press("1")
        page.keyboard.press("r")
        page.wait_for_function(
            "document.getElementById('history').textContent.includes('rejected (false_positive)')"
        )

        # next, and confirm what is left in bulk
        page.keyboard.press("n")
        page.wait_for_selector(f"body[data-current='{ids[2]}']", timeout=10_000)
        page.check(f"input[name=bulk][value='{ids[2]}']")
        page.click("#bulk-confirm")
        page.wait_for_selector("#empty:not([hidden])", timeout=10_000)
        assert page.inner_text("#queue-status") == "0 findings waiting for review"
        page.screenshot(path=str(tmp / "review.png"))
        browser.close()

    import httpx

    login = {"username": "insp", "password": "inspector-password"}
    token = httpx.post(f"{base}/auth/token", data=login).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    got = [httpx.get(f"{base}/defects/{i}", headers=headers).json() for i in ids]
    assert [(d["review_status"], d["class_name"]) for d in got] == [
        ("confirmed", "crack"),
        ("rejected", "pothole"),
        ("confirmed", "pothole"),
    ]
    assert got[1]["reject_reason"] == "false_positive" and got[0]["reviewed_by"] == "insp"
