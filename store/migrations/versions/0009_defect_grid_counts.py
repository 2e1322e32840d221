"""defect_grid: defects counted per map-grid cell × class × status, kept by triggers (issue 16)

Creates ``defect_grid`` and the triggers on ``defect`` that keep it right
(``store.defect_grid``), and fills it from the stored defects. Low-zoom tiles read it
instead of counting every defect in the tile. The downgrade drops both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from store.defect_grid import rebuild_defect_grid, trigger_sql

    op.create_table(
        "defect_grid",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("cx", sa.Integer(), nullable=False),
        sa.Column("cy", sa.Integer(), nullable=False),
        sa.Column("class_name", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_lon", sa.Float(), nullable=False),
        sa.Column("sum_lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("level", "cx", "cy", "class_name", "status"),
    )
    conn = op.get_bind()
    for stmt in trigger_sql(conn.dialect.name == "postgresql"):
        conn.exec_driver_sql(stmt)
    rebuild_defect_grid(conn)


def downgrade() -> None:
    from store.defect_grid import drop_trigger_sql

    conn = op.get_bind()
    for stmt in drop_trigger_sql(conn.dialect.name == "postgresql"):
        conn.exec_driver_sql(stmt)
    op.drop_table("defect_grid")
