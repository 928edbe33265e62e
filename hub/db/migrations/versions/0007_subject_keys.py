"""One random key per subject pseudonym, under which the audit log names that subject.

Erasure deletes a subject's keys (``hub subject erase``), so this table, unlike the audit tables,
takes DELETE, from the owner only (the hub's writer role may SELECT and INSERT).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("subject_keys")
