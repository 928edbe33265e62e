"""Audit entries to chained table rows and back, for every store that writes the audit log.

Rules:

1. Every append goes through :func:`append_audit`, inside the caller's transaction. Within
   :func:`gathering` (which :func:`~hub.stores._group_commit.committing` opens around every
   transaction) it only gathers the records; when the transaction's statements are done, they
   are linked after the chain's head in one insert (:mod:`hub.audit._chain`). The head is the
   record with the highest ``seq``, or, when a prune has cut every record, its anchor.
2. Appenders never fork the chain. On PostgreSQL a transaction-scoped advisory lock serialises
   them; on SQLite the transaction takes the database's write lock before it reads the head.
   Everywhere, ``seq`` is unique, so a writer that read a stale head anyway fails its commit
   and is retried from a fresh head (:mod:`hub.stores._group_commit`).
3. The writer vouches for every record it appends with its MAC (:mod:`hub.audit._macs`). The
   MAC keys travel with the engine (:func:`vouching`, an execution option), so every store that
   appends on that engine vouches alike. An engine without them appends records with no MAC,
   which no checkpoint will sign.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.audit import (
    CHAINED_FIELDS,
    GENESIS,
    AuditAction,
    AuditEntry,
    Checkpoint,
    RecordMacs,
    link,
)
from hub.db import audit_prunes, audit_records, audit_subjects

__all__ = [
    "append_audit",
    "audit_rows",
    "aware_utc",
    "checkpoint_row",
    "entry_from_row",
    "gathering",
    "lock_chain",
    "subject_index",
    "vouching",
]

_CHAIN_LOCK: Final = 0x5EB0A0D17  # pg_advisory_xact_lock key of the audit chain
_SQLITE_TAKE_WRITE_LOCK: Final = "DELETE FROM processed_notifications WHERE 0 = 1"
_MACS_OPTION: Final = "sehub_audit_macs"
_GATHERED: Final = "sehub_audit_gathered"  # connection.info key


def vouching(engine: AsyncEngine, macs: RecordMacs) -> AsyncEngine:
    """``engine`` (sharing its pool) whose appends carry the writer's MACs (rule 3)."""
    return engine.execution_options(**{_MACS_OPTION: macs})


@contextlib.asynccontextmanager
async def gathering(connection: AsyncConnection) -> AsyncIterator[None]:
    """Gather the records appended on ``connection`` and append them at the end (rule 1).

    The records are dropped if the block fails; the caller's transaction then commits nothing.
    """
    gathered: list[AuditEntry] = []
    # Held here: after a disconnect, connection.info itself raises, and would hide the cause.
    info = connection.info
    info[_GATHERED] = gathered
    try:
        yield
    finally:
        info.pop(_GATHERED, None)
    await _append_now(connection, gathered)


async def append_audit(connection: AsyncConnection, entries: Iterable[AuditEntry]) -> None:
    """Append ``entries`` to the chain within the caller's transaction (rules 1 and 2)."""
    gathered: list[AuditEntry] | None = connection.info.get(_GATHERED)
    if gathered is None:
        await _append_now(connection, entries)
    else:
        gathered.extend(entries)


async def _append_now(connection: AsyncConnection, entries: Iterable[AuditEntry]) -> None:
    rows = audit_rows(entries)
    if not rows:
        return
    await lock_chain(connection)
    head = (
        await connection.execute(
            select(audit_records.c.seq, audit_records.c.record_hash)
            .order_by(audit_records.c.seq.desc())
            .limit(1)
        )
    ).first()
    if head is None:  # none left, or a prune in this transaction cut them all: after its anchor
        head = (
            await connection.execute(
                select(
                    audit_prunes.c.through_seq.label("seq"),
                    audit_prunes.c.record_hash,
                )
                .order_by(audit_prunes.c.through_seq.desc())
                .limit(1)
            )
        ).first()
    head_seq, head_hash = (int(head.seq), str(head.record_hash)) if head else (0, GENESIS)
    linked = link(rows, head_seq=head_seq, head_hash=head_hash)
    macs: RecordMacs | None = connection.sync_engine.get_execution_options().get(_MACS_OPTION)
    for row in linked:
        vouched = (None, None) if macs is None else macs.vouch(row["record_hash"])
        row["mac_kid"], row["mac"] = vouched
    await connection.execute(insert(audit_records), linked)
    index = subject_index(linked)
    if index:
        await connection.execute(insert(audit_subjects), index)


async def lock_chain(connection: AsyncConnection) -> None:
    """Hold the chain for the rest of the caller's transaction: no one else appends (rule 2)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    elif connection.dialect.name == "sqlite":
        # A write that touches nothing, on a table without triggers: SQLite then holds the
        # write lock, so the head read next is the newest and stays so until the commit.
        await connection.execute(text(_SQLITE_TAKE_WRITE_LOCK))


def subject_index(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``audit_subjects`` rows for chained ``rows``: one per subject token per record."""
    return [
        {"subject": subject, "seq": row["seq"]}
        for row in rows
        for subject in sorted(set(row["detail"].get("subjects", ())))
    ]


_COLUMNS = tuple(name for name in CHAINED_FIELDS if name != "action")


def audit_rows(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Table rows for ``entries``."""
    return [
        {
            # SQLite keeps no offset, so every time is written in UTC and read back as UTC.
            "recorded_at": entry.recorded_at.astimezone(UTC),
            "action": entry.action.value,
            "correlation_id": entry.correlation_id,
            "notification_id": entry.notification_id,
            "notification_type": entry.notification_type,
            "actor": entry.actor,
            "recipient": entry.recipient,
            "rule_id": entry.rule_id,
            "protocol_version": entry.protocol_version,
            "detail": entry.detail,
        }
        for entry in entries
    ]


def checkpoint_row(checkpoint: Checkpoint) -> dict[str, Any]:
    """The ``audit_checkpoints`` row of a signed checkpoint."""
    return {
        "seq": checkpoint.seq,
        "record_hash": checkpoint.record_hash,
        "signed_at": checkpoint.signed_at.astimezone(UTC),
        "kid": checkpoint.kid,
        "signature": checkpoint.signature,
    }


def entry_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    """The entry a table row holds."""
    values = {name: row[name] for name in _COLUMNS}
    values["recorded_at"] = aware_utc(values["recorded_at"])
    return AuditEntry(action=AuditAction(row["action"]), **values)


def aware_utc(value: datetime) -> datetime:
    """A time read back from the database, aware: SQLite keeps no offset, and writes UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
