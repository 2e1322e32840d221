"""The review on the hand-made Gillingham sample network with the Medway hospital site."""

from __future__ import annotations

import csv
import json

import pytest

from pipeline.cli import main


@pytest.fixture(scope="module")
def sample_network(repo_root, tmp_path_factory):
    committed = repo_root / "sample_footage" / "network.geojson"
    if committed.exists():
        return committed
    # Not committed yet: build the same features with the sample's own code.
    from sample_footage.route import network_features

    path = tmp_path_factory.mktemp("net") / "network.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": network_features()}))
    return path


def test_sample_network_review(sample_network, repo_root, tmp_path, capsys):
    out = tmp_path / "review"
    sites = repo_root / "hierarchy" / "examples" / "medway_sites.geojson"
    code = main(
        [
            "hierarchy",
            "review",
            "--network",
            str(sample_network),
            "--sites",
            str(sites),
            "--out",
            str(out),
            "--no-database",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["segments"] == 18
    assert (summary["raised"], summary["lowered"]) == (3, 0)
    with open(out / "segments.csv", newline="") as fh:
        rows = {r["source_id"]: r for r in csv.DictReader(fh)}
    # The authority's categories are kept as current: Canterbury Street 3b, Barnsole Road 4a, ...
    assert {k: rows[k]["current_category"] for k in ("r01", "r05", "r09", "r14", "r16")} == {
        "r01": "3b",
        "r05": "4a",
        "r09": "4b",
        "r14": "4b",
        "r16": "minor",
    }
    # Windmill Road is the hospital's route to Canterbury Street (3b): raised to 4a.
    for rid, cur in (("r14", "4b"), ("r15", "4b"), ("r16", "minor")):
        assert rows[rid]["recommended_category"] == "4a"
        assert (
            rows[rid]["reasons"]
            == f"raised from {cur} to 4a: shortest route to Medway Maritime Hospital"
        )
    assert rows["r14"]["recommended_frequency"] == "quarterly"
    sites_out = summary["categories"]
    assert {c["category"]: c["segments_after"] for c in sites_out if c["segments_after"]} == {
        "3b": 4,
        "4a": 7,
        "4b": 7,
    }
    md = (out / "summary.md").read_text()
    assert (
        "| Medway Maritime Hospital | hospital | r16-0 | r16-0, r15-0, r14-0 |  | no alternative route |"
        in md
    )
