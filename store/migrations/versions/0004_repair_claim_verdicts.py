"""repair_claim: the machine's verdict (a proposal) and the inspector's decision, by whom and why

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("verdict", sa.String(length=30)),
    ("verdict_reason", sa.Text()),
    ("verdict_survey_id", sa.Integer()),
    ("verdict_at", sa.DateTime(timezone=True)),
    ("decided_by", sa.String(length=200)),
    ("decision_reason", sa.Text()),
    ("decided_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on both databases (as 0002): no batch-mode table copy.
    for name, type_ in COLUMNS:
        op.add_column("repair_claim", sa.Column(name, type_, nullable=True))
    op.create_index("ix_repair_claim_contractor", "repair_claim", ["contractor"])


def downgrade() -> None:
    op.drop_index("ix_repair_claim_contractor", table_name="repair_claim")
    for name, _type in reversed(COLUMNS):
        op.drop_column("repair_claim", name)
