"""Rule tests for the hierarchy review on small hand-built networks (EPSG:27700)."""

from __future__ import annotations

import pandas as pd
import pytest
from hierarchy_testnet import hospital_network, hospital_sites

from hierarchy.policy import load_policy
from hierarchy.review import OUTPUT_COLUMNS, review_hierarchy


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def _by_id(result):
    return result.set_index("segment_id")


def test_residential_only_alternative_route_to_hospital_is_raised(policy):
    result = _by_id(review_hierarchy(hospital_network(), None, policy, sites=hospital_sites()))
    # Quiet Lane is the only edge-disjoint alternative from the hospital to the A road.
    for sid in ("quiet-1", "quiet-2"):
        assert result.at[sid, "current_category"] == "4b"
        assert result.at[sid, "recommended_category"] == "4a"
        assert result.at[sid, "change"] == "raised"
        assert (
            result.at[sid, "reasons"]
            == "raised from 4b to 4a: alternative route to Medway Maritime Hospital"
        )
        assert result.at[sid, "current_frequency"] == "annual"
        assert result.at[sid, "recommended_frequency"] == "quarterly"
    # The shortest route (hospital street + Short Street) is raised too.
    assert (
        result.at["short", "reasons"]
        == "raised from 4b to 4a: shortest route to Medway Maritime Hospital"
    )
    assert result.at["hosp", "recommended_category"] == "4a"
    # The A road stays 3a; nothing on it changes.
    assert list(result.loc[["A-1", "A-2", "A-3"], "recommended_category"]) == ["3a", "3a", "3a"]
    routes = review_hierarchy(hospital_network(), None, policy, sites=hospital_sites()).attrs[
        "site_routes"
    ]
    assert len(routes) == 1
    assert routes[0]["shortest"] == ("hosp", "short")
    assert routes[0]["alternative"] == ("quiet-1", "quiet-2")
    assert routes[0]["alternative_disjoint"] is True
    assert routes[0]["snap_distance_m"] == pytest.approx(30.0, abs=0.1)


def test_without_sites_quiet_lane_stays(policy):
    result = _by_id(review_hierarchy(hospital_network(), None, policy))
    assert result.at["quiet-1", "recommended_category"] == "4b"
    assert result.at["quiet-1", "reasons"] == "unchanged (4b)"


def test_unclassified_road_with_c_road_aadt_is_raised(policy):
    seg = hospital_network()
    seg.loc[seg["segment_id"] == "quiet-1", "highway"] = "unclassified"
    aadt = {
        "A-1": 15000,
        "A-2": 15000,
        "A-3": 15000,
        "short": 900,
        "hosp": 400,
        "quiet-1": 2000,
        "quiet-2": 1000,
        "close": 100,
    }
    traffic = pd.DataFrame({"source_id": list(aadt), "aadt": list(aadt.values())})
    result = _by_id(review_hierarchy(seg, None, policy, traffic=traffic))
    assert result.at["quiet-1", "road_class"] == "unclassified"
    assert result.at["quiet-1", "recommended_category"] == "4a"
    assert (
        result.at["quiet-1", "reasons"]
        == "raised from 4b to 4a: AADT 2,000 (counted) >= 1,500, typical of 4a roads"
    )
    assert result.at["quiet-1", "support_traffic"] == "4a"
    # 1,000 vehicles a day: evidence noted, no change; 100 a day: lowered.
    assert result.at["quiet-2", "reasons"] == "unchanged (4b): AADT 1,000 (counted)"
    assert result.at["close", "recommended_category"] == "minor"
    assert result.at["close", "reasons"] == "lowered from 4b to minor: AADT 100 (counted) below 300"
    # All traffic counted: no proxy was computed.
    assert result["traffic_proxy_pct"].isna().all()
    # A roads are protected from lowering whatever the counts.
    assert (result.loc[["A-1", "A-2", "A-3"], "change"] == "unchanged").all()


def test_quiet_cul_de_sac_is_lowered(policy):
    result = _by_id(review_hierarchy(hospital_network(), None, policy))
    assert bool(result.at["close", "dead_end"]) is True
    assert result.at["close", "traffic_proxy_pct"] == pytest.approx(18.8)
    assert result.at["close", "recommended_category"] == "minor"
    assert result.at["close", "reasons"] == (
        "lowered from 4b to minor: cul-de-sac; traffic proxy (betweenness centrality) in the bottom 25 %"
    )
    # A-1 ends at a0 on the network's edge (an open end, not a cul-de-sac); A roads are protected anyway.
    assert bool(result.at["A-1", "dead_end"]) is False
    assert result.at["A-1", "recommended_category"] == "3a"
    assert int((result["change"] == "lowered").sum()) == 1


