"""Prune anchors: where ``hub audit prune`` cut the audit log, each signed by the hub.

Table ``audit_prunes`` is append-only like the checkpoints. The append-only triggers of
``audit_records`` and ``audit_subjects`` are replaced: UPDATE is still always refused (and
TRUNCATE of the records on PostgreSQL), and DELETE is refused for every row except those with
``seq`` at or below the newest anchor's ``through_seq``. A prune inserts its anchor and deletes
behind it in one transaction, as the tables' owner; the hub's role has no DELETE at all.

Downgrading drops the anchors and restores the old triggers. A log that was pruned then starts
after seq 1, which the code of revision 0007 cannot verify: downgrade only a log never pruned.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REFUSED = "audit records are append-only; only records behind a prune anchor may be deleted"
_PRUNED = "coalesce((SELECT max(through_seq) FROM audit_prunes), 0)"
_PG_DELETE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sehub_audit_delete_pruned_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq IS NULL OR OLD.seq > {_PRUNED} THEN
        RAISE EXCEPTION '{_REFUSED}';
    END IF;
    RETURN OLD;
END
$$
"""
_INDEXED = ("audit_records", "audit_subjects")  # the tables whose pruned rows may go


def _sqlite_trigger(table: str, event: str) -> str:
    """The unconditional append-only trigger of revisions 0004 to 0006."""
    return (
        f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
        " BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
    )


def upgrade() -> None:
    op.create_table(
        "audit_prunes",
        sa.Column("through_seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(128), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # sehub_audit_append_only() was created by revision 0004.
        op.execute(
            "CREATE TRIGGER audit_prunes_append_only BEFORE UPDATE OR DELETE ON audit_prunes"
            " FOR EACH ROW EXECUTE FUNCTION sehub_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_prunes_no_truncate BEFORE TRUNCATE ON audit_prunes"
            " FOR EACH STATEMENT EXECUTE FUNCTION sehub_audit_append_only()"
        )
        op.execute(_PG_DELETE_FUNCTION)
        for table in _INDEXED:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION sehub_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_delete_pruned_only BEFORE DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION sehub_audit_delete_pruned_only()"
            )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(_sqlite_trigger("audit_prunes", event))
        for table in _INDEXED:
            op.execute(f"DROP TRIGGER {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}"
                f" WHEN OLD.seq IS NULL OR OLD.seq > {_PRUNED}"
                f" BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _INDEXED:
            op.execute(f"DROP TRIGGER {table}_delete_pruned_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION sehub_audit_append_only()"
            )
        op.execute("DROP FUNCTION sehub_audit_delete_pruned_only()")
    else:
        for table in _INDEXED:
            op.execute(f"DROP TRIGGER {table}_no_delete")
            op.execute(_sqlite_trigger(table, "DELETE"))
    op.drop_table("audit_prunes")
