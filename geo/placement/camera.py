"""Pinhole camera model of a vehicle-mounted forward camera, and ground projection.

The same geometry renders the synthetic sample footage (``sample_footage/render.py``)
and places detections on the ground in the pipeline, so the two cannot drift apart.

Conventions (see docs/camera.md):

* Vehicle frame: origin on the ground below the GPS reference point of the vehicle,
  ``forward_m`` along the heading, ``lateral_m`` positive to the **right** of the
  heading, ``height_m`` up. A ground point has ``height_m == 0``.
* ``pitch_deg`` is positive **down**: a camera tilted 8 degrees towards the road
  has ``pitch_deg=8``. ``roll_deg`` is positive clockwise as seen from behind the
  camera (the image rotates anticlockwise).
* Pixels: ``u`` to the right, ``v`` down, origin at the top-left corner of the
  top-left pixel; square pixels; the principal point at the image centre.
* The road is a flat plane through the wheels' contact points.

Above the horizon a pixel has no ground point: the functions return NaN there.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from roadcam.errors import ConfigError, InputNotFoundError

log = logging.getLogger(__name__)

#: A small margin (metres along the optical axis) so points at the camera never divide by ~0.
_MIN_DEPTH_M = 1e-3


@dataclass(frozen=True)
class CameraModel:
    """A forward-facing pinhole camera on a vehicle.

    Attributes:
        mount_height_m: lens height above the road.
        pitch_deg: tilt of the optical axis below horizontal (positive = down).
        roll_deg: rotation about the optical axis (positive = clockwise from behind).
        hfov_deg: horizontal field of view across ``image_width``.
        image_width: pixels.
        image_height: pixels.
        lateral_offset_m: camera position right of the GPS reference point.
        forward_offset_m: camera position ahead of the GPS reference point.
    """

    mount_height_m: float
    pitch_deg: float
    hfov_deg: float
    image_width: int
    image_height: int
    roll_deg: float = 0.0
    lateral_offset_m: float = 0.0
    forward_offset_m: float = 0.0

    def __post_init__(self) -> None:
        if not (0.1 <= self.mount_height_m <= 10.0):
            raise ValueError(f"mount_height_m must be within 0.1..10 m, got {self.mount_height_m}")
        if not (-45.0 <= self.pitch_deg <= 90.0):
            raise ValueError(
                f"pitch_deg must be within -45..90 (down positive), got {self.pitch_deg}"
            )
        if not (-45.0 <= self.roll_deg <= 45.0):
            raise ValueError(f"roll_deg must be within -45..45, got {self.roll_deg}")
        if not (10.0 <= self.hfov_deg <= 170.0):
            raise ValueError(f"hfov_deg must be within 10..170, got {self.hfov_deg}")
        if int(self.image_width) <= 0 or int(self.image_height) <= 0:
            raise ValueError("image size must be positive")
        for name in ("lateral_offset_m", "forward_offset_m"):
            if not math.isfinite(getattr(self, name)) or abs(getattr(self, name)) > 20:
                raise ValueError(f"{name} must be finite and within 20 m")

    # -- intrinsics -----------------------------------------------------------------
    @property
    def focal_px(self) -> float:
        """Focal length in pixels (square pixels)."""
        return (self.image_width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def cx(self) -> float:
        return self.image_width / 2.0

    @property
    def cy(self) -> float:
        return self.image_height / 2.0

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.cy / self.focal_px))

    @property
    def horizon_v(self) -> float:
        """Image row of the horizon at the image centre column (flat road)."""
        return self.cy - self.focal_px * math.tan(math.radians(self.pitch_deg)) / math.cos(
            math.radians(self.roll_deg)
        )

    def rotation(self) -> np.ndarray:
        """3x3 matrix taking camera-frame vectors (x right, y down, z optical axis)
        to the vehicle frame (forward, right, down)."""
        p = math.radians(self.pitch_deg)
        r = math.radians(self.roll_deg)
        # roll about the optical axis, in camera coordinates
        rz = np.array(
            [[math.cos(r), -math.sin(r), 0.0], [math.sin(r), math.cos(r), 0.0], [0.0, 0.0, 1.0]]
        )
        # camera axes expressed in vehicle FRD for a pure pitch p (down positive)
        x_axis = np.array([0.0, 1.0, 0.0])
        y_axis = np.array([-math.sin(p), 0.0, math.cos(p)])
        z_axis = np.array([math.cos(p), 0.0, math.sin(p)])
        rp = np.stack([x_axis, y_axis, z_axis], axis=1)
        return rp @ rz

    @property
    def position_frd(self) -> np.ndarray:
        """Camera centre in the vehicle forward-right-down frame."""
        return np.array([self.forward_offset_m, self.lateral_offset_m, -self.mount_height_m])

    def scaled(self, image_width: int, image_height: int) -> CameraModel:
        """The same camera at another image size (the field of view is kept)."""
        return replace(self, image_width=int(image_width), image_height=int(image_height))


# -- projections ----------------------------------------------------------------------
def ground_point_from_pixel(camera: CameraModel, u, v):
    """Ground point ``(forward_m, lateral_m)`` seen at pixel ``(u, v)``.

    ``u`` and ``v`` may be scalars or arrays (broadcast together). Pixels on or
    above the horizon give NaN. Returns floats for scalar input, else arrays.
    """
    scalar = np.ndim(u) == 0 and np.ndim(v) == 0
    u_arr, v_arr = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
    f = camera.focal_px
    rays_c = np.stack(
        [(u_arr - camera.cx) / f, (v_arr - camera.cy) / f, np.ones_like(u_arr)], axis=-1
    )
    rays = rays_c @ camera.rotation().T  # forward, right, down
    down = rays[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(down > 1e-9, camera.mount_height_m / down, np.nan)
    fwd = camera.forward_offset_m + t * rays[..., 0]
    lat = camera.lateral_offset_m + t * rays[..., 1]
    if scalar:
        return float(fwd), float(lat)
    return fwd, lat


def pixel_from_vehicle_point(camera: CameraModel, forward_m, lateral_m, height_m=0.0):
    """Pixel ``(u, v)`` of a point in the vehicle frame (``height_m`` up from the road).

    Points behind (or at) the camera give NaN. Scalars in, floats out; arrays in, arrays out.
    """
    scalar = all(np.ndim(a) == 0 for a in (forward_m, lateral_m, height_m))
    fw, la, he = np.broadcast_arrays(
        np.asarray(forward_m, float), np.asarray(lateral_m, float), np.asarray(height_m, float)
    )
    rel = np.stack([fw, la, -he], axis=-1) - camera.position_frd
    cam = rel @ camera.rotation()  # R^T applied to row vectors
    z = cam[..., 2]
    f = camera.focal_px
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = z > _MIN_DEPTH_M
        uu = np.where(ok, camera.cx + f * cam[..., 0] / z, np.nan)
        vv = np.where(ok, camera.cy + f * cam[..., 1] / z, np.nan)
    if scalar:
        return float(uu), float(vv)
    return uu, vv


def pixel_from_ground_point(camera: CameraModel, forward_m, lateral_m):
    """Pixel ``(u, v)`` where the ground point ``(forward_m, lateral_m)`` appears (NaN if behind)."""
    return pixel_from_vehicle_point(camera, forward_m, lateral_m, 0.0)


def width_m_from_box(camera: CameraModel, xyxy) -> float:
    """Ground width (metres) of a box, measured across its bottom edge.

    The bottom edge of a box around a flat object lies on the road, so its two
    corners project to ground points whose distance is the object's width across
    the view. NaN when the bottom edge is above the horizon.
    """
    x1, _y1, x2, y2 = (float(c) for c in xyxy)
    f1, l1 = ground_point_from_pixel(camera, x1, y2)
    f2, l2 = ground_point_from_pixel(camera, x2, y2)
    return float(math.hypot(f2 - f1, l2 - l1))


def ground_offset_en(forward_m, lateral_m, heading_deg) -> tuple[np.ndarray, np.ndarray]:
    """East/north metres of a vehicle-frame ground offset for a heading (degrees clockwise from north)."""
    h = np.radians(np.asarray(heading_deg, float))
    fw = np.asarray(forward_m, float)
    la = np.asarray(lateral_m, float)
    east = fw * np.sin(h) + la * np.cos(h)
    north = fw * np.cos(h) - la * np.sin(h)
    return east, north


def vehicle_point_from_en(east_m, north_m, heading_deg) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`ground_offset_en`: (forward, lateral) of an east/north offset."""
    h = np.radians(np.asarray(heading_deg, float))
    e = np.asarray(east_m, float)
    n = np.asarray(north_m, float)
    return e * np.sin(h) + n * np.cos(h), e * np.cos(h) - n * np.sin(h)


