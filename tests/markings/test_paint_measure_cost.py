"""The bird's-eye paint measure skips its widest blur where no seen pixel needs it: same values."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detector import markings
from geo.ingest.video import iter_frames_at
from geo.placement import markings as placement
from geo.placement.camera import load_camera_config

SAMPLE = Path(__file__).resolve().parents[2] / "sample_footage"


def _real_view():
    """The bird's-eye view of a real sample frame (drive1, 10 s in) and its seen mask."""
    (_, _, image), *_ = list(iter_frames_at(SAMPLE / "drive1.mp4", [10.0]))
    camera = load_camera_config(SAMPLE / "camera.yaml", vehicle_id="RCV-01")
    return placement.ground_view(image, camera)


def _counting_blurs(monkeypatch) -> list[float]:
    sigmas: list[float] = []
    real = cv2.GaussianBlur

    def counted(image, ksize, sigma, *args, **kwargs):
        sigmas.append(sigma)
        return real(image, ksize, sigma, *args, **kwargs)

    monkeypatch.setattr(cv2, "GaussianBlur", counted)
    return sigmas


def test_a_real_view_gives_the_full_computation_values_with_two_blurs(monkeypatch):
    view, valid = _real_view()
    assert valid.mean() > 0.3 and (~valid).any()  # the view has unseen corners
    full_con, full_surf = markings.contrast_and_surface(view, exclude=~valid, sigma_px=15.0)
    sigmas = _counting_blurs(monkeypatch)
    con, surf = markings.contrast_and_surface(view, exclude=~valid, sigma_px=15.0, wanted=valid)
    assert sigmas == [15.0, 15.0]  # the sigma x4 fallback was not made
    assert np.array_equal(con[valid], full_con[valid])
    assert np.array_equal(surf[valid], full_surf[valid])
    profile = markings.slice_profile(
        view, placement.rows_per_slice(), valid, light_cols=placement.lane_columns()
    )
    assert np.isfinite(profile).any()


def test_a_wanted_pixel_in_a_wide_excluded_patch_still_gets_the_wide_blur(monkeypatch):
    view, valid = _real_view()
    hidden = ~valid
    hidden[60:160, 150:350] = True  # a wide patch left out (5 m x 4 m): no surface around it
    full_con, _ = markings.contrast_and_surface(view, exclude=hidden, sigma_px=15.0)
    sigmas = _counting_blurs(monkeypatch)
    con, _ = markings.contrast_and_surface(view, exclude=hidden, sigma_px=15.0, wanted=valid)
    assert sigmas == [15.0, 15.0, pytest.approx(60.0)]
    assert np.array_equal(con[valid], full_con[valid])
