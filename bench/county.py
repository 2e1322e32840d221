"""A synthetic county for the API benchmark: street grids around 36 real Kent and Medway
towns, and N defects on them (seeded, reproducible). Nothing here is real data.

Each town is a slightly rotated street grid (150 m blocks) clipped to a circle of
its rough built-up radius; streets are cut at every junction, so segments are
~150 m. Defects fall on segments in proportion to length (urban streets carry
most), 0-3 m off the centreline, with a class, status and dates mix like a
council's register after a few years (65 % open).

Seeding is bulk: COPY on PostGIS (spatial index built after), executemany on
SpatiaLite.
"""

from __future__ import annotations

import io
import math
import random
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from store.defect_grid import drop_trigger_sql, rebuild_sql, trigger_sql

# name, lon, lat, built-up radius in km (rough, from the OS town outlines' scale)
TOWNS = [
    ("Chatham", 0.527, 51.378, 2.5), ("Rochester", 0.505, 51.388, 2.0),
    ("Gillingham", 0.549, 51.386, 2.5), ("Strood", 0.480, 51.396, 1.8),
    ("Rainham", 0.610, 51.363, 1.8), ("Hoo", 0.560, 51.420, 1.0),
    ("Maidstone", 0.522, 51.272, 3.5), ("Canterbury", 1.080, 51.280, 2.8),
    ("Ashford", 0.872, 51.146, 3.0), ("Folkestone", 1.166, 51.081, 2.5),
    ("Dover", 1.311, 51.127, 2.2), ("Margate", 1.386, 51.389, 2.0),
    ("Ramsgate", 1.416, 51.335, 2.0), ("Broadstairs", 1.440, 51.359, 1.5),
    ("Herne Bay", 1.128, 51.372, 2.0), ("Whitstable", 1.026, 51.360, 1.8),
    ("Faversham", 0.891, 51.316, 1.5), ("Sittingbourne", 0.735, 51.340, 2.5),
    ("Sheerness", 0.762, 51.440, 1.8), ("Gravesend", 0.370, 51.441, 2.5),
    ("Dartford", 0.218, 51.446, 2.5), ("Swanley", 0.173, 51.397, 1.5),
    ("Sevenoaks", 0.190, 51.272, 1.8), ("Tonbridge", 0.274, 51.195, 2.0),
    ("Tunbridge Wells", 0.263, 51.132, 2.5), ("West Malling", 0.409, 51.295, 1.2),
    ("Snodland", 0.443, 51.330, 1.2), ("Aylesford", 0.478, 51.303, 1.5),
    ("Deal", 1.403, 51.223, 1.8), ("Sandwich", 1.339, 51.274, 1.0),
    ("Hythe", 1.083, 51.072, 1.5), ("New Romney", 0.941, 50.985, 1.0),
    ("Tenterden", 0.687, 51.069, 1.0), ("Cranbrook", 0.536, 51.097, 0.8),
    ("Edenbridge", 0.065, 51.197, 1.0), ("Paddock Wood", 0.390, 51.177, 1.0),
]  # fmt: skip
BLOCK_M = 150.0
CLASSES = ("pothole", "crack", "faded_marking", "skip")
CLASS_P = (0.45, 0.35, 0.15, 0.05)
STATUSES = ("open", "closed", "verified_repaired", "repair_claimed", "still_present")
STATUS_P = (0.65, 0.20, 0.08, 0.04, 0.03)
T_END = datetime(2026, 11, 1, tzinfo=UTC)

