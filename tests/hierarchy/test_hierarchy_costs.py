"""Money rates: the costs file is strict, and the review prices inspection-km by category."""

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from hierarchy.costs import DEFAULT_COSTS_PATH, costs_from_dict, load_costs, pounds_per_year
from roadcam.errors import ConfigError

RATES = {
    "currency": "GBP",
    "price_year": 2025,
    "inspection_methods": {
        "driven": {"gbp_per_km": 5.0, "basis": "test", "source": "test", "confirmed": True},
        "walked": {"gbp_per_km": 12.5, "basis": "test", "source": "test", "confirmed": False},
    },
    "carriageway_method": {"3b": "driven", "4b": "walked"},
}


def test_default_costs_file_loads_and_every_rate_is_marked_unconfirmed():
    costs = load_costs()
    assert set(costs.inspection_methods) == {"driven", "walked"}
    assert costs.inspection_methods["driven"].gbp_per_km == 5.33
    # domain.md finds no council source for a cost per inspection-km: the file must say so.
    assert not any(r.confirmed for r in costs.inspection_methods.values())
    assert "none found" in DEFAULT_COSTS_PATH.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"extra_key": 1}, "extra_key"),
        ({"carriageway_method": {"3b": "flown"}}, "unknown methods: flown"),
        ({"currency": "EUR"}, "currency"),
        ({"price_year": None}, "price_year"),
    ],
)
def test_costs_file_refuses_typos_unknown_methods_and_missing_keys(change, message):
    with pytest.raises(ConfigError, match=message):
        costs_from_dict({**RATES, **change}, source="t.yaml")


def test_rate_missing_a_key_is_refused():
    bad = {**RATES, "inspection_methods": {"driven": {"gbp_per_km": 5.0, "basis": "b"}}}
    with pytest.raises(ConfigError, match="source"):
        costs_from_dict(bad)


def test_pounds_before_and_after_use_the_method_of_each_category():
    costs = costs_from_dict(RATES)
    result = gpd.GeoDataFrame(
        {
            "current_category": ["3b", "4b"],
            "recommended_category": ["3b", "3b"],
            "current_inspection_km_per_year": [12.0, 1.0],
            "recommended_inspection_km_per_year": [12.0, 12.0],
        },
        geometry=[LineString([(0, 0), (1, 0)])] * 2,
        crs="EPSG:27700",
    )
    money = pounds_per_year(result, costs)
    assert money["inspection_gbp_per_year_before"] == 12 * 5.0 + 1 * 12.5
    assert money["inspection_gbp_per_year_after"] == 24 * 5.0
    assert money["inspection_gbp_per_year_change"] == 120.0 - 72.5
    assert money["rates_confirmed"] is False
    result.loc[0, "current_category"] = "lane"
    with pytest.raises(ConfigError, match="'lane'"):
        pounds_per_year(result, costs)


def test_demo_review_report_served_with_pounds_before_and_after(fresh_db_url, tmp_path, capsys):
    """As `make demo` does: load the sample network, review it from the database into
    DATA_DIR/hierarchy_review, then the API serves the summary with pounds at /hierarchy/report."""
    import re

    from fastapi.testclient import TestClient

    from api.main import create_app
    from pipeline.cli import main
    from roadcam.settings import Settings
    from tests.conftest import REPO_ROOT

    net = str(REPO_ROOT / "sample_footage" / "network.geojson")
    sites = str(REPO_ROOT / "hierarchy" / "examples" / "medway_sites.geojson")
    assert main(["network", "load", net, "--database", fresh_db_url]) == 0
    with TestClient(
        create_app(Settings(database_url=fresh_db_url, data_dir=tmp_path, public_reads=True))
    ) as client:
        assert client.get("/hierarchy/report").status_code == 404
        out = tmp_path / "hierarchy_review"
        args = ["hierarchy", "review", "--database", fresh_db_url, "--sites", sites]
        assert main([*args, "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        page = client.get("/hierarchy/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    pounds = re.findall(
        r"<td>inspection £ per year, (current|recommended)[^<]*</td><td>£([\d,.]+)", page.text
    )
    assert [k for k, _ in pounds] == ["current", "recommended"]
    before, after = (float(v.replace(",", "")) for _, v in pounds)
    # 18 segments, inspection-km/year 21.0 -> 22.7 at the driven rate of £5.33/km (costs.yaml)
    assert before == pytest.approx(21.0 * 5.33, rel=0.01)
    assert after == pytest.approx(22.7 * 5.33, rel=0.01)
    assert f"£/year {before:,.0f} -> {after:,.0f}" in printed
