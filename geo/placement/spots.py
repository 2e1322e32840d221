"""Crops of one spot on the road, seen from a frame, and light-robust measures of what is there.

A claimed repair is judged by looking at the defect's spot in the frames of the survey
that found it ("before") and of the survey after the claim ("after"):

* :func:`spot_in_frame` places the spot in a frame's vehicle frame (forward, lateral metres)
  with the frame's GPS pose;
* :func:`topdown_crop` resamples the road around it into a top-down patch (rows run
  forward, columns left to right, ``res_m`` metres per pixel) through the camera model, so
  crops from different distances, lanes and surveys are comparable;
* :func:`image_crop` cuts the same place out of the frame as it was seen (the evidence an
  inspector looks at);
* :func:`blob_features` finds the dark region nearest the spot (a hole, or a patch) after
  dividing by the road's own median brightness (so light and exposure cancel) and measures
  it: area, rectangularity (a saw-cut patch is a rectangle, a pothole is not), how dark it
  is, and whether its rim is lighter (a broken edge) or darker (a sealed seam) than the road;
* :func:`similarity` is the best normalised cross-correlation of the "before" hole within
  the "after" crop (a pothole still there looks like itself; a patch does not).

GPS puts the spot up to ~3 m from where it really is in a frame, so the blob is searched
within ``search_m`` of the crop centre and the similarity over shifts of that size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from geo.crs import xy_from_lonlat
from geo.placement.camera import CameraModel, pixel_from_ground_point, vehicle_point_from_en

#: Half sizes (m) of the top-down crop around the spot: forward, lateral; metres per pixel.
HALF_FORWARD_M, HALF_LATERAL_M, RES_M = 3.5, 3.0, 0.04
DARK_RATIO = 0.8  # a pixel darker than this fraction of the road's median is "dark"


@dataclass(frozen=True)
class BlobFeatures:
    """The dark region nearest the spot in a top-down crop (``found`` False: none)."""

    found: bool
    area_m2: float = 0.0
    rectangularity: float = 0.0  # outline area / its minimum rotated rectangle's (1: rectangle)
    darkness: float = 0.0  # 1 - its mean brightness / the road's median
    rim: float = 0.0  # mean brightness of a 12 cm ring around it / the road's median, minus 1
    offset_m: float = 0.0  # its centre's distance from the spot
    road_brightness: float = 0.0  # the road's median grey level (0-255): light check
    centre_px: tuple[float, float] = (0.0, 0.0)  # its centre in the crop (column, row)


def spot_in_frame(
    camera: CameraModel,
    frame_lon: float,
    frame_lat: float,
    heading_deg: float,
    lon: float,
    lat: float,
    crs: str,
    shift_m: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, float]:
    """(forward, lateral) metres of ground point (lon, lat) from the camera of a frame at that pose."""
    (fx, px), (fy, py) = xy_from_lonlat([frame_lon, lon], [frame_lat, lat], crs)
    f, la = vehicle_point_from_en(px - fx - shift_m[0], py - fy - shift_m[1], heading_deg)
    return float(f) - camera.forward_offset_m, float(la) - camera.lateral_offset_m


def _grid(forward_m: float, lateral_m: float) -> tuple[np.ndarray, np.ndarray]:
    nf = int(round(2 * HALF_FORWARD_M / RES_M))
    nl = int(round(2 * HALF_LATERAL_M / RES_M))
    fw = forward_m + HALF_FORWARD_M - (np.arange(nf) + 0.5) * RES_M  # far at the top
    la = lateral_m - HALF_LATERAL_M + (np.arange(nl) + 0.5) * RES_M
    return np.meshgrid(fw, la, indexing="ij")


def topdown_crop(
    camera: CameraModel, image: np.ndarray, forward_m: float, lateral_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Top-down grey crop (uint8) around the ground point, and its mask of pixels inside the image."""
    cam = camera.scaled(image.shape[1], image.shape[0])
    ff, ll = _grid(forward_m, lateral_m)
    u, v = pixel_from_ground_point(cam, ff, ll)
    u = np.nan_to_num(u, nan=-1.0).astype(np.float32)
    v = np.nan_to_num(v, nan=-1.0).astype(np.float32)
    inside = (u >= 0) & (u <= image.shape[1] - 1) & (v >= 0) & (v <= image.shape[0] - 1)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    crop = cv2.remap(grey, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return crop, inside


def image_crop(
    camera: CameraModel,
    image: np.ndarray,
    forward_m: float,
    lateral_m: float,
    *,
    half_m: float = 2.5,
    out_size: tuple[int, int] = (240, 160),
) -> np.ndarray | None:
    """The frame around the spot as seen (``half_m`` of ground either side), resized to ``out_size``."""
    cam = camera.scaled(image.shape[1], image.shape[0])
    us, vs = pixel_from_ground_point(
        cam,
        np.array([forward_m - half_m, forward_m + half_m, forward_m, forward_m]),
        np.array([lateral_m, lateral_m, lateral_m - half_m, lateral_m + half_m]),
    )
    if not np.isfinite(us).all() or not np.isfinite(vs).all():
        return None
    h, w = image.shape[:2]
    x0, x1 = int(max(us.min() - 10, 0)), int(min(us.max() + 10, w))
    y0, y1 = int(max(vs.min() - 10, 0)), int(min(vs.max() + 10, h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return cv2.resize(image[y0:y1, x0:x1], out_size, interpolation=cv2.INTER_AREA)


def blob_features(
    crop: np.ndarray, inside: np.ndarray, *, search_m: float = 3.0, centre_forward_m: float = 0.0
) -> BlobFeatures:
    """The dark region nearest the crop centre (within ``search_m``) and its measures."""
    valid = inside & (crop > 0)
    if valid.mean() < 0.3:
        return BlobFeatures(False)
    road = float(np.median(crop[valid]))
    if road < 5:
        return BlobFeatures(False, road_brightness=road)
    g = crop.astype(np.float32) / road
    dark = ((g < DARK_RATIO) & valid).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, labels, stats, cents = cv2.connectedComponentsWithStats(dark, connectivity=8)
    px_m2 = RES_M * RES_M
    cy0 = crop.shape[0] / 2 - centre_forward_m / RES_M
    cx0 = crop.shape[1] / 2
    best, best_d = None, search_m
    for k in range(1, n):
        area = stats[k, cv2.CC_STAT_AREA] * px_m2
        if not 0.03 <= area <= 8.0:
            continue
        d = math.hypot(cents[k][0] - cx0, cents[k][1] - cy0) * RES_M
        if d <= best_d:
            best, best_d = k, d
    if best is None:
        return BlobFeatures(False, road_brightness=road)
    mask = (labels == best).astype(np.uint8)
    area_px = float(mask.sum())
    # outline area over its minimum rotated rectangle: both from the same contour
    contours, _h = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    (_c, (rw, rh), _a) = cv2.minAreaRect(outline)
    rect_fill = cv2.contourArea(outline) / max(rw * rh, 1.0)
    ring = cv2.dilate(mask, np.ones((7, 7), np.uint8)) & ~mask.astype(bool) & valid
    ring_mean = float(g[ring.astype(bool)].mean()) if ring.any() else 1.0
    return BlobFeatures(
        True,
        area_m2=area_px * px_m2,
        rectangularity=float(min(rect_fill, 1.0)),
        darkness=1.0 - float(g[mask.astype(bool)].mean()),
        rim=ring_mean - 1.0,
        offset_m=best_d,
        road_brightness=road,
        centre_px=(float(cents[best][0]), float(cents[best][1])),
    )


def blob_pixel(
    camera: CameraModel,
    image_shape: tuple[int, ...],
    forward_m: float,
    lateral_m: float,
    feats: BlobFeatures,
) -> tuple[float, float]:
    """Pixel (u, v) of the blob's centre in the frame (of the spot itself when no blob was found)."""
    if feats.found:
        col, row = feats.centre_px
        forward_m = forward_m + HALF_FORWARD_M - (row + 0.5) * RES_M
        lateral_m = lateral_m - HALF_LATERAL_M + (col + 0.5) * RES_M
    cam = camera.scaled(image_shape[1], image_shape[0])
    u, v = pixel_from_ground_point(cam, forward_m, lateral_m)
    return float(u), float(v)


def similarity(before: np.ndarray, after: np.ndarray, *, half_m: float = 1.0) -> float:
    """Best normalised cross-correlation of the centre of ``before`` (``half_m`` either way) in ``after``."""
    h, w = before.shape
    r = int(half_m / RES_M)
    cy, cx = h // 2, w // 2
    tpl = before[cy - r : cy + r, cx - r : cx + r].astype(np.float32)
    if tpl.std() < 1e-3:
        return 0.0
    score = cv2.matchTemplate(after.astype(np.float32), tpl, cv2.TM_CCOEFF_NORMED)
    return float(np.nanmax(score)) if score.size else 0.0


def centred_on_blob(crop: np.ndarray, feats: BlobFeatures) -> np.ndarray:
    """The crop shifted so the blob nearest the spot is at its centre (for :func:`similarity`)."""
    if not feats.found:
        return crop
    cx, cy = feats.centre_px
    m = np.float32([[1, 0, crop.shape[1] / 2 - cx], [0, 1, crop.shape[0] / 2 - cy]])
    fill = int(round(feats.road_brightness))
    return cv2.warpAffine(crop, m, (crop.shape[1], crop.shape[0]), borderValue=fill)
