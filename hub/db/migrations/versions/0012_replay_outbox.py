"""Replay through the database (issue 12): the copies an agency asked for again, until sent.

- ``replay_outbox``: one row per copy per replay request, committed with the page's
  ``delivery.replayed`` record; the router's replay relay publishes it to the agency's queue,
  so that an API process whose broker user may publish only to ingress can serve a replay.
  The body is the sealed envelope first published (marked ``sehub-replay``); once sent, the row
  keeps only its ids and times.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replay_outbox",
        sa.Column("replay_id", sa.String(32), primary_key=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_replay_outbox_unsent",
        "replay_outbox",
        ["requested_at"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_replay_outbox_unsent", table_name="replay_outbox")
    op.drop_table("replay_outbox")
