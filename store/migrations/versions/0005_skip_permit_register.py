"""skip_permit: what councils' registers hold (street, company contact) and how the permit was placed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:30:00

A permit with no coordinates is placed by matching its street (or the street in its
address) to the network's segment names; ``street_key`` is that normalised name
(geo.network.street_names.street_key) and ``location_source`` says which way the
point was found: ``coordinates`` or ``street``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("street", sa.Text()),
    ("street_key", sa.String(length=200)),
    ("contact", sa.Text()),
    ("location_source", sa.String(length=20)),
    ("segment_id", sa.String(length=100)),
)


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on both databases (see 0002 for why not batch mode).
    for name, type_ in _COLUMNS:
        op.add_column("skip_permit", sa.Column(name, type_, nullable=True))
    op.create_index("ix_skip_permit_street_key", "skip_permit", ["street_key"])


def downgrade() -> None:
    op.drop_index("ix_skip_permit_street_key", table_name="skip_permit")
    for name, _type in reversed(_COLUMNS):
        op.drop_column("skip_permit", name)
