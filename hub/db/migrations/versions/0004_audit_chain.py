"""Audit hash chain: seq, prev_hash and record_hash on every record; records are append-only.

Existing records are chained in the order they were written (by id), so an upgraded log verifies
from its first record. Triggers then refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
Stop every hub process before upgrading: the chain is built from the records there are.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from hub.audit import GENESIS, link

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_CHAINED = (
    "id",
    "recorded_at",
    "action",
    "correlation_id",
    "notification_id",
    "notification_type",
    "actor",
    "recipient",
    "rule_id",
    "protocol_version",
    "detail",
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sehub_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END
$$
"""


BATCH = 1000


def _backfill() -> None:
    """Chain the existing records in id order, a batch at a time (memory stays bounded)."""
    bind = op.get_bind()
    types: dict[str, Any] = {
        "detail": sa.JSON(),
        "recorded_at": sa.DateTime(timezone=True),
        "id": sa.BigInteger(),
    }
    names = (*_CHAINED, "seq", "prev_hash", "record_hash")
    table = sa.table("audit_records", *(sa.column(name, types.get(name)) for name in names))
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(
            seq=sa.bindparam("new_seq"),
            prev_hash=sa.bindparam("new_prev"),
            record_hash=sa.bindparam("new_hash"),
        )
    )
    head_seq, head_hash, last_id = 0, GENESIS, None
    while True:
        query = sa.select(*(table.c[name] for name in _CHAINED)).order_by(table.c.id).limit(BATCH)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = [row._asdict() for row in bind.execute(query)]
        if not rows:
            return
        linked = link(rows, head_seq=head_seq, head_hash=head_hash)
        bind.execute(
            update,
            [
                {
                    "row_id": row["id"],
                    "new_seq": row["seq"],
                    "new_prev": row["prev_hash"],
                    "new_hash": row["record_hash"],
                }
                for row in linked
            ],
        )
        head_seq, head_hash, last_id = linked[-1]["seq"], linked[-1]["record_hash"], rows[-1]["id"]


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("record_hash", sa.String(64), nullable=True))
    _backfill()
    with op.batch_alter_table("audit_records") as batch:
        batch.alter_column("seq", nullable=False)
        batch.alter_column("prev_hash", nullable=False)
        batch.alter_column("record_hash", nullable=False)
        batch.create_index("ux_audit_records_seq", ["seq"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records"
            " FOR EACH ROW EXECUTE FUNCTION sehub_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records"
            " FOR EACH STATEMENT EXECUTE FUNCTION sehub_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_records_no_{event.lower()} BEFORE {event} ON audit_records"
                " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records")
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_truncate ON audit_records")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_index("ux_audit_records_seq")
        batch.drop_column("record_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
