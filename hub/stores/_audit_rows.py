"""Audit entries to chained table rows and back, for every store that writes the audit log.

Rules:

1. Every append goes through :func:`append_audit`, inside the caller's transaction: it reads the
   chain's head and links the new records after it (:mod:`hub.audit._chain`).
2. Appenders never fork the chain. On PostgreSQL a transaction-scoped advisory lock serialises
   them; on SQLite the transaction takes the database's write lock before it reads the head.
   Everywhere, ``seq`` is unique, so a writer that read a stale head anyway fails its commit
   and is retried (:data:`APPEND_ATTEMPTS` times, after a short jittered pause) from a fresh
   head.
3. The writer vouches for every record it appends with its MAC (:mod:`hub.audit._macs`). The
   MAC keys travel with the engine (:func:`vouching`, an execution option), so every store that
   appends on that engine vouches alike. An engine without them appends records with no MAC,
   which no checkpoint will sign.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import (
    CHAINED_FIELDS,
    GENESIS,
    AuditAction,
    AuditEntry,
    Checkpoint,
    RecordMacs,
    link,
)
from hub.db import audit_records, audit_subjects

__all__ = [
    "APPEND_ATTEMPTS",
    "CHAIN_CONFLICTS",
    "append_audit",
    "audit_rows",
    "aware_utc",
    "checkpoint_row",
    "committing",
    "entry_from_row",
    "lock_chain",
    "pause_before_retry",
    "subject_index",
    "vouching",
]

APPEND_ATTEMPTS: Final = 8
# A stale head: another writer took the seq (unique), or SQLite's snapshot went stale.
CHAIN_CONFLICTS: Final = (IntegrityError, OperationalError)
_CHAIN_LOCK: Final = 0x5EB0A0D17  # pg_advisory_xact_lock key of the audit chain
_SQLITE_TAKE_WRITE_LOCK: Final = "DELETE FROM processed_notifications WHERE 0 = 1"
_MACS_OPTION: Final = "sehub_audit_macs"


def vouching(engine: AsyncEngine, macs: RecordMacs) -> AsyncEngine:
    """``engine`` (sharing its pool) whose appends carry the writer's MACs (rule 3)."""
    return engine.execution_options(**{_MACS_OPTION: macs})


async def pause_before_retry(attempt: int) -> None:
    """A short pause, growing and jittered, so that writers who collided do not collide again."""
    # Not a secret: the jitter only spreads retries apart.
    await asyncio.sleep(min(0.2, 0.005 * 2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311


async def committing(
    engine: AsyncEngine,
    work: Callable[[AsyncConnection], Awaitable[None]],
    *,
    failure: str,
    settled: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Run ``work`` in one transaction that appends to the chain, retrying a stale head (rule 2).

    ``settled`` says, after a conflict, whether another writer already did this work (then
    nothing is retried). Every other database error is :class:`~hub.StoreUnavailable`.
    """
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            async with engine.begin() as connection:
                await work(connection)
        except CHAIN_CONFLICTS as exc:
            if settled is not None and await settled():
                return
            if attempt == APPEND_ATTEMPTS:
                raise StoreUnavailable(failure) from exc
            await pause_before_retry(attempt)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(failure) from exc
        else:
            return


async def append_audit(connection: AsyncConnection, entries: Iterable[AuditEntry]) -> None:
    """Append ``entries`` to the chain within the caller's transaction (rules 1 and 2)."""
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
