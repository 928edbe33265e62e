"""Prune anchors on SQL: reading them, finding how far the log may be cut, and the cut itself.

Rules:

1. The newest anchor (the greatest ``through_seq``) is where the chain now starts: verification
   walks from the record after it.
2. A prune is one transaction, run as the tables' owner (the hub's role may not DELETE). It
   holds the chain's lock as an append does, then checks that the record it cuts behind still
   has the signed hash and that exactly the counted records lead up to it, and that no later
   prune has happened since; if not, nothing changes (:class:`~hub.AuditLogTampered`). It then
   keeps the checkpoint of that record (unless the head was signed already), inserts the
   anchor, appends the ``audit.pruned`` record, and deletes the subject index's rows and the
   records up to the anchor. The record is linked once the deletes are done (appends are
   gathered to the end of a transaction), after the anchor when no record is left.
3. Every database error is :class:`~hub.StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any, Final

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import AuditLogTampered, StoreUnavailable
from hub.audit import AuditEntry, Checkpoint, PruneAnchor, PruneScan
from hub.db import audit_checkpoints, audit_prunes, audit_records, audit_subjects
from hub.stores._audit_rows import (
    append_audit,
    aware_utc,
    checkpoint_row,
    lock_chain,
)
from hub.stores._group_commit import committing

__all__ = ["newest_anchor", "prune_behind", "read_anchors", "scan_prunable"]

_FAILURE: Final = "could not prune the audit log (run it as the owner of the audit tables)"


def _anchor(row: Mapping[Any, Any]) -> PruneAnchor:
    return PruneAnchor(
        through_seq=int(row["through_seq"]),
        record_hash=str(row["record_hash"]),
        signed_at=aware_utc(row["signed_at"]),
        kid=str(row["kid"]),
        signature=bytes(row["signature"]),
        pruned_at=aware_utc(row["pruned_at"]),
        records=int(row["records"]),
    )


async def read_anchors(connection: AsyncConnection) -> list[PruneAnchor]:
    """Every prune anchor, oldest first."""
    rows = await connection.execute(select(audit_prunes).order_by(audit_prunes.c.through_seq))
    return [_anchor(row) for row in rows.mappings()]


async def newest_anchor(connection: AsyncConnection) -> PruneAnchor | None:
    """The anchor the chain now starts after (rule 1), or None if it was never pruned."""
    query = select(audit_prunes).order_by(audit_prunes.c.through_seq.desc()).limit(1)
    row = (await connection.execute(query)).mappings().first()
    return None if row is None else _anchor(row)


async def scan_prunable(engine: AsyncEngine, scan: PruneScan, *, batch: int = 5000) -> None:
    """Feed ``scan`` the records after its start, in ``seq`` order, until it stops."""
    columns = (audit_records.c.seq, audit_records.c.recorded_at, audit_records.c.rule_id)
    query = select(*columns).order_by(audit_records.c.seq).limit(batch)
    try:
        async with engine.connect() as connection:
            while True:
                after = audit_records.c.seq > scan.through
                rows = (await connection.execute(query.where(after))).all()
                for row in rows:
                    if not scan.feed(int(row.seq), aware_utc(row.recorded_at), row.rule_id):
                        return
                if len(rows) < batch:
                    return
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnavailable("could not read the audit log") from exc


async def prune_behind(
    engine: AsyncEngine, checkpoint: Checkpoint, anchor: PruneAnchor, entry: AuditEntry
) -> None:
    """Cut the log behind ``anchor`` and record that, in one transaction (rule 2)."""
    through = anchor.through_seq
    behind = audit_records.c.seq <= through

    async def cut(connection: AsyncConnection) -> None:
        await lock_chain(connection)
        held = await connection.scalar(
            select(audit_records.c.record_hash).where(audit_records.c.seq == through)
        )
        counted = await connection.scalar(
            select(func.count()).select_from(audit_records).where(behind)
        )
        newest = await connection.scalar(select(func.max(audit_prunes.c.through_seq)))
        if held != anchor.record_hash or counted != anchor.records or (newest or 0) >= through:
            raise AuditLogTampered("the log changed while it was being pruned; nothing was pruned")
        signed = await connection.scalar(
            select(audit_checkpoints.c.seq).where(audit_checkpoints.c.seq == through)
        )
        if signed is None:
            await connection.execute(insert(audit_checkpoints), [checkpoint_row(checkpoint)])
        await connection.execute(insert(audit_prunes), [_anchor_row(anchor)])
        await append_audit(connection, [entry])
        await connection.execute(delete(audit_subjects).where(audit_subjects.c.seq <= through))
        deleted = await connection.execute(delete(audit_records).where(behind))
        if deleted.rowcount != anchor.records:
            raise AuditLogTampered("the log changed while it was being pruned; nothing was pruned")

    await committing(engine, cut, failure=_FAILURE)


def _anchor_row(anchor: PruneAnchor) -> dict[str, Any]:
    return {
        "through_seq": anchor.through_seq,
        "record_hash": anchor.record_hash,
        "signed_at": anchor.signed_at.astimezone(UTC),
        "kid": anchor.kid,
        "signature": anchor.signature,
        "pruned_at": anchor.pruned_at.astimezone(UTC),
        "records": anchor.records,
    }
