"""What issue 11's routing by residence and responsibility remembers.

- ``subject_placements`` keeps every active placement, not only out-of-area ones, so the hub
  knows a child's responsible authority: ``host_la`` may be null (a confidential placement) and
  both LA columns hold a GSS code (a council outside England) as well as a DfE code.
- ``subject_episodes``: each source's report of a missing episode, under the hub's one
  reference for the episode.
- ``subject_risk_told``: the risk level each recipient of a withdrawing rule was last told.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subject_placements") as table:
        table.alter_column("placing_la", type_=sa.String(9), existing_nullable=False)
        table.alter_column("host_la", type_=sa.String(9), nullable=True)
    op.create_table(
        "subject_episodes",
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("source_key", sa.String(64), primary_key=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("publishers", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subject_episodes_reference", "subject_episodes", ["reference"])
    op.create_table(
        "subject_risk_told",
        sa.Column("subject_key", sa.String(64), primary_key=True),
        sa.Column("recipient", sa.String(64), primary_key=True),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("on_rmg", sa.Boolean(), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("subject_risk_told")
    op.drop_index("ix_subject_episodes_reference", table_name="subject_episodes")
    op.drop_table("subject_episodes")
    # An older hub kept only out-of-area placements: the others cannot be kept.
    op.execute(
        "DELETE FROM subject_placements WHERE host_la IS NULL OR host_la = placing_la "
        "OR length(placing_la) > 3 OR length(host_la) > 3"
    )
    with op.batch_alter_table("subject_placements") as table:
        table.alter_column("host_la", type_=sa.String(3), nullable=False)
        table.alter_column("placing_la", type_=sa.String(3), existing_nullable=False)