#: Default farthest ground range (m) at which a detection is projected: beyond it a
#: 0.5 deg pitch error (braking, bumps) moves a point by more than 1.5 m (docs/camera.md).
MAX_PROJECTION_RANGE_M = 25.0


def project_detections(
    camera: CameraModel, detections, frame, *, max_range_m: float | None = MAX_PROJECTION_RANGE_M
) -> list:
    """Place each detection on the ground and in the world.

    The bottom-centre of each box is mapped to a ground point ahead of/beside the
    camera, rotated by the frame's heading and added to the frame's position in a
    metric CRS (EPSG:27700 in Great Britain, else UTM), then returned as lon/lat.

    Args:
        camera: the vehicle's camera. If the detections' image size differs, the
            camera is rescaled (same field of view).
        detections: a ``detector.types.Detections`` (or any object with ``xyxy``,
            ``confidence``, ``class_id``, ``class_names``, ``image_width``, ``image_height``).
        frame: a ``geo.types.SampledFrame`` (``lon``, ``lat``, ``heading_deg``, ``time``,
            ``frame_index``, ``source``).

        max_range_m: skip boxes whose ground point is farther ahead than this
            (None: no limit). Far projections are unreliable (see docs/camera.md).

    Returns:
        One :class:`geo.types.Observation` per box whose bottom edge is below the
        horizon and within ``max_range_m``; the others are skipped (logged at debug level).
    """
    from geo.crs import lonlat_from_xy, metric_crs_for_lonlat, xy_from_lonlat

    n = len(detections.xyxy)
    if n == 0:
        return []
    if not math.isfinite(frame.heading_deg):
        log.debug("frame %s has no heading; %d detections not projected", frame.frame_index, n)
        return []
    cam = _camera_for_image(camera, detections)
    xyxy = np.asarray(detections.xyxy, float)
    fwd, lat, widths = _ground_points_of_boxes(cam, xyxy)
    crs = metric_crs_for_lonlat(frame.lon, frame.lat)
    x0, y0 = xy_from_lonlat(frame.lon, frame.lat, crs)
    de, dn = ground_offset_en(fwd, lat, frame.heading_deg)
    lons, lats = lonlat_from_xy(x0 + de, y0 + dn, crs)
    out = []
    skipped = 0
    for i in range(n):
        too_far = max_range_m is not None and fwd[i] > max_range_m
        if not (np.isfinite(fwd[i]) and np.isfinite(lat[i])) or too_far:
            skipped += 1
            continue
        out.append(
            _observation_of_box(
                detections, i, frame, xyxy[i], lonlat=(lons[i], lats[i]), width_m=widths[i],
                ground_m=(fwd[i], lat[i]), crs=crs,
            )
        )  # fmt: skip
    if skipped:
        log.debug(
            "frame %s: %d boxes above the horizon or too far not projected",
            frame.frame_index,
            skipped,
        )
    return out


