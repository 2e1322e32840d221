"""marking_wear_run: the dashed line's repeat length and phase, the datum later drives align to

Adds ``dash_period_m`` and ``dash_phase_m`` (nullable) to ``marking_wear_run``: on the runs of the
dashed line a survey's stretch of a segment was registered by, its repeat length and where its
dashes fall (chainage modulo the period). A later survey of the segment is slid along the road
onto the earliest one's dashes (``store.markings.reference_dashes``, docs/markings.md). Rows
stored before have none; the downgrade drops both columns.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("marking_wear_run", sa.Column("dash_period_m", sa.Float(), nullable=True))
    op.add_column("marking_wear_run", sa.Column("dash_phase_m", sa.Float(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table
    # would rename a spatial table, which SpatiaLite refuses
    for column in ("dash_phase_m", "dash_period_m"):
        op.execute(f"ALTER TABLE marking_wear_run DROP COLUMN {column}")
