"""The chain after the detector, on the sample footage, with perfect detections.

The sample generator writes every visible object's true box per frame
(``drive1_boxes.csv``). Feeding those as the detector's output tests everything
downstream of it — distance sampling, ground projection from GPS poses (with
their ~2.5 m noise), snapping to the network, merging sightings — against the
rendered ground truth: each defect on the right road, within 3 m, once.
"""

import pytest
from sample_oracle import SAMPLE, process_with_oracle
from sample_oracle import ground_truth as _truth
from sample_oracle import metres as _metres

from pipeline.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oracle")
    db = f"sqlite:///{tmp / 'r.sqlite'}"
    assert main(["network", "load", str(SAMPLE / "network.geojson"), "--database", db]) == 0
    assert process_with_oracle([SAMPLE / "drive1.mp4"], db, tmp) == 0
    from store.defects import defect_lonlat, list_defects
    from store.engine import make_engine, session_scope
    from store.segments import list_segments

    engine = make_engine(db)
    with session_scope(engine) as s:
        source_of = {seg.id: seg.source_id for seg in list_segments(s)}
        defects = [
            (d.class_name, *defect_lonlat(d), source_of.get(d.segment_id), d.sightings, d.id)
            for d in list_defects(s, limit=None)
        ]
    engine.dispose()
    return defects, db


@pytest.mark.parametrize("cls", ["pothole", "crack", "skip"])
def test_each_rendered_defect_is_one_defect_on_its_road_within_3_m(processed, cls):
    defects, _ = processed
    mine = [d for d in defects if d[0] == cls]
    truth = [f for f in _truth() if f["properties"]["class"] == cls]
    assert truth
    matched = set()
    for f in truth:
        lon, lat = f["geometry"]["coordinates"]
        near = [d for d in mine if _metres(lon, lat, d[1], d[2]) <= 3.0]
        assert len(near) == 1, f"{f['properties']['id']}: {len(near)} defects within 3 m"
        assert near[0][3] == f["properties"]["source_id"], (
            f"{f['properties']['id']} on the wrong road"
        )
        matched.add(near[0][5])
    assert len(mine) == len(truth), f"{len(mine) - len(truth)} extra {cls} defects (duplicates)"


def test_reprocessing_creates_no_duplicates(processed):
    defects, db = processed
    code = main(["process", str(SAMPLE / "drive1.mp4"), "--no-detect", "--database", db])
    assert code == 0
    from store.defects import count_defects
    from store.engine import make_engine, session_scope

    engine = make_engine(db)
    with session_scope(engine) as s:
        assert count_defects(s) == len(defects)
    engine.dispose()


def test_worn_lines_are_not_point_defects(processed):
    """``faded_marking`` is retired (docs/markings.md): worn paint is measured as wear runs, so
    even perfect faded_marking boxes never become defects (nor a Cat 1 response)."""
    defects, _ = processed
    truth = [f for f in _truth() if f["properties"]["class"] == "faded_marking"]
    assert truth
    assert [d for d in defects if d[0] == "faded_marking"] == []
