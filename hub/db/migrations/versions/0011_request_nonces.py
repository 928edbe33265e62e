"""Replay protection for signed requests (issue 12): each agency's nonces, inside their window.

- ``request_nonces``: one row per ``(agency, nonce)`` of a signed request that verified, kept
  until ``expires_at`` (its ``created`` plus the window) and pruned after. The primary key is
  the guard: a second use of a nonce, on any API process, fails to insert.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_nonces",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_request_nonces_expires_at", "request_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_request_nonces_expires_at", table_name="request_nonces")
    op.drop_table("request_nonces")
