"""What issue 10's guarantees keep: durable intake, a self-draining outbox, held copies
(escalations and statutory-clock alerts) and business acknowledgements.

- ``intake_outbox``: each accepted notification, sealed to the hub, committed with its
  ``notification.accepted`` record before the 202; a relay publishes what is unsent. Its
  ``content_sha256`` tells a retried post (same answer) from a changed one (409).
- ``outbox`` gains a stable ``delivery_id`` (backfilled), a ``kind`` (notification, escalation,
  alert), ``release_at`` (held until then), ``cancelled_at`` (an acknowledgement or a stopped
  clock), ``held_for`` (what a held copy waits on), the copy's ``acknowledge_by`` and the
  relay's ``attempts`` / ``next_attempt_at``.
- ``acknowledgements``: one row per (delivery, action), by a named user or system.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.messages import delivery_id

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _backfill_delivery_ids() -> None:
    bind = op.get_bind()
    outbox = sa.table(
        "outbox", sa.column("event_key"), sa.column("recipient"), sa.column("delivery_id")
    )
    rows = bind.execute(sa.select(outbox.c.event_key, outbox.c.recipient)).all()
    for row in rows:
        bind.execute(
            sa.update(outbox)
            .where(outbox.c.event_key == row.event_key, outbox.c.recipient == row.recipient)
            .values(delivery_id=delivery_id(row.event_key, row.recipient))
        )


def upgrade() -> None:
    op.create_table(
        "intake_outbox",
        sa.Column("event_key", sa.String(64), primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("publisher", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_intake_outbox_unpublished",
        "intake_outbox",
        ["accepted_at"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("delivery_id", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="notification")
        )
        batch.add_column(sa.Column("release_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("held_for", sa.String(64), nullable=True))
        batch.add_column(sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    _backfill_delivery_ids()
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("delivery_id", existing_type=sa.String(32), nullable=False)
        batch.create_index("ux_outbox_delivery_id", ["delivery_id"], unique=True)
        batch.create_index("ix_outbox_recipient_created_at", ["recipient", "created_at"])
        batch.create_index("ix_outbox_held_for", ["held_for"])
    # What the relays look for every second: unsent, not cancelled, by when it falls due.
    op.create_index(
        "ix_outbox_due",
        "outbox",
        [sa.text("coalesce(release_at, created_at)")],
        postgresql_where=sa.text("sent_at IS NULL AND cancelled_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL AND cancelled_at IS NULL"),
    )
    op.create_table(
        "acknowledgements",
        sa.Column("delivery_id", sa.String(32), primary_key=True),
        sa.Column("action", sa.String(16), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note_ref", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("acknowledgements")
    op.drop_index("ix_outbox_due", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_held_for")
        batch.drop_index("ix_outbox_recipient_created_at")
        batch.drop_index("ux_outbox_delivery_id")
        for column in (
            "next_attempt_at",
            "attempts",
            "acknowledge_by",
            "held_for",
            "cancelled_at",
            "release_at",
            "kind",
            "delivery_id",
        ):
            batch.drop_column(column)
    op.drop_index("ix_intake_outbox_unpublished", table_name="intake_outbox")
    op.drop_table("intake_outbox")
