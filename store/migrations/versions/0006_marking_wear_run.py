"""marking_wear_run: measured wear of painted lines per 10 m run of a segment (issue 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import (
    Geometry,
    alembic_helpers,  # noqa: F401  (registers the geospatial operations)
)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table(
        "marking_wear_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.String(length=100), nullable=False),
        sa.Column("line_offset_m", sa.Float(), nullable=False),
        sa.Column("line_kind", sa.String(length=30), nullable=False),
        sa.Column("marking_type", sa.String(length=30), nullable=False),
        sa.Column("run_index", sa.Integer(), nullable=False),
        sa.Column("start_m", sa.Float(), nullable=False),
        sa.Column("end_m", sa.Float(), nullable=False),
        sa.Column("wear", sa.Float(), nullable=False),
        sa.Column("paint_width_m", sa.Float(), nullable=False),
        sa.Column("reference_width_m", sa.Float(), nullable=False),
        sa.Column("covered_m", sa.Float(), nullable=False),
        sa.Column("frames", sa.JSON(), nullable=True),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("marking_wear_run", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_marking_wear_run_geom",
            ["geom"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(
            batch_op.f("ix_marking_wear_run_segment_id"), ["segment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_marking_wear_run_survey_id"), ["survey_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("marking_wear_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marking_wear_run_survey_id"))
        batch_op.drop_index(batch_op.f("ix_marking_wear_run_segment_id"))
        batch_op.drop_geospatial_index(
            "idx_marking_wear_run_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("marking_wear_run")