def test_override_is_kept(policy):
    overrides = pd.DataFrame(
        [
            {
                "segment_id": "close",
                "category": "3b",
                "reason": "old note",
                "author": "kb",
                "created_at": "2026-01-01T00:00:00+00:00",
            },
            {
                "segment_id": "close",
                "category": "4b",
                "reason": "serves the depot",
                "author": "jd",
                "created_at": "2026-03-01T09:00:00+00:00",
            },
        ]
    )
    result = _by_id(review_hierarchy(hospital_network(), None, policy, overrides=overrides))
    assert result.at["close", "auto_category"] == "minor"
    assert result.at["close", "recommended_category"] == "4b"
    assert result.at["close", "override"] == "4b"
    assert result.at["close", "change"] == "unchanged"
    assert result.at["close", "reasons"].startswith(
        "override to 4b (from 4b) by jd on 2026-03-01: serves the depot [review alone: lowered"
    )


def test_output_columns_and_inspection_km(policy):
    result = review_hierarchy(hospital_network(), None, policy, sites=hospital_sites())
    assert list(result.columns[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert result.crs.to_epsg() == 27700
    # 3 A segments x 0.2 km x 12 + 5 x 0.2 km x 1 (4b annual) before;
    # after: 4 raised to 4a (quarterly) and the close lowered to minor (annual).
    assert result["current_inspection_km_per_year"].sum() == pytest.approx(
        3 * 0.2 * 12 + 5 * 0.2 * 1
    )
    assert result["recommended_inspection_km_per_year"].sum() == pytest.approx(
        3 * 0.2 * 12 + 4 * 0.2 * 4 + 0.2 * 1
    )


def test_metric_crs_required(policy):
    from roadcam.errors import CRSError

    with pytest.raises(CRSError):
        review_hierarchy(hospital_network().to_crs(4326), None, policy)


def test_bus_and_winter_routes_raise(policy):
    import geopandas as gpd
    from hierarchy_testnet import E0, N0
    from shapely.geometry import LineString

    # Bus 101 runs along Quiet Lane (h2 -> q -> a3), 3 m off the centreline; the gritting route
    # only touches the end of Windmill Road (less than half of it): not marked.
    bus = gpd.GeoDataFrame(
        {"name": ["101"]},
        geometry=[LineString([(E0 + 400, N0 + 203), (E0 + 600, N0 + 203), (E0 + 603, N0)])],
        crs=27700,
    )
    grit = gpd.GeoDataFrame(
        {"name": ["G1"]},
        geometry=[LineString([(E0 + 350, N0 + 200), (E0 + 400, N0 + 200)])],
        crs=27700,
    )
    result = _by_id(
        review_hierarchy(
            hospital_network(), None, policy, bus_routes=bus.to_crs(4326), winter_routes=grit
        )
    )
    for sid in ("quiet-1", "quiet-2"):
        assert result.at[sid, "bus_route"] == "101"
        assert result.at[sid, "reasons"] == "raised from 4b to 4a: bus route 101"
    assert result.at["hosp", "winter_route"] == ""
    assert result.at["hosp", "recommended_category"] == "4b"
    # A CSV of source ids works too.
    table = pd.DataFrame({"source_id": ["hosp"], "name": ["G2"]})
    result = _by_id(review_hierarchy(hospital_network(), None, policy, winter_routes=table))
    assert result.at["hosp", "reasons"] == "raised from 4b to 4a: winter-service route G2"


def test_sampled_proxy_is_deterministic():
    from hierarchy.policy import policy_from_dict

    raw = load_policy().model_dump()
    raw["traffic"]["proxy"].update(exact_max_nodes=4, sample_k=5)
    sampled = policy_from_dict(raw, source="test")
    a = review_hierarchy(hospital_network(), None, sampled)
    b = review_hierarchy(hospital_network(), None, sampled)
    pd.testing.assert_series_equal(a["traffic_proxy"], b["traffic_proxy"])
    assert a["traffic_proxy"].gt(0).sum() >= 6
