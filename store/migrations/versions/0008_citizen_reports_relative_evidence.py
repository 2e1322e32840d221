"""citizen_report (FixMyStreet / Open311 reports); evidence paths relative to the data folder

Creates ``citizen_report``. Converts ``frame.image_ref`` and ``defect.best_frame_ref`` values that
are absolute paths under the data folder (``ROADCAM_DATA_DIR``, default ``var/``) into paths
relative to it (``store.evidence_paths``); other values are left alone. The downgrade drops the
table and leaves the paths relative (the API reads both forms).

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry, alembic_helpers  # noqa: F401  (registers geospatial ops)

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def _relative_paths() -> None:
    from roadcam.settings import get_settings
    from store.evidence_paths import ref_from_path

    data_dir = get_settings().data_dir
    conn = op.get_bind()
    for table, col in (("frame", "image_ref"), ("defect", "best_frame_ref")):
        rows = conn.execute(
            sa.text(f"SELECT id, {col} FROM {table} WHERE {col} LIKE '/%'")
        ).fetchall()
        for row_id, ref in rows:
            new = ref_from_path(ref, data_dir)
            if new != ref:
                conn.execute(
                    sa.text(f"UPDATE {table} SET {col} = :ref WHERE id = :id"),
                    {"ref": new, "id": row_id},
                )


def upgrade() -> None:
    op.create_geospatial_table(
        "citizen_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_request_id", sa.String(length=100), nullable=False),
        sa.Column("service_code", sa.String(length=100), nullable=False),
        sa.Column("service_name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("report_status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("segment_id", sa.String(length=100), nullable=True),
        sa.Column("chainage_m", sa.Float(), nullable=True),
        sa.Column("distance_to_segment_m", sa.Float(), nullable=True),
        sa.Column("defect_id", sa.Integer(), nullable=True),
        sa.Column("defect_distance_m", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["defect_id"], ["defect.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_request_id"),
    )
    with op.batch_alter_table("citizen_report", schema=None) as batch_op:
        batch_op.create_geospatial_index(
            "idx_citizen_report_geom",
            ["geom"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
        batch_op.create_index(
            batch_op.f("ix_citizen_report_segment_id"), ["segment_id"], unique=False
        )
    _relative_paths()


def downgrade() -> None:
    with op.batch_alter_table("citizen_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_report_segment_id"))
        batch_op.drop_geospatial_index(
            "idx_citizen_report_geom", postgresql_using="gist", column_name="geom"
        )
    op.drop_geospatial_table("citizen_report")
