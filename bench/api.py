"""API benchmark at county scale: seed N synthetic defects, serve, load it on loopback.

    python bench/api.py --defects 1000000 --database postgis|spatialite [--workers 1,2]
        [--duration-s 8] [--max-requests 400] [--keep]

Seeds the synthetic county of ``bench/county.py`` (36 Kent/Medway towns; nothing
real) into a new database (a SpatiaLite file under a temporary folder, or a new
database ``roadcam_bench_<pid>`` on the PostGIS server at ROADCAM_BENCH_POSTGIS_URL or
ROADCAM_TEST_POSTGIS_URL, dropped afterwards), prints the plan of a 1 km box (EXPLAIN)
and the in-process old/new A/B of bench/api_ab.py, then starts ``roadcam serve --workers
N`` on 127.0.0.1 (for each N of ``--workers``), and for 1 and 8 clients (threads, each with its own keep-alive httpx
client) sends each request kind for at most ``--duration-s`` seconds or
``--max-requests`` requests. Prints p50/p95/p99 and requests/s, and the load average
(the machine may be shared: figures are then pessimistic). Writes
``bench/results/api_<database>.json``. The last line is
``api: bbox1km p95 X ms at 8 clients (<database>)``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.county import (  # noqa: E402
    COUNTY_BBOX,
    MAP_ZOOM,
    box_around,
    make_county,
    random_place,
    seed_postgis,
    seed_spatialite,
    tile_of,
)

RESULTS = REPO / "bench" / "results"
KINDS = ("bbox1km", "bbox10km", "defect", "tile_z10", "tile_z16", "map_first_load")
MAP_FILES = ("/", "/static/map.css", "/static/node_modules/leaflet/dist/leaflet.css",
             "/static/node_modules/leaflet/dist/leaflet.js", "/static/auth.js",
             "/static/history.js", "/static/scale_layer.js", "/static/map.js",
             "/static/map-segments.js", "/static/map-tools.js")  # fmt: skip
OPEN_WORK = "status=open&status=repair_claimed&status=still_present"
ALL_CLASSES = "class=pothole&class=crack&class=faded_marking&class=skip"


def request_paths(kind: str, rng: random.Random, n_defects: int) -> list[str]:
    """The paths one 'request' of ``kind`` fetches (several for the map's first load)."""
    lon, lat = random_place(rng)
    if kind == "bbox1km":
        return [f"/defects?bbox={box_around(lon, lat, 500)}"]
    if kind == "bbox10km":
        return [f"/defects?bbox={box_around(lon, lat, 5000)}"]
    if kind == "defect":
        return [f"/defects/{rng.randint(1, n_defects)}"]
    if kind in ("tile_z10", "tile_z16"):
        z = 10 if kind == "tile_z10" else 16
        x, y = tile_of(lon, lat, z)
        return [f"/tiles/defects/{z}/{x}/{y}.mvt"]
    x1, y2 = tile_of(COUNTY_BBOX[0], COUNTY_BBOX[1], MAP_ZOOM)
    x2, y1 = tile_of(COUNTY_BBOX[2], COUNTY_BBOX[3], MAP_ZOOM)
    # what api/static/map.js fetches at county scale: the network's extent (no segment list
    # below zoom 14), the count of matching defects, then the tiles on screen
    first = ["/map/config", "/segments/summary", f"/defects?{ALL_CLASSES}&{OPEN_WORK}&limit=1"]
    tiles = [f"/tiles/defects/{MAP_ZOOM}/{x}/{y}.json?{ALL_CLASSES}&{OPEN_WORK}"
             for x in range(x1, x2 + 1) for y in range(y1, y2 + 1)]  # fmt: skip
    return [*MAP_FILES, *first, *tiles]


def _fetch_all(client, base: str, paths: list[str], pool: ThreadPoolExecutor | None) -> None:
    def get(p: str) -> None:
        r = client.get(base + p)
        if r.status_code != 200:
            raise RuntimeError(f"{p}: {r.status_code} {r.text[:200]}")

    if pool is None or len(paths) == 1:
        for p in paths:
            get(p)
    else:  # a browser's six connections
        list(pool.map(get, paths))


def run_load(base: str, kind: str, clients: int, duration_s: float, max_requests: int, n: int):
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_client = max(1, max_requests // clients)

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        limits = httpx.Limits(max_connections=6)
        pool = ThreadPoolExecutor(6) if kind == "map_first_load" else None
        with httpx.Client(timeout=60, limits=limits) as client:
            stop_at = time.perf_counter() + duration_s
            for k in range(per_client + 1):  # the first one warms the connection, not counted
                if k and time.perf_counter() >= stop_at:
                    break
                paths = request_paths(kind, rng, n)
                t0 = time.perf_counter()
                try:
                    _fetch_all(client, base, paths, pool)
                except (httpx.HTTPError, RuntimeError) as err:  # a timeout is a result too
                    with lock:
                        errors.append(f"{type(err).__name__}: {err}"[:200])
                    continue
                if k == 0:
                    stop_at = time.perf_counter() + duration_s
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)
        if pool:
            pool.shutdown()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(client_loop, range(clients)))
    wall = time.perf_counter() - t0
    ms = np.array(latencies or [float("nan")]) * 1000
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "requests_per_s": round(len(ms) / wall, 1),
        "loadavg_1m": os.getloadavg()[0],
    }


