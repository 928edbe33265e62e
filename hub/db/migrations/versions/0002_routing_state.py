"""Routing state: processed notifications (de-duplication) and active out-of-area placements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_notifications",
        sa.Column("event_key", sa.String(64), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "subject_placements",
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("episode_key", sa.String(64), primary_key=True),
        sa.Column("placing_la", sa.String(3), nullable=False),
        sa.Column("host_la", sa.String(3), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subject_placements_episode_key", "subject_placements", ["episode_key"])


def downgrade() -> None:
    op.drop_table("subject_placements")
    op.drop_table("processed_notifications")
