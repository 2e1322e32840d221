"""SpatiaLite and the geo wheels (pyproj's PROJ, pyogrio's GDAL) live in one process without heap corruption.

mod_spatialite links the system PROJ; when it loads first, a later geopandas CRS or
GeoPackage write used to abort the process at exit ("double free or corruption").
Run in a subprocess, since the failure kills the interpreter.
"""

import subprocess
import sys
import textwrap


def test_geopandas_and_gpkg_after_spatialite_do_not_crash(tmp_path):
    script = textwrap.dedent(f"""
        from sqlalchemy import text
        from store.engine import make_engine
        engine = make_engine("sqlite:///{tmp_path / "x.sqlite"}")
        with engine.connect() as conn:
            assert conn.execute(text("select spatialite_version()")).scalar()
        import geopandas as gpd
        import shapely
        frame = gpd.GeoDataFrame({{"a": [1]}}, geometry=[shapely.Point(0.55, 51.38)], crs="EPSG:4326")
        frame.to_crs(27700).to_file("{tmp_path / "x.gpkg"}", driver="GPKG")
        assert len(gpd.read_file("{tmp_path / "x.gpkg"}")) == 1
        engine.dispose()
        print("clean exit")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "clean exit"
