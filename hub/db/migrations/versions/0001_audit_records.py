"""Create the audit_records table.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("notification_id", sa.String(128), nullable=True),
        sa.Column("notification_type", sa.String(128), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("recipient", sa.String(64), nullable=True),
        sa.Column("rule_id", sa.String(64), nullable=True),
        sa.Column("protocol_version", sa.String(128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_records_action", "audit_records", ["action"])
    op.create_index("ix_audit_records_correlation_id", "audit_records", ["correlation_id"])
    op.create_index("ix_audit_records_notification_id", "audit_records", ["notification_id"])


def downgrade() -> None:
    op.drop_table("audit_records")
