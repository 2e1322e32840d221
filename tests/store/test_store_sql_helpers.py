"""The metric helpers behind defects_near/permits_near: checked against pyproj's geodesics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from roadcam.errors import CRSError
from store._sql import bbox_around_m, check_bbox, distance_m, point_ewkt

GEOD = Geod(ellps="WGS84")


def test_distance_known_value():
    # 0.01 deg of latitude at 51.39 N on the WGS84 ellipsoid is 1112.56 m (a sphere says 1111.95)
    assert distance_m(0.504, 51.389, 0.504, 51.399) == pytest.approx(1112.56, abs=0.01)
    assert distance_m(0.504, 51.389, 0.504, 51.389) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(-179, 179),
    lat=st.floats(-80, 80),
    radius=st.floats(0.5, 5000),
    bearing=st.floats(0, 360),
)
def test_circle_is_inside_the_prefilter_box_and_distance_is_metric(lon, lat, radius, bearing):
    x, y, _ = GEOD.fwd(lon, lat, bearing, radius)
    x1, y1, x2, y2 = bbox_around_m(lon, lat, radius)
    assert x1 <= x <= x2 and y1 <= y <= y2
    # the same ellipsoid both ways
    assert distance_m(lon, lat, x, y) == pytest.approx(radius, rel=1e-6, abs=1e-6)


def test_check_bbox_and_ewkt():
    assert check_bbox([0, 51, 1, 52]) == (0.0, 51.0, 1.0, 52.0)
    with pytest.raises(CRSError):
        check_bbox((1, 51, 0, 52))  # min > max
    with pytest.raises(CRSError):
        check_bbox((0, 51, 1))
    assert point_ewkt(0.5, 51.25) == "SRID=4326;POINT(0.5 51.25)"