COUNTY_BBOX = (0.0, 50.95, 1.5, 51.5)
MAP_ZOOM = 9  # the whole county on a laptop screen


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.log(math.tan(math.radians(45 + lat / 2))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def box_around(lon: float, lat: float, half_m: float) -> str:
    dlon = half_m / (111_320 * math.cos(math.radians(lat)))
    dlat = half_m / 110_540
    return f"{lon - dlon:.6f},{lat - dlat:.6f},{lon + dlon:.6f},{lat + dlat:.6f}"


def random_place(rng: random.Random) -> tuple[float, float]:
    """A point in a random town, within its built-up radius (where the defects are)."""
    _, lon, lat, r_km = rng.choice(TOWNS)
    a, d = rng.uniform(0, 2 * math.pi), r_km * 1000 * math.sqrt(rng.uniform(0, 1)) * 0.7
    return (lon + d * math.cos(a) / (111_320 * math.cos(math.radians(lat))),
            lat + d * math.sin(a) / 110_540)  # fmt: skip


def _m_per_deg(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_540.0


def town_segments(rng: np.random.Generator, lon: float, lat: float, radius_km: float):
    """Segments of one town as arrays (lon1, lat1, lon2, lat2, length_m)."""
    r = radius_km * 1000.0
    k = np.arange(-r, r + 1, BLOCK_M)
    theta = rng.uniform(0, math.pi / 2)
    c, s = math.cos(theta), math.sin(theta)
    out = []
    for horizontal in (True, False):
        a, b = np.meshgrid(k, k[:-1], indexing="ij")  # a: the street, b: along it
        x1, y1 = (b, a) if horizontal else (a, b)
        x2, y2 = (b + BLOCK_M, a) if horizontal else (a, b + BLOCK_M)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        keep = mx**2 + my**2 <= r**2
        out.append([v[keep] for v in (x1, y1, x2, y2)])
    x1, y1, x2, y2 = (np.concatenate([o[i] for o in out]) for i in range(4))
    mlon, mlat = _m_per_deg(lat)
    rot = lambda x, y: (lon + (c * x - s * y) / mlon, lat + (s * x + c * y) / mlat)  # noqa: E731
    lon1, lat1 = rot(x1, y1)
    lon2, lat2 = rot(x2, y2)
    return lon1, lat1, lon2, lat2, np.full(len(lon1), BLOCK_M)


def make_county(n_defects: int, seed: int = 16) -> dict[str, np.ndarray]:
    """Segments and defects as numpy arrays (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    parts = [town_segments(rng, lon, lat, r) for _, lon, lat, r in TOWNS]
    seg = {k: np.concatenate([p[i] for p in parts]) for i, k in enumerate(("lon1", "lat1", "lon2", "lat2", "length_m"))}  # fmt: skip
    n_seg = len(seg["lon1"])
    # sorted: a council's defects arrive survey by survey, so neighbours are stored together
    which = np.sort(rng.integers(0, n_seg, n_defects))
    t = rng.uniform(0, 1, n_defects)
    jitter = rng.normal(0, 1.5e-5, (2, n_defects))  # ~1-2 m
    lon = seg["lon1"][which] + t * (seg["lon2"][which] - seg["lon1"][which]) + jitter[0]
    lat = seg["lat1"][which] + t * (seg["lat2"][which] - seg["lat1"][which]) + jitter[1]
    age_days = rng.uniform(0, 3 * 365, n_defects)
    seen_days = age_days * rng.uniform(0, 1, n_defects)
    return {
        **{f"seg_{k}": v for k, v in seg.items()},
        "seg_id": np.array([f"k{i}" for i in range(n_seg)]),
        "lon": lon,
        "lat": lat,
        "segment": which,
        "chainage_m": t * BLOCK_M,
        "cls": rng.choice(len(CLASSES), n_defects, p=CLASS_P),
        "status": rng.choice(len(STATUSES), n_defects, p=STATUS_P),
        "first_days": age_days,
        "last_days": seen_days,
        "sightings": rng.integers(1, 12, n_defects),
        "conf": rng.uniform(0.3, 0.95, n_defects),
        "width": rng.uniform(0.05, 1.2, n_defects),
    }


def _when(days: float) -> datetime:
    return T_END - timedelta(days=float(days))


def _defect_rows(c: dict[str, np.ndarray], sqlite: bool):
    fmt = "%Y-%m-%d %H:%M:%S.000000"
    now = T_END.strftime(fmt) if sqlite else T_END.isoformat()
    for i in range(len(c["lon"])):
        first, last = _when(c["first_days"][i]), _when(c["last_days"][i])
        yield (
            CLASSES[c["cls"][i]],
            float(c["lon"][i]),
            float(c["lat"][i]),
            str(c["seg_id"][c["segment"][i]]),
            float(c["chainage_m"][i]),
            first.strftime(fmt) if sqlite else first.isoformat(),
            last.strftime(fmt) if sqlite else last.isoformat(),
            int(c["sightings"][i]),
            float(c["width"][i]),
            float(c["conf"][i]),
            f"synthetic.mp4#{i}",
            STATUSES[c["status"][i]],
            now,
        )


_DEFECT_COLS = (
    "class_name, segment_id, chainage_m, first_seen, last_seen, sightings, max_width_m, "
    "best_confidence, best_frame_ref, status, created_at, updated_at, geom"
)


def seed_postgis(url: str, c: dict[str, np.ndarray]) -> float:
    """COPY the county into a migrated PostGIS database; returns seconds."""
    import psycopg
    from sqlalchemy.engine import make_url

    t0 = time.perf_counter()
    u = make_url(url)
    dsn = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    with psycopg.connect(dsn, autocommit=False) as conn, conn.cursor() as cur:
        for stmt in drop_trigger_sql(pg=True):  # bulk load: recount the grid once at the end
            cur.execute(stmt)
        cur.execute("DROP INDEX IF EXISTS idx_defect_geom")
        cur.execute("DROP INDEX IF EXISTS idx_road_segment_geom")
        buf = io.StringIO()
        lon1, lat1, lon2, lat2 = (
            c[k].tolist() for k in ("seg_lon1", "seg_lat1", "seg_lon2", "seg_lat2")
        )
        for i in range(len(c["seg_id"])):
            buf.write(
                f"{c['seg_id'][i]}\t{i}\t\t\tresidential\tresidential\tf\t\t\t{c['seg_length_m'][i]}\t"
                f"SRID=4326;LINESTRING({lon1[i]!r} {lat1[i]!r},{lon2[i]!r} {lat2[i]!r})"
                f"\t{T_END.isoformat()}\n"
            )
        with cur.copy(
            "COPY road_segment (id, source_id, name, ref, highway, road_class, oneway, u, v, "
            "length_m, geom, updated_at) "
            "FROM STDIN"
        ) as cp:
            cp.write(buf.getvalue())
        with cur.copy(f"COPY defect ({_DEFECT_COLS}) FROM STDIN") as cp:
            chunk = io.StringIO()
            for k, r in enumerate(_defect_rows(c, sqlite=False)):
                cls, lon, lat, *rest = r
                chunk.write("\t".join(map(str, (cls, *rest, rest[-1]))))
                chunk.write(f"\tSRID=4326;POINT({lon!r} {lat!r})\n")
                if k % 100_000 == 99_999:
                    cp.write(chunk.getvalue())
                    chunk = io.StringIO()
            cp.write(chunk.getvalue())
        cur.execute("CREATE INDEX idx_defect_geom ON defect USING gist (geom)")
        cur.execute("CREATE INDEX idx_road_segment_geom ON road_segment USING gist (geom)")
        for stmt in [*trigger_sql(pg=True), *rebuild_sql(pg=True)]:
            cur.execute(stmt)
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE defect")
        conn.execute("VACUUM ANALYZE road_segment")
    return time.perf_counter() - t0


def seed_spatialite(url: str, c: dict[str, np.ndarray]) -> float:
    """executemany the county into a migrated SpatiaLite file; returns seconds."""
    from store.engine import make_engine

    t0 = time.perf_counter()
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        for stmt in drop_trigger_sql(pg=False):  # bulk load: recount the grid once at the end
            cur.execute(stmt)
        cur.executemany(
            "INSERT INTO road_segment (id, source_id, name, ref, highway, road_class, oneway, u, v,"
            " length_m, geom, updated_at) VALUES (?, ?, '', '', 'residential', 'residential', 0,"
            " '', '', ?, MakeLine(MakePoint(?, ?, 4326), MakePoint(?, ?, 4326)), ?)",
            (
                (str(c["seg_id"][i]), str(i), float(c["seg_length_m"][i]),
                 float(c["seg_lon1"][i]), float(c["seg_lat1"][i]),
                 float(c["seg_lon2"][i]), float(c["seg_lat2"][i]), "2026-11-01 00:00:00.000000")
                for i in range(len(c["seg_id"]))
            ),
        )  # fmt: skip
        cur.executemany(
            f"INSERT INTO defect ({_DEFECT_COLS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, MakePoint(?, ?, 4326))",
            ((*r[:1], *r[3:], r[12], r[1], r[2]) for r in _defect_rows(c, sqlite=True)),
        )
        for stmt in [*trigger_sql(pg=False), *rebuild_sql(pg=False)]:
            cur.execute(stmt)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - t0
