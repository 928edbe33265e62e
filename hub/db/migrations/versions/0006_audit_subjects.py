"""An index of which audit records name which subject, and indexes for the auditors' filters.

Existing records are indexed from the tokens in their ``detail.subjects``, a batch at a time.
Rows of ``audit_subjects`` are append-only like the records they index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000


def _backfill() -> None:
    bind = op.get_bind()
    records = sa.table(
        "audit_records", sa.column("seq", sa.BigInteger()), sa.column("detail", sa.JSON())
    )
    subjects = sa.table("audit_subjects", sa.column("subject"), sa.column("seq"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(records.c.seq, records.c.detail)
            .where(records.c.seq > last)
            .order_by(records.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        index: list[dict[str, Any]] = [
            {"subject": subject, "seq": row.seq}
            for row in rows
            if isinstance(row.detail, dict)
            for subject in sorted(set(row.detail.get("subjects") or ()))
            if isinstance(subject, str)
        ]
        if index:
            bind.execute(sa.insert(subjects), index)
        last = rows[-1].seq


def upgrade() -> None:
    op.create_table(
        "audit_subjects",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    with op.batch_alter_table("audit_records") as batch:
        batch.create_index("ix_audit_records_recorded_at_seq", ["recorded_at", "seq"])
        batch.create_index("ix_audit_records_actor", ["actor"])
        batch.create_index("ix_audit_records_recipient", ["recipient"])
        batch.create_index("ix_audit_records_notification_type", ["notification_type"])
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_subjects_append_only BEFORE UPDATE OR DELETE"
            " ON audit_subjects FOR EACH ROW EXECUTE FUNCTION sehub_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_subjects_no_{event.lower()} BEFORE {event}"
                " ON audit_subjects"
                " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("audit_subjects")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_index("ix_audit_records_notification_type")
        batch.drop_index("ix_audit_records_recipient")
        batch.drop_index("ix_audit_records_actor")
        batch.drop_index("ix_audit_records_recorded_at_seq")
