"""Camera evidence per segment: rates per km per month and the deterioration trend."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from hierarchy.evidence import camera_evidence_from_defects
from hierarchy.policy import load_policy


def _segments(ids):
    lines = [LineString([(0, 100 * i), (1000, 100 * i)]) for i in range(len(ids))]
    return gpd.GeoDataFrame(
        {"segment_id": ids, "length_m": [1000.0] * len(ids)}, geometry=lines, crs="EPSG:27700"
    )


def _defects(segment_id, dates):
    return [{"segment_id": segment_id, "class": "pothole", "first_seen": d} for d in dates]


def test_trend_compares_the_last_90_days_with_before():
    # Period 2026-01-01 .. 2026-12-31; the policy's window is 90 days, so the cut is 2026-10-02.
    rows = (
        _defects("w", ["2026-02-01", "2026-11-01", "2026-11-15", "2026-12-31"])
        + _defects("i", [f"2026-{m:02d}-01" for m in range(1, 10)])
        + _defects(
            "s",
            [f"2026-{m:02d}-01" for m in range(1, 10)] + ["2026-10-10", "2026-11-10", "2026-12-10"],
        )
    )
    ev = camera_evidence_from_defects(
        _segments(["w", "i", "s", "q"]), pd.DataFrame(rows), load_policy()
    )
    ev.index = ["w", "i", "s", "q"]
    assert ev["trend"].to_dict() == {
        "w": "worsening",
        "i": "improving",
        "s": "steady",
        "q": "stable",
    }
    months = (pd.Timestamp("2026-12-31") - pd.Timestamp("2026-01-01")).days / 30.44
    assert ev.loc["w", "months_observed"] == pytest.approx(months)
    assert ev.loc["w", "defects_per_km_month"] == pytest.approx(4 / months)
    assert ev["defects"].tolist() == [4, 9, 12, 0]
    assert ev["surveyed"].all()


def test_segments_without_passes_are_not_surveyed_and_have_no_rate():
    rows = _defects("a", ["2026-01-01", "2026-06-01"])
    passes = pd.DataFrame(
        {
            "segment_id": ["a", "b"],
            "passes": [6, 0],
            "first_pass": ["2026-01-01", "2026-01-01"],
            "last_pass": ["2026-07-01", "2026-01-01"],
        }
    )
    ev = camera_evidence_from_defects(
        _segments(["a", "b"]), pd.DataFrame(rows), load_policy(), passes
    )
    ev.index = ["a", "b"]
    assert ev["surveyed"].tolist() == [True, False]
    assert ev.loc["a", "months_observed"] == pytest.approx(181 / 30.44)
    assert ev.loc["a", "passes_per_month"] == pytest.approx(6 / (181 / 30.44))
    assert pd.isna(ev.loc["b", "defects_per_km_month"])
    # 1 sighting before the cut (61 days), 1 in the last 90 days: neither 1.5x more nor less
    assert ev["trend"].tolist() == ["steady", ""]
