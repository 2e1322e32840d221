"""road_segment.hierarchy_reasons: the review's reasons, kept with the recommendation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both: SQLite (>= 3.35) adds and drops a simple column in place, which
    # avoids batch mode's table copy (SpatiaLite's RenameTable trips over the foreign keys).
    op.add_column("road_segment", sa.Column("hierarchy_reasons", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("road_segment", "hierarchy_reasons")