def _pg_admin_url() -> str:
    url = os.environ.get("ROADCAM_BENCH_POSTGIS_URL") or os.environ.get("ROADCAM_TEST_POSTGIS_URL")
    if not url:
        sys.exit("bench/api.py: set ROADCAM_BENCH_POSTGIS_URL (or ROADCAM_TEST_POSTGIS_URL)")
    return url


def _pg_admin(sql: str) -> None:
    from sqlalchemy import text

    from store.engine import make_engine

    admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def make_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A new empty database URL (and the PostgreSQL database name to drop after)."""
    if kind == "spatialite":
        return f"sqlite:///{tmp / 'county.sqlite'}", None
    from sqlalchemy.engine import make_url

    name = f"roadcam_bench_{os.getpid()}_{secrets.token_hex(3)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(_pg_admin_url()).set(database=name)
    return url.render_as_string(hide_password=False), name


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    # the bench reads as the public may where the council opens reads (no sign-in per request)
    env = {**os.environ, "PYTHONPATH": str(REPO), "ROADCAM_PUBLIC_READS": "true"}
    cmd = [sys.executable, "-m", "pipeline.cli", "serve", "--database", url,
           "--port", str(port), "--workers", str(workers)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            sys.exit(f"server failed: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.5)
    proc.kill()
    sys.exit("server did not answer /health within 120 s")


def load_all(args: argparse.Namespace, base: str, workers: int) -> dict[str, dict]:
    """Every request kind at every client count against the server at ``base``."""
    results: dict[str, dict] = {}
    for clients in (int(c) for c in args.clients.split(",")):
        for kind in KINDS:
            r = run_load(base, kind, clients, args.duration_s, args.max_requests, args.defects)
            results[f"{kind}@{clients}"] = r
            print(f"{kind:15s} {clients} clients {workers} workers: p50 {r['p50_ms']:7.1f}  "
                  f"p95 {r['p95_ms']:7.1f}  p99 {r['p99_ms']:7.1f} ms  {r['requests_per_s']:6.1f} req/s"
                  f"  ({r['requests']} requests, {r['errors']} errors, load {r['loadavg_1m']:.1f})", flush=True)  # fmt: skip
    return results


def _args_from_argv(argv: list[str] | None) -> argparse.Namespace:
    """The command line of ``bench/api.py`` (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--defects", type=int, default=1_000_000)
    p.add_argument("--database", choices=("spatialite", "postgis"), default="postgis")
    p.add_argument("--workers", default="2", help="uvicorn worker processes; 1,2 runs both")
    p.add_argument("--no-ab", action="store_true", help="skip the in-process old/new A/B")
    p.add_argument("--duration-s", type=float, default=8.0, help="per request kind and clients")
    p.add_argument("--max-requests", type=int, default=400, help="per request kind and clients")
    p.add_argument("--clients", default="1,8")
    p.add_argument("--port", type=int, default=18000 + os.getpid() % 1000)
    return p.parse_args(argv)


def _write_report(args, county: dict, seed_s: float, by_workers: dict, ab, plan) -> None:
    """``bench/results/api_<database>.json`` and the last line (bbox1km p95 at most clients)."""
    out = {
        "database": args.database,
        "defects": args.defects,
        "segments": int(len(county["seg_id"])),
        "network_km": round(float(county["seg_length_m"].sum()) / 1000, 1),
        "seed_s": round(seed_s, 1),
        "server_workers": [int(w) for w in args.workers.split(",")],
        "duration_s": args.duration_s,
        "max_requests": args.max_requests,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "note": "loopback; client threads share the CPUs with the server and the database",
        "results": by_workers[args.workers.split(",")[-1]],
        "results_by_workers": by_workers,
        "ab_same_database": ab,
        "explain_bbox1km": plan,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"api_{args.database}.json").write_text(json.dumps(out, indent=2) + "\n")
    top = max(int(c) for c in args.clients.split(","))
    p95 = out["results"][f"bbox1km@{top}"]["p95_ms"]
    print(f"api: bbox1km p95 {p95:.0f} ms at {top} clients ({args.database})")


def main(argv: list[str] | None = None) -> int:
    args = _args_from_argv(argv)
    from store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="roadcam_bench_"))
    url, pg_name = make_database(args.database, tmp)
    server = None
    try:
        upgrade(url)
        county = make_county(args.defects)
        seed = seed_postgis if args.database == "postgis" else seed_spatialite
        seed_s = seed(url, county)
        print(f"seeded {args.defects:,} defects on {len(county['seg_id']):,} segments "
              f"({county['seg_length_m'].sum() / 1000:,.0f} km) in {seed_s:.0f} s", flush=True)  # fmt: skip
        from bench.api_ab import explain_bbox, run_ab

        plan = explain_bbox(url)
        ab = None if args.no_ab else run_ab(url)
        by_workers: dict[str, dict] = {}
        for workers in (int(w) for w in args.workers.split(",")):
            server = serve(url, args.port, workers)
            by_workers[str(workers)] = load_all(args, f"http://127.0.0.1:{args.port}", workers)
            server.terminate()
            server.wait(timeout=30)
            server = None
        _write_report(args, county, seed_s, by_workers, ab, plan)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
