"""Pre-counted defects per map-grid cell, for low-zoom tiles at county scale.

A zoom-10 tile over Medway holds a quarter of a million defects; counting them on
every request took seconds. ``defect_grid`` holds, for a few grid levels, the
number of defects per cell × class × status and the sums of their lon and lat (so a
cell's point is the mean position of its defects). A cell of level ``L`` is the
Web-Mercator tile ``L``/cx/cy; the 8 × 8 cells of a tile at zoom ``z`` are the tiles
of zoom ``z + 3``, so a tile reads the level just at or above ``z + 3`` and adds
its cells up by integer division: a few thousand rows, not the defects.

**Kept right by the database.** Triggers on ``defect`` (insert, delete, and an
update that changes ``geom``, ``class_name`` or ``status``) add and subtract the row,
in the same transaction, whoever writes: the pipeline's store and merge, reviews
that correct a class, status changes, a bulk load. :func:`rebuild_defect_grid`
recounts everything (after a load with triggers off, or to repair); the tests
compare the grid with counting the defects themselves after every kind of write.
Rows whose count fell to 0 stay (``n = 0``) and are skipped when read.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The classes a tile or grid cell counts, one column each.
CLASSES = ("pothole", "crack", "faded_marking", "skip")

LEVELS = (13, 15, 17)  # cells of tiles at zoom <= 10, 11-12, 13-14
TABLE = "defect_grid"
KEY = "level, cx, cy, class_name, status"


def level_for_zoom(z: int) -> int:
    """The stored level whose cells add up to the 8 × 8 cells of a tile at zoom ``z``."""
    for level in LEVELS:
        if level >= z + 3:
            return level
    raise ValueError(f"zoom {z} is above the grid's levels (at most {LEVELS[-1] - 3})")


def cell_sql(geom: str, level: str) -> tuple[str, str]:
    """SQL for the cell (tile column, row) of point ``geom`` at grid ``level`` (both dialects)."""
    n = f"power(2.0, {level})"
    cx = f"CAST(floor((ST_X({geom}) + 180.0) / 360.0 * {n}) AS INTEGER)"
    merc = f"ln(tan(radians(45.0 + ST_Y({geom}) / 2.0)))"
    cy = f"CAST(floor((1.0 - {merc} / pi()) / 2.0 * {n}) AS INTEGER)"
    return cx, cy


def _levels_sql(pg: bool) -> str:
    if pg:
        return f"unnest(ARRAY[{', '.join(map(str, LEVELS))}]) AS lv(lv)"
    return "(" + " UNION ALL ".join(f"SELECT {v} AS lv" for v in LEVELS) + ")"


def _add_sql(pg: bool, row: str, sign: int) -> str:
    """INSERT … ON CONFLICT adding (sign = 1) or taking away (-1) defect ``row`` (NEW/OLD)."""
    cx, cy = cell_sql(f"{row}.geom", "lv")
    upd = ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in ("n", "sum_lon", "sum_lat"))
    return (
        f"INSERT INTO {TABLE} ({KEY}, n, sum_lon, sum_lat) "
        f"SELECT lv, {cx}, {cy}, {row}.class_name, {row}.status, {sign}, "
        f"{sign} * ST_X({row}.geom), {sign} * ST_Y({row}.geom) FROM {_levels_sql(pg)} "
        f"WHERE {row}.geom IS NOT NULL ON CONFLICT ({KEY}) DO UPDATE SET {upd}"
    )


_CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("geom", "class_name", "status")
)


def trigger_sql(pg: bool) -> list[str]:
    """Statements creating the triggers that keep ``defect_grid`` right (migration 0009)."""
    if pg:
        return [
            "CREATE OR REPLACE FUNCTION defect_grid_keep() RETURNS trigger AS $$\nBEGIN\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_add_sql(True, 'OLD', -1)}; END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'INSERT') THEN {_add_sql(True, 'NEW', 1)}; END IF;\n"
            "  RETURN NULL;\nEND $$ LANGUAGE plpgsql",
            "CREATE TRIGGER defect_grid_insert_delete AFTER INSERT OR DELETE ON defect "
            "FOR EACH ROW EXECUTE FUNCTION defect_grid_keep()",
            "CREATE TRIGGER defect_grid_update AFTER UPDATE OF geom, class_name, status "
            f"ON defect FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION defect_grid_keep()",
        ]
    changed = _CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER defect_grid_insert AFTER INSERT ON defect BEGIN "
        f"{_add_sql(False, 'NEW', 1)}; END",
        f"CREATE TRIGGER defect_grid_delete AFTER DELETE ON defect BEGIN "
        f"{_add_sql(False, 'OLD', -1)}; END",
        "CREATE TRIGGER defect_grid_update AFTER UPDATE OF geom, class_name, status ON defect "
        f"WHEN {changed} BEGIN {_add_sql(False, 'OLD', -1)}; {_add_sql(False, 'NEW', 1)}; END",
    ]


def drop_trigger_sql(pg: bool) -> list[str]:
    """Statements dropping what :func:`trigger_sql` created."""
    if pg:
        return [
            "DROP TRIGGER IF EXISTS defect_grid_insert_delete ON defect",
            "DROP TRIGGER IF EXISTS defect_grid_update ON defect",
            "DROP FUNCTION IF EXISTS defect_grid_keep()",
        ]
    return [f"DROP TRIGGER IF EXISTS defect_grid_{w}" for w in ("insert", "delete", "update")]


def rebuild_sql(pg: bool) -> list[str]:
    """Statements recounting ``defect_grid`` from the defects (for a bulk load's raw cursor)."""
    cx, cy = cell_sql("d.geom", "lv")
    return [
        f"DELETE FROM {TABLE}",
        f"INSERT INTO {TABLE} ({KEY}, n, sum_lon, sum_lat) "
        f"SELECT lv, cx, cy, class_name, status, count(*), sum(lon), sum(lat) FROM ("
        f"SELECT lv, {cx} AS cx, {cy} AS cy, d.class_name, d.status, ST_X(d.geom) AS lon, "
        f"ST_Y(d.geom) AS lat FROM defect d CROSS JOIN {_levels_sql(pg)} "
        "WHERE d.geom IS NOT NULL) c GROUP BY lv, cx, cy, class_name, status",
    ]


def rebuild_defect_grid(conn: Connection) -> None:
    """Recount ``defect_grid`` from the defects, in the caller's transaction."""
    for stmt in rebuild_sql(conn.dialect.name == "postgresql"):
        conn.execute(text(stmt))


def grid_cells_sql(z: int, x: int, y: int, classes: bool, statuses: bool) -> tuple[str, dict]:
    """SQL for the 8 × 8 cells of tile z/x/y from the grid: ``count``, mean ``lon``/``lat``
    and the count per class (columns named by class), only cells with defects.

    With ``classes``/``statuses`` the SQL filters on ``:classes``/``:statuses`` (expanding).
    """
    level = level_for_zoom(z)
    span = 2 ** (level - z)  # cells of this level across the tile
    div = 2 ** (level - z - 3)  # cells of this level in one of the tile's cells
    conds = ["g.level = :level", "g.cx BETWEEN :cx1 AND :cx2", "g.cy BETWEEN :cy1 AND :cy2"]
    conds.append("g.n > 0")
    if classes:
        conds.append("g.class_name IN :classes")
    if statuses:
        conds.append("g.status IN :statuses")
    by_class = ", ".join(
        f"sum(CASE WHEN g.class_name = '{c}' THEN g.n ELSE 0 END) AS {c}" for c in CLASSES
    )
    sql = (
        "SELECT sum(g.n) AS count, sum(g.sum_lon) / sum(g.n) AS lon, "
        f"sum(g.sum_lat) / sum(g.n) AS lat, {by_class} FROM {TABLE} g "
        f"WHERE {' AND '.join(conds)} GROUP BY g.cx / {div}, g.cy / {div}"
    )
    params = {
        "level": level,
        "cx1": x * span,
        "cx2": (x + 1) * span - 1,
        "cy1": y * span,
        "cy2": (y + 1) * span - 1,
    }
    return sql, params
