"""The map at county scale, in headless Chromium: 140,000 synthetic defects (~101,000 open) (bench/county.py).

Above 5,000 matching defects the map switches to the scalable layer
(api/static/scale_layer.js): at low zoom the whole county is drawn as grid cells
whose counts add up to every matching defect; at street zoom the defects
themselves, clickable, and the count in view is exact.
"""

from __future__ import annotations

import shutil

import pytest
from _server import serve_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
N_DEFECTS = 140_000  # about 101,000 of them open work
OPEN_WORK = ("open", "repair_claimed", "still_present")  # the map's default status filter


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    from api.main import create_app
    from bench.county import make_county, seed_spatialite
    from roadcam.settings import Settings
    from store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("county")
    url = f"sqlite:///{tmp / 'county.sqlite'}"
    upgrade(url)
    seed_spatialite(url, make_county(N_DEFECTS))
    app = create_app(Settings(database_url=url, data_dir=tmp, public_reads=True))
    with serve_app(app) as base:
        yield base, url, tmp


def count_in(url: str, bounds: list[float]) -> int:
    from store.defects import list_defects
    from store.engine import make_engine, session_scope

    engine = make_engine(url)
    with session_scope(engine) as s:
        n = len(list_defects(s, bbox=bounds, status=list(OPEN_WORK), limit=None))
    engine.dispose()
    return n


def segments_in(url: str, bounds: list[float]) -> int:
    from store.engine import make_engine, session_scope
    from store.segments import list_segments

    engine = make_engine(url)
    with session_scope(engine) as s:
        n = len(list_segments(s, bbox=bounds))
    engine.dispose()
    return n


def _settle(page, clustered: bool) -> dict:
    page.wait_for_function(
        "() => { const s = window.roadcam.scale && window.roadcam.scale.stats();"
        f" return s && !s.loading && s.inView > 0 && s.clustered === {str(clustered).lower()}; }}",
        timeout=120_000,
    )
    return page.evaluate("window.roadcam.scale.stats()")


def _bounds(page) -> list[float]:
    return page.evaluate(
        "(() => { const b = window.roadcam.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
    )


def test_whole_county_at_low_zoom_and_single_defects_at_street_zoom(county):
    from playwright.sync_api import sync_playwright

    base, url, tmp = county
    everything = count_in(url, [-180, -90, 180, 90])
    assert everything > 100_000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url[len(base) :]))
        page.goto(base + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        # the first load fetches what is on screen: the network's extent, no segment or
        # defect list without a bbox (38,000 segments, 140,000 defects)
        assert "/segments/summary" in fetched
        lists = [u for u in fetched if u.startswith(("/segments/geojson", "/defects/geojson"))]
        assert all("bbox=" in u for u in lists), lists
        # the whole county, with margin: every open defect counted once, in cells
        page.evaluate("() => { window.roadcam.map.fitBounds([[50.9, -0.1], [51.55, 1.6]]); }")
        low = _settle(page, clustered=True)
        assert low["zoom"] <= 10
        assert low["inView"] == everything, (low, everything)
        assert 0 < low["cells"] < 2000
        page.wait_for_function(  # the status line says so (it follows the last tile)
            f"document.getElementById('status-line').textContent.startsWith('{everything:,} defects in view')",
            timeout=30_000,
        )
        page.screenshot(path=str(tmp / "county.png"))

        # street zoom in Gillingham: the defects themselves, exactly those in view
        page.evaluate("() => { window.roadcam.map.setView([51.386, 0.549], 17); }")
        street = _settle(page, clustered=False)
        assert street["features"] == street["inView"] == count_in(url, _bounds(page))
        want_segments = segments_in(url, [round(v, 6) for v in _bounds(page)])
        assert 0 < want_segments < 5000
        page.wait_for_function(  # the roads on screen, loaded for the view
            f"window.roadcam.segmentLayer.getLayers().length === {want_segments}", timeout=30_000
        )
        page.wait_for_function(  # the status line follows the last tile to arrive
            "document.getElementById('status-line').textContent.includes('shown one by one')",
            timeout=30_000,
        )
        marker = page.evaluate(
            "(() => { const m = window.roadcam.scale.markers.getLayers()[0];"
            " const p = window.roadcam.map.latLngToContainerPoint(m.getLatLng());"
            " return [p.x, p.y, m.getTooltip().getContent()]; })()"
        )
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + marker[0], box["y"] + marker[1])
        page.wait_for_selector("#detail:not([hidden])", timeout=15_000)
        assert page.locator("#detail-title").inner_text() == marker[2]
        page.screenshot(path=str(tmp / "street.png"))
        browser.close()
