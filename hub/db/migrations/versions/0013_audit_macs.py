"""Records the writer vouches for (issue 9): each audit record's MAC and the kid of its key.

- ``audit_records.mac_kid`` and ``audit_records.mac``: the HMAC-SHA256 with which the hub's
  writer vouches for the record's chain hash (``hub.crypto.AuditMacKeys``; docs/audit.md).
  The key is never in the database.
- Upgrading an existing log: the records already there get no MAC (the key that would vouch
  for them did not exist when they were written). They are covered by the checkpoints that
  signed them: verification accepts a record without a MAC only at or before a signed
  checkpoint or prune anchor. So sign a checkpoint (``hub audit checkpoint``) with the writers
  stopped before upgrading, or the records after the last checkpoint are never signed again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_records", sa.Column("mac_kid", sa.String(64), nullable=True))
    op.add_column("audit_records", sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_records", "mac")
    op.drop_column("audit_records", "mac_kid")
