"""GET /schedules: inspection-km per year before and after the hierarchy review, on the sample network."""

import json

import pytest
from fastapi.testclient import TestClient

from pipeline.cli import main
from roadcam.settings import Settings


@pytest.fixture(scope="module")
def client(db_url, repo_root, tmp_path_factory):
    from api.main import create_app

    assert (
        main(
            [
                "network",
                "load",
                str(repo_root / "sample_footage" / "network.geojson"),
                "--database",
                db_url,
            ]
        )
        == 0
    )
    from _auth import bearer, make_role_users

    from store.engine import make_engine

    engine = make_engine(db_url)
    tokens = make_role_users(engine)
    engine.dispose()
    with TestClient(
        create_app(Settings(database_url=db_url, data_dir=tmp_path_factory.mktemp("data")))
    ) as c:
        c.headers.update(bearer(tokens["admin"]))
        yield c


def test_schedule_before_and_after_review(client, repo_root):
    before = client.get("/schedules").json()
    assert before["rows"] == [] and before["unreviewed_km"] == pytest.approx(4.14, abs=0.01)
    sites = json.loads((repo_root / "hierarchy" / "examples" / "medway_sites.geojson").read_text())
    review = client.post("/hierarchy/review", json={"sites": sites}).json()
    after = client.get("/schedules").json()
    assert after["unreviewed_km"] == 0
    assert after["current_inspection_km_per_year"] == pytest.approx(
        review["inspection_km_per_year_before"], rel=1e-3
    )
    assert after["recommended_inspection_km_per_year"] == pytest.approx(
        review["inspection_km_per_year_after"], rel=1e-3
    )
    rows = {r["frequency"]: r for r in after["rows"]}
    assert sum(r["current_km"] for r in rows.values()) == pytest.approx(4.14, abs=0.01)
    assert sum(r["recommended_km"] for r in rows.values()) == pytest.approx(4.14, abs=0.01)
    assert rows["monthly"]["inspections_per_year"] == 12
