"""Defect tiles on both databases: clusters with exact counts at low zoom, single defects at
street zoom, the same content as JSON and as Mapbox Vector Tiles (ST_AsMVT / store.mvt)."""

from __future__ import annotations

import pytest

from geo.types import DefectCandidate
from roadcam.errors import UsageError
from store.defect_filter import DefectFilter
from store.defects import list_defects, save_defects, set_defect_status
from store.mvt import decode_points, encode_points
from store.tiles import CLUSTER_BELOW_ZOOM, defect_tile_json, defect_tile_mvt, tile_bbox
from tests.store._factories import LAT0, LON0, T0, tile_of


@pytest.fixture(scope="module")
def ids(engine):
    from store.engine import session_scope

    cands = [
        DefectCandidate(
            class_name=("pothole", "crack", "skip", "faded_marking")[i % 4],
            lon=LON0 + 0.0002 * (i % 10) + 0.02 * (i // 10),  # 4 towns of 10, 1.4 km apart
            lat=LAT0 + 0.0001 * (i % 3),
            segment_id="s1",
            chainage_m=1.0,
            offset_m=0.0,
            first_seen=T0,
            last_seen=T0,
            sightings=1 + i % 2,
            max_width_m=0.2,
            best_confidence=0.8,
            best_frame_index=0,
        )
        for i in range(40)
    ]
    with session_scope(engine) as s:
        out = save_defects(s, cands)
        set_defect_status(s, out[0], "closed")
    return out


def test_tile_bbox_and_bad_tiles():
    z, x, y = tile_of(LON0, LAT0, 16)
    x1, y1, x2, y2 = tile_bbox(z, x, y)
    assert x1 <= LON0 < x2 and y1 <= LAT0 < y2
    assert x2 - x1 == pytest.approx(360 / 2**16)
    with pytest.raises(UsageError):
        tile_bbox(3, 8, 0)


def test_low_zoom_clusters_count_every_defect_once(session, ids):
    tile = defect_tile_json(session, *tile_of(LON0, LAT0, 10), DefectFilter())
    assert tile["clustered"] and tile["count"] == 40 and not tile["truncated"]
    assert sum(c["pothole"] for c in tile["cells"]) == 10
    open_only = defect_tile_json(session, *tile_of(LON0, LAT0, 10), DefectFilter(statuses=["open"]))
    assert open_only["count"] == 39
    mvt = decode_points(defect_tile_mvt(session, *tile_of(LON0, LAT0, 10), DefectFilter()))
    cells = mvt["defects"]
    assert sum(f["properties"]["count"] for f in cells) == 40
    assert len(cells) == len(tile["cells"])
    assert all(0 <= f["x"] <= 4096 and 0 <= f["y"] <= 4096 for f in cells)


def test_street_zoom_has_the_defects_themselves(session, ids):
    z = CLUSTER_BELOW_ZOOM + 1
    zxy = tile_of(LON0 + 0.0009, LAT0, z)
    want = [d.id for d in list_defects(session, bbox=tile_bbox(*zxy), limit=None)]
    assert 0 < len(want) < 40
    tile = defect_tile_json(session, *zxy, DefectFilter())
    assert not tile["clustered"] and [f["id"] for f in tile["features"]] == want
    feats = decode_points(defect_tile_mvt(session, *zxy, DefectFilter()))["defects"]
    assert sorted(f["id"] for f in feats) == want
    by_id = {f["id"]: f for f in feats}
    assert by_id[ids[0]]["properties"]["status"] == "closed"
    assert by_id[ids[1]]["properties"] == {"class_name": "crack", "status": "open", "sightings": 2}
    empty = tile_of(-3.0, 55.0, z)
    assert defect_tile_mvt(session, *empty, DefectFilter()) == b""
    assert defect_tile_json(session, *empty, DefectFilter())["count"] == 0


def test_mvt_codec_round_trip():
    pts = [(7, 10, 4095, {"a": "x", "n": 3, "neg": -2, "f": 0.5, "b": True}), (None, 0, 0, {})]
    layers = decode_points(encode_points("L", pts))
    assert layers["L"][0] == {
        "id": 7,
        "x": 10,
        "y": 4095,
        "properties": {"a": "x", "n": 3, "neg": -2, "f": 0.5, "b": True},
    }
    assert layers["L"][1]["id"] is None and layers["L"][1]["x"] == 0


def test_tile_routes(db_url, ids, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from roadcam.settings import Settings

    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, public_reads=True))
    with TestClient(app) as client:
        z, x, y = tile_of(LON0, LAT0, 10)
        r = client.get(f"/tiles/defects/{z}/{x}/{y}.json", params={"class": "pothole"})
        assert r.status_code == 200 and r.json()["count"] == 10
        r = client.get(f"/tiles/defects/{z}/{x}/{y}.mvt")
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        assert sum(f["properties"]["count"] for f in decode_points(r.content)["defects"]) == 40
        assert client.get("/tiles/defects/3/8/0.json").status_code == 400
        assert client.get("/tiles/defects/23/0/0.mvt").status_code == 422
