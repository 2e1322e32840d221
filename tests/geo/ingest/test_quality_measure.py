"""measure_quality on made-up frames: each reason fires alone, thresholds are configurable."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from geo.ingest.quality import QualityThresholds, measure_quality


def _road(h: int = 720, w: int = 1280, level: int = 110) -> np.ndarray:
    rng = np.random.default_rng(7)
    img = np.clip(rng.normal(level, 25, (h, w, 3)), 0, 255).astype(np.uint8)  # asphalt grain
    cv2.line(img, (w // 2, h), (w // 2, h // 2), (235, 235, 235), 8)  # a centre line
    return img


def test_good_frame_is_usable():
    q = measure_quality(_road(), hdop=0.9, fix_quality=1)
    assert q.usable and q.reasons == ()
    assert 100 < q.brightness < 125 and q.blur > 100 and q.glare < 0.01 and q.hdop == 0.9


def test_night_is_dark():
    q = measure_quality(_road(level=15) // 2)
    assert not q.usable and q.reasons == ("dark",)


def test_smeared_lens_is_blurred():
    q = measure_quality(cv2.GaussianBlur(_road(), (0, 0), 12))
    assert q.reasons == ("blurred",) and q.blur < 30


def test_low_sun_is_glare():
    img = _road()
    img[:300] = 255
    q = measure_quality(img)
    assert "glare" in q.reasons and q.glare == pytest.approx(300 / 720, abs=0.01)


@pytest.mark.parametrize(
    ("hdop", "fix", "usable"), [(8.0, 1, False), (2.0, 0, False), (math.nan, 1, True)]
)
def test_gps_precision(hdop, fix, usable):
    q = measure_quality(_road(), hdop=hdop, fix_quality=fix)
    assert q.usable is usable and (q.reasons == () if usable else q.reasons == ("gps",))


def test_thresholds_configurable():
    dim = _road(level=50)
    assert measure_quality(dim).usable
    q = measure_quality(dim, thresholds=QualityThresholds(min_brightness=80))
    assert q.reasons == ("dark",)
    with pytest.raises(ValueError):
        QualityThresholds(max_glare=2.0)


def test_resolution_independent():
    img = _road()
    small = cv2.resize(img, (320, 180), interpolation=cv2.INTER_AREA)
    a, b = measure_quality(img), measure_quality(small)
    assert a.brightness == pytest.approx(b.brightness, abs=0.5) and a.blur == pytest.approx(
        b.blur, rel=0.02
    )
