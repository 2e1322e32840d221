"""Cleaning rules (issue 11): what is dropped or merged, why, and what is left alone."""

from __future__ import annotations

import numpy as np
import pytest

from geo.ingest.gps import read_track
from geo.ingest.track_clean import COUNT_REASONS, track_from_fixes


def _times(*seconds: float) -> np.ndarray:
    base = np.datetime64("2024-05-01T10:00:00", "ns")
    return np.array([base + np.timedelta64(int(s * 1e9), "ns") for s in seconds])


def _line(n: int, start_s: float = 0.0, lat0: float = 51.4):
    """n fixes one second apart, 11 m apart due north (40 km/h)."""
    return _times(*(start_s + i for i in range(n))), [0.5] * n, [lat0 + i * 1e-4 for i in range(n)]


def test_same_time_near_fixes_merged_far_ones_keep_the_first():
    t = track_from_fixes(
        _times(0, 1, 1, 2, 2),
        [0.5, 0.5, 0.50005, 0.5, 0.9],  # at 2 s a second "track" 28 km away
        [51.4, 51.4001, 51.4001, 51.4002, 51.4002],
    )
    assert len(t) == 3 and t.lon[2] == 0.5
    assert t.lon[1] == pytest.approx(0.500025)
    assert t.ingest_counts == {"merged_same_time": 1, "dropped_conflicting_time": 1}
    assert t.merged_duplicates == 1


def test_trailing_glitch_run_after_a_drive_dropped_as_end():
    time, lon, lat = _line(8)
    time = np.append(time, _times(8, 9))
    lon, lat = lon + [0.6, 0.6001], lat + [51.4, 51.4]  # 7 km away for the last two seconds
    t = track_from_fixes(time, lon, lat)
    assert len(t) == 8 and t.ingest_counts == {"dropped_jump_end": 2}
    assert t.dropped_outliers == 2


def test_spike_between_agreeing_fixes_dropped():
    time, lon, lat = _line(6)
    lon[3] = 0.52  # 1.4 km east for one second
    t = track_from_fixes(time, lon, lat)
    assert len(t) == 5 and t.ingest_counts == {"dropped_jump_spike": 1}


@pytest.mark.parametrize("odd_lat", [52.4, 51.26])
def test_out_of_order_fix_is_the_one_dropped(odd_lat):
    # gpxpy's first_and_last_elevation: a last point stamped too early, far from its new
    # neighbours; 51.26 is reachable from the fix before it, not from the one after
    time = np.array([np.datetime64("2024-05-01T10:00:00", "ns") + np.timedelta64(600 * i, "s")
                     for i in range(10)])  # fmt: skip
    lat = [51.4 + i * 0.05 for i in range(10)]  # 5.6 km per 10 min
    time = np.append(time, np.datetime64("2024-05-01T10:05:00", "ns"))
    t = track_from_fixes(time, [0.5] * 11, lat + [odd_lat])
    assert len(t) == 10 and odd_lat not in t.lat
    assert t.ingest_counts == {"dropped_jump_spike": 1}


def test_few_far_apart_fixes_kept_as_they_are():
    # GPSBabel's simpletrack: two fixes 2,600 km and 10 s apart; nothing says which is wrong
    t = track_from_fixes(_times(0, 10), [-85.0, -115.0], [41.0, 36.0])
    assert len(t) == 2 and t.ingest_counts == {}


def test_out_of_range_coordinates_dropped_not_raised():
    t = track_from_fixes(_times(0, 1, 2), [0.5, 720.0, 0.5], [51.4, 51.4, 51.4001])
    assert len(t) == 2 and t.ingest_counts == {"dropped_out_of_range": 1}


def test_every_count_has_a_reason():
    assert all(k.split("_", 1)[0] in {"dropped", "merged", "skipped", "accepted", "read"}
               for k in COUNT_REASONS)  # fmt: skip
    assert all(COUNT_REASONS.values())


def test_gpx_route_points_have_no_jump_filter(tmp_path):
    f = tmp_path / "route.gpx"
    pts = [("2019-04-29T21:00:49Z", 0.5, 51.4), ("2019-04-29T21:00:50Z", 1.5, 52.4),
           ("2020-06-08T18:39:00Z", 0.6, 51.5)]  # fmt: skip
    body = "".join(f'<rtept lat="{la}" lon="{lo}"><time>{t}</time></rtept>' for t, lo, la in pts)
    f.write_text(f'<gpx version="1.1"><rte>{body}<rtept lat="1" lon="1"/></rte></gpx>')
    t = read_track(f)
    assert len(t) == 3
    assert t.ingest_counts == {"read_route_points": 3, "dropped_untimed": 1}


def test_gpx_bad_point_dropped_and_counted(tmp_path):
    f = tmp_path / "bad.gpx"
    f.write_text(
        '<gpx version="1.1"><trk><trkseg>'
        '<trkpt lat="51.4" lon="0.5"><time>2024-05-01T10:00:00Z</time></trkpt>'
        '<trkpt lat="north" lon="0.5"><time>2024-05-01T10:00:01Z</time></trkpt>'
        '<trkpt lat="51.4001" lon="0.5"><time>2024-05-01T10:00:02Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    )
    t = read_track(f)
    assert len(t) == 2 and t.ingest_counts == {"dropped_bad_point": 1}
