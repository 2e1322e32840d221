"""The engineers' map in real headless Chromium: switch the road colouring, filter by date, open
a segment's reasons, show the last drive's layers and download a GeoParquet export of what is
shown that geopandas reads back with the same rows."""

from dataclasses import dataclass

import geopandas as gpd
import pytest
from _server import serve_app
from test_web_map_browser import ARGS, CHROMIUM

from tests.api._export_seed import LAT, T2, seed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"),
]
REASON = "raised from 3b to 3a: AADT 13200 (counted)"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.main import create_app
    from roadcam.settings import Settings
    from store.engine import make_engine, session_scope
    from store.migrate import upgrade
    from store.models import RoadSegment
    from store.users import add_user

    tmp = tmp_path_factory.mktemp("web17")
    url = f"sqlite:///{tmp / 'web.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        ids = seed(s)
        add_user(s, "eng", "engineer", "engineer-password")
        seg = s.get(RoadSegment, "w1-0")
        seg.recommended_category, seg.inspection_frequency = "3a", "monthly"
        seg.recommended_frequency, seg.condition = "monthly", "3"
        seg.hierarchy_reasons = f"{REASON}; bus route 101 (4a floor)"
        _add_wear_runs(s)
    engine.dispose()
    with serve_app(create_app(Settings(database_url=url, data_dir=tmp))) as base:
        yield base, ids, tmp


@dataclass
class _Run:  # a measured run of Canterbury Street's centre line (geo.placement.markings.WearRun-like)
    run_index: int
    wear: float
    segment_id: str = "w1-0"
    line_offset_m: float = 0.0
    line_kind: str = "centre"
    paint_width_m: float = 0.07
    reference_width_m: float = 0.1
    covered_m: float = 10.0
    frames: tuple = (("drive2.mp4", 3),)

    start_m = property(lambda self: 10.0 * self.run_index)
    end_m = property(lambda self: 10.0 * self.run_index + 10.0)
    lonlat = property(lambda self: ((0.548 + 0.00014 * self.run_index, LAT),
                                    (0.548 + 0.00014 * (self.run_index + 1), LAT)))  # fmt: skip


def _add_wear_runs(session) -> None:
    from store.markings import save_wear_runs
    from store.models import Survey

    drive2 = max(session.query(Survey).all(), key=lambda s: s.started_at)
    save_wear_runs(session, drive2.id, [_Run(0, 0.05), _Run(1, 0.45)], T2)


def _listed(page) -> list[int]:
    return sorted(
        int(x)
        for x in page.eval_on_selector_all("#defect-list li", "els => els.map(e => e.dataset.id)")
    )


def _segment_colours(page) -> list[str]:
    return page.evaluate("window.roadcam.segmentLayer.getLayers().map(l => l.options.color).sort()")


def test_engineer_colours_filters_reads_reasons_and_exports(server):
    from playwright.sync_api import sync_playwright

    base, ids, tmp = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 850}, accept_downloads=True)
        page.goto(base + "/")
        page.wait_for_url("**/login?next=*", timeout=15_000)  # no token: sign in first
        page.fill("#username", "eng")
        page.fill("#password", "engineer-password")
        page.click("#sign-in")
        page.wait_for_url(base + "/", timeout=15_000)
        page.wait_for_selector("body[data-ready='1']", timeout=15_000)
        # default: all open work (open, repair claimed, still present): pothole, crack, skip
        assert _listed(page) == sorted(ids[c] for c in ("pothole", "crack", "skip"))
        assert page.get_attribute("#report-link", "href") == "/hierarchy/report"

        # colouring: category (3a blue on Canterbury Street, no category on the cul-de-sac)
        page.wait_for_selector("#legend[data-colouring='category']")
        assert _segment_colours(page) == ["#2171b5", "#9e9e9e"]  # 3a, and not reviewed yet
        page.select_option("#colour-by", "condition")
        page.wait_for_selector("#legend[data-colouring='condition']")
        assert _segment_colours(page) == ["#9e9e9e", "#ffd92f"]  # no data, condition 3
        assert "severe" in page.inner_text("#legend")
        page.select_option("#colour-by", "wear")
        page.wait_for_selector("#legend[data-colouring='wear']")
        # marking wear: the road takes its worst run's colour (0.45), the cul-de-sac was not
        # measured; the two runs are drawn over the road, the one above the threshold (0.3) thick
        worst = page.evaluate("window.roadcam.wearColour(0.45)")
        assert _segment_colours(page) == sorted([worst, "#9e9e9e"])
        runs = page.evaluate(
            "window.roadcam.wearLayer.getLayers().map(l => [l.feature.properties.wear,"
            " l.options.color, l.options.weight]).sort()"
        )
        assert runs == [
            [0.05, page.evaluate("window.roadcam.wearColour(0.05)"), 4],
            [0.45, worst, 8],
        ]
        assert "not measured" in page.inner_text("#legend")
        page.select_option("#colour-by", "category")  # the runs go with their colouring
        page.wait_for_selector("#legend[data-colouring='category']")
        assert not page.evaluate("window.roadcam.map.hasLayer(window.roadcam.wearLayer)")

        # filter by date: first seen on or after 9 Nov 2026 -> only the crack of drive 2
        page.fill("#first-seen-from", "2026-11-09")
        page.dispatch_event("#first-seen-from", "change")
        page.wait_for_function("document.querySelectorAll('#defect-list li').length === 1")
        assert _listed(page) == [ids["crack"]]
        page.fill("#first-seen-from", "")
        page.fill("#first-seen-to", "2026-11-02")
        page.dispatch_event("#first-seen-to", "change")
        page.wait_for_function("document.querySelectorAll('#defect-list li').length === 2")
        assert _listed(page) == sorted(ids[c] for c in ("pothole", "skip"))

        # click Canterbury Street on the map: its category, frequency, condition and reasons
        x, y = page.evaluate(
            """() => { const m = window.roadcam.map, r = m.getContainer().getBoundingClientRect();
                       const pt = m.latLngToContainerPoint([51.386, 0.5487]);
                       return [r.left + pt.x, r.top + pt.y]; }"""
        )
        page.mouse.click(x, y)
        page.wait_for_selector("#segment-detail:not([hidden])")
        assert page.get_attribute("#segment-detail", "data-segment") == "w1-0"
        fields = page.inner_text("#segment-fields")
        assert "3b → 3a" in fields and "monthly" in fields and "3" in fields
        reasons = page.eval_on_selector_all(
            "#segment-reasons li", "els => els.map(e => e.textContent)"
        )
        assert reasons == [REASON, "bus route 101 (4a floor)"]

        # the last drive: new (crack) and passed but not seen again (pothole)
        page.check("#layer-new")
        page.wait_for_selector("#layer-new[data-count='1']")
        page.check("#layer-not-seen")
        page.wait_for_selector("#layer-not-seen[data-count='1']")
        assert "truck-7" in page.inner_text("#drive-note")

        # export what is shown (pothole and skip) as GeoParquet
        with page.expect_download() as dl:
            page.click("#export-parquet")
        path = tmp / "shown.parquet"
        dl.value.save_as(path)
        page.screenshot(path=str(tmp / "map17.png"))
        shown = _listed(page)
        browser.close()

    back = gpd.read_parquet(path)
    assert sorted(back["id"]) == shown == sorted(ids[c] for c in ("pothole", "skip"))
    assert back.crs.to_epsg() == 4326 and set(back.geometry.geom_type) == {"Point"}
    assert set(back["class_name"]) == {"pothole", "skip"}
