"""Routing that scales out (issue 13): subject links and routing barriers.

- ``subject_links``: the ordering component of each subject pseudonym. The resolver
  (``hub.routing``) sends every notification about one component down one ingress shard.
- ``routing_barriers``: markers the resolver sends down a shard before a merge moves a
  component to another shard, passed by that shard's router.
- Upgrading: both start empty. A pseudonym first seen after the upgrade gets a component then;
  notifications queued on ``sehub.ingress`` before the upgrade are resolved like new ones.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_links",
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subject_links_component", "subject_links", ["component"])
    op.create_table(
        "routing_barriers",
        sa.Column("barrier_id", sa.String(32), primary_key=True),
        sa.Column("shard", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("routing_barriers")
    op.drop_index("ix_subject_links_component", table_name="subject_links")
    op.drop_table("subject_links")