def _camera_for_image(camera: CameraModel, detections) -> CameraModel:
    """The camera rescaled to the detections' image size (same field of view)."""
    if (detections.image_width, detections.image_height) != (
        camera.image_width,
        camera.image_height,
    ):
        return camera.scaled(detections.image_width, detections.image_height)
    return camera


def _ground_points_of_boxes(cam: CameraModel, xyxy: np.ndarray):
    """Ground point (forward, lateral m) of each box's bottom-centre, and its bottom edge's width (m)."""
    u = (xyxy[:, 0] + xyxy[:, 2]) / 2.0
    v = xyxy[:, 3]
    fwd, lat = ground_point_from_pixel(cam, u, v)
    fl, ll = ground_point_from_pixel(cam, xyxy[:, 0], v)
    fr, lr = ground_point_from_pixel(cam, xyxy[:, 2], v)
    return fwd, lat, np.hypot(fr - fl, lr - ll)


def _observation_of_box(detections, i: int, frame, box, *, lonlat, width_m, ground_m, crs: str):
    from geo.types import Observation

    cid = int(detections.class_id[i])
    return Observation(
        class_name=detections.class_names[cid],
        confidence=float(detections.confidence[i]),
        xyxy=tuple(float(c) for c in box),
        lon=float(lonlat[0]),
        lat=float(lonlat[1]),
        width_m=float(width_m) if np.isfinite(width_m) else 0.0,
        time=frame.time,
        frame_index=int(frame.frame_index),
        source=getattr(frame, "source", ""),
        extra={"forward_m": float(ground_m[0]), "lateral_m": float(ground_m[1]), "crs": crs},
    )


