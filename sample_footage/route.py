"""The hand-made Gillingham network, the drive over it, and its GPS side-cars.

* :func:`network_features` – the road network (GeoJSON features, EPSG:4326).
  Roads are split at junctions, which share exactly the same coordinates.
* :func:`make_drive` – a refuse-truck drive along a route: a speed profile with
  collection stops, the true pose at every video frame, and 1 Hz GPS fixes with
  correlated noise and one short gap.
* :func:`write_gpx`, :func:`write_blackvue_nmea` – the side-cars.

All geometry work is in EPSG:27700 (metres); nothing is measured in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d
from shapely.geometry import LineString

from geo.crs import BNG, lonlat_from_xy, xy_from_lonlat

ORIGIN_LONLAT = (0.555, 51.386)

# Junction and shape nodes, metres east/north of ORIGIN_LONLAT (before rounding to 1e-7 deg).
_NODES = {
    "B0": (-650, -40),
    "B1": (-300, -10),
    "Bm": (-150, -8),
    "B2": (0, 0),
    "Bn": (150, 8),
    "B3": (300, 20),
    "Bo": (480, 38),
    "B4": (650, 60),
    "C0": (20, -420),
    "Cm": (10, -200),
    "Cx": (4, -100),
    "Cn": (-10, 220),
    "C3": (0, 420),
    "G1": (150, -203),
    "G2": (300, -205),
    "G3": (560, -215),
    "L1": (305, -90),
    "O1": (150, -300),
    "O2": (165, -335),
    "W1": (-520, -120),
    "H": (-750, -222),
    "H1": (-790, -262),
    "N1": (-300, 230),
}

# id, name, highway, ref, oneway, hierarchy, node sequence
_ROADS = [
    ("r01", "Canterbury Street", "secondary", "B2004", "no", "3b", ["B0", "B1"]),
    ("r02", "Canterbury Street", "secondary", "B2004", "no", "3b", ["B1", "Bm", "B2"]),
    ("r03", "Canterbury Street", "secondary", "B2004", "no", "3b", ["B2", "Bn", "B3"]),
    ("r04", "Canterbury Street", "secondary", "B2004", "no", "3b", ["B3", "Bo", "B4"]),
    ("r05", "Barnsole Road", "tertiary", "C123", "no", "4a", ["C0", "Cm"]),
    ("r06", "Barnsole Road", "tertiary", "C123", "no", "4a", ["Cm", "Cx", "B2"]),
    ("r07", "Barnsole Road", "tertiary", "C123", "no", "4a", ["B2", "Cn"]),
    ("r08", "Barnsole Road", "tertiary", "C123", "no", "4a", ["Cn", "C3"]),
    ("r09", "Gordon Road", "residential", "", "no", "4b", ["Cm", "G1"]),
    ("r10", "Gordon Road", "residential", "", "no", "4b", ["G1", "G2"]),
    ("r11", "Gordon Road", "residential", "", "no", "4b", ["G2", "G3"]),
    ("r12", "Livingstone Road", "residential", "", "no", "4b", ["B3", "L1", "G2"]),
    ("r13", "Oxford Close", "residential", "", "no", "4b", ["G1", "O1", "O2"]),
    ("r14", "Windmill Road", "unclassified", "", "no", "4b", ["B1", "W1"]),
    ("r15", "Windmill Road", "unclassified", "", "no", "4b", ["W1", "H"]),
    ("r16", "Hospital access road", "service", "", "no", "", ["H", "H1"]),
    ("r17", "Napier Road", "residential", "", "yes", "4b", ["Cn", "N1"]),
    ("r18", "Saxton Street", "residential", "", "no", "4b", ["N1", "B1"]),
]

#: The drive: (feature id, travel along its digitised direction?) in order.
DRIVE_ROUTE = [("r09", False), ("r06", True), ("r03", True), ("r12", True)]
#: Cruise speed (m/s) by highway for a refuse truck.
CRUISE_MPS = {
    "secondary": 11.0,
    "tertiary": 8.5,
    "residential": 7.5,
    "unclassified": 7.5,
    "service": 4.0,
}
LANE_OFFSET_M = 1.6  # keep left: the truck drives this far left of the centreline


def _node_lonlat() -> dict[str, tuple[float, float]]:
    ox, oy = xy_from_lonlat(ORIGIN_LONLAT[0], ORIGIN_LONLAT[1], BNG)
    out = {}
    for k, (dx, dy) in _NODES.items():
        lon, lat = lonlat_from_xy(ox + dx, oy + dy, BNG)
        out[k] = (round(float(lon), 7), round(float(lat), 7))
    return out


def network_features() -> list[dict]:
    """GeoJSON features of the sample network (EPSG:4326)."""
    ll = _node_lonlat()
    feats = []
    for rid, name, hw, ref, oneway, hier, nodes in _ROADS:
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "id": rid,
                    "name": name,
                    "highway": hw,
                    "ref": ref,
                    "oneway": oneway,
                    "hierarchy": hier,
                },
                "geometry": {"type": "LineString", "coordinates": [list(ll[n]) for n in nodes]},
            }
        )
    return feats


def metric_roads() -> dict[str, tuple[LineString, dict]]:
    """Each road feature as an EPSG:27700 LineString with its properties."""
    out = {}
    for f in network_features():
        c = np.array(f["geometry"]["coordinates"])
        x, y = xy_from_lonlat(c[:, 0], c[:, 1], BNG)
        out[f["properties"]["id"]] = (LineString(np.column_stack([x, y])), f["properties"])
    return out


@dataclass(frozen=True)
class Drive:
    """The true motion of the truck at each video frame, and the GPS it logged."""

    start: datetime  # UTC of the first video frame
    fps: float
    x: np.ndarray  # EPSG:27700, per frame
    y: np.ndarray
    heading_deg: np.ndarray
    speed_mps: np.ndarray
    chainage_m: np.ndarray  # along the route
    path: LineString  # driven line (EPSG:27700)
    route: LineString  # route centreline (EPSG:27700)
    gps_time: np.ndarray  # datetime64[ns] UTC, every second, including the gap
    gps_lon: np.ndarray  # noisy; NaN during the gap
    gps_lat: np.ndarray
    gps_speed_mps: np.ndarray
    gps_course_deg: np.ndarray
    gps_hdop: np.ndarray
    gps_sats: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.x)


def route_line(
    roads: dict[str, tuple[LineString, dict]], route=DRIVE_ROUTE
) -> tuple[LineString, list[tuple[float, float, str]]]:
    """The route centreline and the (start_m, end_m, highway) of each leg."""
    coords: list[tuple[float, float]] = []
    legs = []
    s = 0.0
    for rid, forward in route:
        line, props = roads[rid]
        c = list(line.coords) if forward else list(line.coords)[::-1]
        if coords and coords[-1] == c[0]:
            c = c[1:]
        coords.extend(c)
        legs.append((s, s + line.length, props["highway"]))
        s += line.length
    return LineString(coords), legs


def _smooth_path(
    route: LineString,
    sigma_m: float = 5.0,
    step_m: float = 0.5,
    lane_offset_m: float = LANE_OFFSET_M,
) -> LineString:
    n = int(route.length / step_m) + 1
    pts = np.array([route.interpolate(d).coords[0] for d in np.linspace(0, route.length, n)])
    sm = np.column_stack(
        [gaussian_filter1d(pts[:, k], sigma_m / step_m, mode="nearest") for k in range(2)]
    )
    return LineString(sm).offset_curve(lane_offset_m)


def speed_profile(
    length_m: float,
    legs,
    stops: list[tuple[float, float]],
    *,
    ds: float = 0.25,
    accel: float = 1.2,
    decel: float = 1.5,
    turn_mps: float = 4.0,
):
    """Speed (m/s) on a grid of chainages, with v=0 at the start, the end and each stop."""
    s = np.arange(0.0, length_m + ds, ds)
    vmax = np.full_like(s, 5.0)
    for a, b, hw in legs:
        vmax[(s >= a) & (s <= b)] = CRUISE_MPS.get(hw, 6.0)
    for a, _b, _hw in legs[1:]:  # slow for the turn at each junction
        vmax[np.abs(s - a) < 8.0] = np.minimum(vmax[np.abs(s - a) < 8.0], turn_mps)
    zero = [0.0, length_m] + [st for st, _ in stops]
    for z in zero:
        vmax[np.argmin(np.abs(s - z))] = 0.0
    v = vmax.copy()
    for i in range(1, len(s)):
        v[i] = min(v[i], math.sqrt(v[i - 1] ** 2 + 2 * accel * ds))
    for i in range(len(s) - 2, -1, -1):
        v[i] = min(v[i], math.sqrt(v[i + 1] ** 2 + 2 * decel * ds))
    return s, v


def make_drive(
    start: datetime,
    *,
    stops: list[tuple[float, float]],
    fps: float = 30.0,
    seed: int = 1,
    gap_s: tuple[float, float] = (0.0, 0.0),
    route=DRIVE_ROUTE,
    lead_s: float = 2.0,
    gps_noise_m: float = 1.8,
    end_m: float | None = None,
    lane_offset_m: float = LANE_OFFSET_M,
) -> Drive:
    """Simulate the drive: truth per frame and 1 Hz GPS with noise and a gap.

    Args:
        start: UTC of the first video frame (whole second).
        stops: (route chainage m, dwell s) collection stops.
        gap_s: video-time interval [a, b) in which GPS has no fix.
        lead_s: the truck waits this long at the start (engine idling) before moving.
        gps_noise_m: per-axis standard deviation of the AR(1) GPS error.
        end_m: stop the drive at this route chainage (default: the end of the route).
        lane_offset_m: how far left of the centreline the truck drives.
    """
    from shapely.ops import substring

    roads = metric_roads()
    route, legs = route_line(roads, route)
    path = _smooth_path(route, lane_offset_m=lane_offset_m)
    if end_m is not None and end_m < path.length:
        path = substring(path, 0.0, end_m)
    s, v = speed_profile(path.length, legs, stops)
    tt_a, ss_a = _time_chainage_from_speeds(s, v, stops, lead_s)
    duration = tt_a[-1]
    n = int(duration * fps)
    ft = np.arange(n) / fps
    fs = np.interp(ft, tt_a, ss_a)
    xy, heading = _points_headings_along(path, fs)
    speed = np.gradient(fs, 1.0 / fps)
    gps = _gps_fixes_from_motion(start, path, tt_a, ss_a, seed, gps_noise_m, gap_s)
    return Drive(start, fps, xy[:, 0], xy[:, 1], heading, speed, fs, path, route, *gps)


def _time_chainage_from_speeds(
    s: np.ndarray, v: np.ndarray, stops: list[tuple[float, float]], lead_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Video time (s) and chainage (m) at each grid chainage ``s`` driven at speeds ``v``:
    ``lead_s`` idling first, then the dwell at each stop (a repeated chainage)."""
    vm = np.maximum((v[1:] + v[:-1]) / 2, 0.05)
    t = np.concatenate([[0.0], np.cumsum(np.diff(s) / vm)])
    dwell = dict((float(np.argmin(np.abs(s - st))), d) for st, d in stops)
    offset = lead_s
    tt, ss = [0.0], [0.0]
    for i in range(len(s)):
        tt.append(t[i] + offset)
        ss.append(s[i])
        if float(i) in dwell:
            offset += dwell[float(i)]
            tt.append(t[i] + offset)
            ss.append(s[i])
    return np.array(tt), np.array(ss)


def _points_headings_along(path: LineString, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 2) at chainages ``d`` of ``path`` and the heading there (degrees clockwise
    from north, over 2 m)."""
    xy = np.array([path.interpolate(c).coords[0] for c in d])
    ahead = np.array([path.interpolate(min(c + 1.0, path.length)).coords[0] for c in d])
    behind = np.array([path.interpolate(max(c - 1.0, 0.0)).coords[0] for c in d])
    dxy = ahead - behind
    return xy, np.degrees(np.arctan2(dxy[:, 0], dxy[:, 1])) % 360.0


def _gps_fixes_from_motion(
    start: datetime,
    path: LineString,
    tt_a: np.ndarray,
    ss_a: np.ndarray,
    seed: int,
    gps_noise_m: float,
    gap_s: tuple[float, float],
) -> tuple[np.ndarray, ...]:
    """1 Hz GPS from 2 s before the video to 1 s after it: time, lon, lat (AR(1) noise, NaN
    in the gap), speed, course, HDOP and satellites - the gps_* fields of :class:`Drive`."""
    duration = tt_a[-1]
    rng = np.random.default_rng(seed)
    gt = np.arange(-2.0, math.floor(duration) + 2.0)
    gs = np.interp(np.clip(gt, 0, duration), tt_a, ss_a)
    gxy, g_head = _points_headings_along(path, gs)
    g_speed = np.abs(np.gradient(gs, 1.0))
    rho = 0.95
    err = np.zeros((len(gt), 2))
    err[0] = rng.normal(0, gps_noise_m, 2)
    for k in range(1, len(gt)):
        err[k] = rho * err[k - 1] + math.sqrt(1 - rho * rho) * rng.normal(0, gps_noise_m, 2)
    lon, lat = lonlat_from_xy(gxy[:, 0] + err[:, 0], gxy[:, 1] + err[:, 1], BNG)
    gap = (gt >= gap_s[0]) & (gt < gap_s[1])
    lon[gap] = np.nan
    lat[gap] = np.nan
    g_speed = np.maximum(g_speed + rng.normal(0, 0.08, len(gt)), 0.0)
    course = (g_head + rng.normal(0, 0.8, len(gt))) % 360.0
    hdop = np.round(rng.uniform(0.8, 1.3, len(gt)), 1)
    sats = rng.integers(8, 12, len(gt))
    t0 = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "ns")
    gps_time = t0 + (gt * 1e9).astype("timedelta64[ns]")
    return gps_time, lon, lat, g_speed, course, hdop, sats


# -- side-cars --------------------------------------------------------------------------
def nmea_checksum(body: str) -> str:
    """XOR of the characters between ``$`` and ``*``, two upper-case hex digits."""
    c = 0
    for ch in body.encode("ascii"):
        c ^= ch
    return f"{c:02X}"


def _dm(value: float, deg_digits: int) -> str:
    a = abs(value)
    d = int(a)
    m = (a - d) * 60.0
    return f"{d:0{deg_digits}d}{m:08.5f}"


def nmea_sentences(
    t: datetime, lon: float, lat: float, speed_mps: float, course_deg: float, hdop: float, sats: int
) -> list[str]:
    """``$GPRMC`` and ``$GPGGA`` for one epoch (status V / quality 0 when lon is NaN)."""
    hms = t.strftime("%H%M%S") + f".{t.microsecond // 10000:02d}"
    dmy = t.strftime("%d%m%y")
    if math.isnan(lon):
        rmc = f"GPRMC,{hms},V,,,,,,,{dmy},,,N"
        gga = f"GPGGA,{hms},,,,,0,00,99.9,,M,,M,,"
    else:
        la, ns = _dm(lat, 2), "N" if lat >= 0 else "S"
        lo, ew = _dm(lon, 3), "E" if lon >= 0 else "W"
        kn = speed_mps / (1852.0 / 3600.0)
        rmc = f"GPRMC,{hms},A,{la},{ns},{lo},{ew},{kn:.3f},{course_deg:.2f},{dmy},,,A"
        gga = f"GPGGA,{hms},{la},{ns},{lo},{ew},1,{sats:02d},{hdop:.1f},38.2,M,45.9,M,,"
    return [f"${b}*{nmea_checksum(b)}" for b in (rmc, gga)]


def _dt(t64: np.datetime64) -> datetime:
    ns = int(t64.astype("datetime64[ns]").astype("int64"))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)


def write_blackvue_nmea(drive: Drive, path: str | Path, *, latency_ms: int = 240) -> Path:
    """BlackVue-style ``.gps``: ``[unix_ms]$GPRMC...`` and ``[unix_ms]$GPGGA...`` lines, 1 Hz.

    The prefix is the camera clock when the sentence arrived: GPS time plus a fixed latency.
    """
    lines = []
    for k in range(len(drive.gps_time)):
        t = _dt(drive.gps_time[k])
        ms = int(drive.gps_time[k].astype("datetime64[ms]").astype("int64")) + latency_ms
        for sent in nmea_sentences(
            t,
            drive.gps_lon[k],
            drive.gps_lat[k],
            drive.gps_speed_mps[k],
            drive.gps_course_deg[k],
            drive.gps_hdop[k],
            int(drive.gps_sats[k]),
        ):
            lines.append(f"[{ms}]{sent}")
    p = Path(path)
    p.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")
    return p


def write_gpx(drive: Drive, path: str | Path, *, name: str = "drive1") -> Path:
    """GPX 1.1 track of the valid fixes (the gap has no points)."""
    from xml.sax.saxutils import escape

    pts = []
    for k in range(len(drive.gps_time)):
        if math.isnan(drive.gps_lon[k]):
            continue
        t = _dt(drive.gps_time[k]).strftime("%Y-%m-%dT%H:%M:%SZ")
        pts.append(
            f'      <trkpt lat="{drive.gps_lat[k]:.7f}" lon="{drive.gps_lon[k]:.7f}">'
            f"<ele>38.2</ele><time>{t}</time><fix>3d</fix><sat>{int(drive.gps_sats[k])}</sat>"
            f"<hdop>{drive.gps_hdop[k]:.1f}</hdop></trkpt>"
        )
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="roadcam sample_footage/make_sample.py" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"  <metadata><name>{escape(name)}</name><desc>Synthetic drive; see sample_footage/README.md</desc></metadata>\n"
        f"  <trk><name>{escape(name)}</name><trkseg>\n"
        + "\n".join(pts)
        + "\n  </trkseg></trk>\n</gpx>\n"
    )
    p = Path(path)
    p.write_text(doc, encoding="utf-8")
    return p