# -- configuration ----------------------------------------------------------------------
_FIELD_NAMES = {f.name for f in fields(CameraModel)}

#: The camera used when no config file is given: a refuse-truck cab camera, the same
#: geometry as the sample footage's ``RCV-01`` (the image size is rescaled to the frames).
DEFAULT_CAMERA = CameraModel(
    mount_height_m=2.4, pitch_deg=10.0, hfov_deg=90.0, image_width=960, image_height=540
)


def _camera_from_mapping(data: Any, base: dict[str, Any] | None, where: str) -> CameraModel:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a camera must be a mapping of its parameters")
    unknown = set(data) - _FIELD_NAMES
    if unknown:
        raise ConfigError(
            f"{where}: unknown camera parameter(s) {sorted(unknown)}; known: {sorted(_FIELD_NAMES)}"
        )
    params = dict(base or {})
    params.update(data)
    missing = _FIELD_NAMES - set(params) - {"roll_deg", "lateral_offset_m", "forward_offset_m"}
    if missing:
        raise ConfigError(f"{where}: missing camera parameter(s) {sorted(missing)}")
    try:
        for k in ("image_width", "image_height"):
            params[k] = int(params[k])
        for k in set(params) - {"image_width", "image_height"}:
            params[k] = float(params[k])
        return CameraModel(**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from None


def load_camera_configs(path: str | Path) -> dict[str, CameraModel]:
    """All cameras in a YAML config: ``{"default": ..., vehicle_id: ...}``.

    Format::

        default:            # optional; every vehicle inherits missing keys from it
          mount_height_m: 2.4
          pitch_deg: 9        # down positive
          hfov_deg: 90
          image_width: 1280
          image_height: 720
        vehicles:
          RCV-07: {mount_height_m: 2.6, pitch_deg: 10}
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError("camera config not found", path=str(p))
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"not valid YAML ({type(err).__name__})", path=str(p)) from None
    if not isinstance(doc, dict):
        raise ConfigError(
            "camera config must be a mapping with 'default' and/or 'vehicles'", path=str(p)
        )
    unknown = set(doc) - {"default", "vehicles"}
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {sorted(unknown)} (expected default, vehicles)", path=str(p)
        )
    out: dict[str, CameraModel] = {}
    base: dict[str, Any] = {}
    if doc.get("default") is not None:
        if not isinstance(doc["default"], dict):
            raise ConfigError(f"{p}: 'default' must be a mapping")
        base = dict(doc["default"])
        out["default"] = _camera_from_mapping(base, None, f"{p}: default")
    vehicles = doc.get("vehicles") or {}
    if not isinstance(vehicles, dict):
        raise ConfigError(f"{p}: 'vehicles' must map vehicle ids to cameras")
    for vid, data in vehicles.items():
        out[str(vid)] = _camera_from_mapping(data, base, f"{p}: vehicles.{vid}")
    if not out:
        raise ConfigError("camera config defines no camera", path=str(p))
    return out


def load_camera_config(path: str | Path | None, vehicle_id: str | None = None) -> CameraModel:
    """The camera of ``vehicle_id`` from a YAML config, or its ``default``.

    A vehicle not listed gets the default; with no default that is a :class:`ConfigError`.
    ``path=None`` (no config given) returns :data:`DEFAULT_CAMERA`, with a warning.
    """
    if path is None:
        log.warning(
            "no camera config given: using the default camera (%.1f m high, pitch %.0f deg down, "
            "hfov %.0f deg); pass a camera YAML for real vehicles",
            DEFAULT_CAMERA.mount_height_m,
            DEFAULT_CAMERA.pitch_deg,
            DEFAULT_CAMERA.hfov_deg,
        )
        return DEFAULT_CAMERA
    cams = load_camera_configs(path)
    if vehicle_id is not None and str(vehicle_id) in cams:
        return cams[str(vehicle_id)]
    if "default" in cams:
        return cams["default"]
    if vehicle_id is None and len(cams) == 1:
        return next(iter(cams.values()))
    raise ConfigError(f"no camera for vehicle {vehicle_id!r} and no default", path=str(path))
