"""The audit-log port on SQL: SQLite (WAL) by default, PostgreSQL in production.

Every database error is mapped here to :class:`~hub.StoreUnavailable`; nothing above this module
sees SQLAlchemy exceptions. One call to :meth:`SqlAuditLog.record` is one transaction, so the
rows for one step are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import (
    GENESIS,
    AuditAction,
    AuditEntry,
    ChainVerifier,
    Checkpoint,
    PruneAnchor,
    PruneScan,
    RecordMacs,
)
from hub.db import audit_checkpoints, audit_records, create_engine_for, migrate
from hub.stores._audit_prune import newest_anchor, prune_behind, read_anchors, scan_prunable
from hub.stores._audit_rows import (
    append_audit,
    aware_utc,
    checkpoint_row,
    entry_from_row,
    vouching,
)
from hub.stores._audit_walk import walk_chain
from hub.stores._group_commit import committing

__all__ = ["SqlAuditLog"]

GENESIS_HEAD: Final = (0, GENESIS)


class SqlAuditLog:
    """The audit-log port on a SQL database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    def from_url(cls, database_url: str, *, macs: RecordMacs | None = None) -> SqlAuditLog:
        """The log at ``database_url``; with ``macs``, every append is vouched for."""
        engine = create_engine_for(database_url)
        return cls(engine if macs is None else vouching(engine, macs))

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for the stores that share its database and transactions."""
        return self._engine

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        await migrate(self._engine)

    async def record(self, *entries: AuditEntry) -> None:
        """Commit ``entries`` in one transaction."""
        if not entries:
            return

        async def append(connection: AsyncConnection) -> None:
            await append_audit(connection, entries)

        await committing(self._engine, append, failure="could not write the audit log")

    async def entries(
        self,
        *,
        notification_id: str | None = None,
        action: AuditAction | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Audit entries in the order they happened (their time, then their place in the
        chain), optionally filtered. A post is recorded as accepted at the time the hub took
        it, which is before any routing of it, though its record may be written after."""
        query = (
            select(audit_records)
            .order_by(audit_records.c.recorded_at, audit_records.c.seq)
            .limit(limit)
        )
        if notification_id is not None:
            query = query.where(audit_records.c.notification_id == notification_id)
        if action is not None:
            query = query.where(audit_records.c.action == action.value)
        try:
            async with self._engine.connect() as connection:
                result = await connection.execute(query)
                return [entry_from_row(row._mapping) for row in result]
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc

    async def count(self) -> int:
        """How many records the log holds."""
        try:
            async with self._engine.connect() as connection:
                total = await connection.scalar(select(func.count()).select_from(audit_records))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return int(total or 0)

    async def head(self) -> tuple[int, str] | None:
        """The last record's ``seq`` and hash, or None for an empty log."""
        query = (
            select(audit_records.c.seq, audit_records.c.record_hash)
            .order_by(audit_records.c.seq.desc())
            .limit(1)
        )
        try:
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).first()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return None if row is None else (int(row.seq), str(row.record_hash))

    async def hash_at(self, seq: int) -> str | None:
        """The hash the record at ``seq`` holds, or None if there is none."""
        query = select(audit_records.c.record_hash).where(audit_records.c.seq == seq)
        try:
            async with self._engine.connect() as connection:
                value = await connection.scalar(query)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return None if value is None else str(value)

    async def first_vouched(self) -> int | None:
        """The seq of the first record that carries a writer's MAC, or None if none does."""
        query = select(func.min(audit_records.c.seq)).where(audit_records.c.mac.is_not(None))
        try:
            async with self._engine.connect() as connection:
                value = await connection.scalar(query)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return None if value is None else int(value)

    async def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Keep a signed checkpoint beside the records (a copy belongs off the database)."""
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(audit_checkpoints), [checkpoint_row(checkpoint)])
        except IntegrityError:
            return  # that head is signed already
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not write the audit checkpoint") from exc

    async def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint kept in the database, oldest first."""
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.seq)
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit checkpoints") from exc
        return [
            Checkpoint(
                seq=int(row["seq"]),
                record_hash=str(row["record_hash"]),
                signed_at=aware_utc(row["signed_at"]),
                kid=str(row["kid"]),
                signature=bytes(row["signature"]),
            )
            for row in rows
        ]

    async def prune_anchors(self) -> list[PruneAnchor]:
        """Every anchor a prune left, oldest first (their signatures are the caller's to check)."""
        try:
            async with self._engine.connect() as connection:
                return await read_anchors(connection)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit prunes") from exc

    async def newest_anchor(self) -> PruneAnchor | None:
        """The anchor the chain now starts after, or None if the log was never pruned."""
        try:
            async with self._engine.connect() as connection:
                return await newest_anchor(connection)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit prunes") from exc

    async def scan_prunable(self, scan: PruneScan) -> None:
        """Feed ``scan`` the records after its start until it stops (how far to prune)."""
        await scan_prunable(self._engine, scan)

    async def prune(self, checkpoint: Checkpoint, anchor: PruneAnchor, entry: AuditEntry) -> None:
        """Delete the records behind ``anchor``, keeping it, its checkpoint and ``entry``."""
        await prune_behind(self._engine, checkpoint, anchor, entry)

    async def verify(
        self,
        *,
        # At 5,000, a walk in a process with a large heap (a server, bench.audit) set off full
        # garbage collections, 0.3 s each in bench.audit at 10^5 records; at 2,000, none.
        batch: int = 2000,
        progress: Callable[[int], None] | None = None,
        watch: frozenset[int] = frozenset(),
        after: tuple[int, str] | None = None,
        macs: RecordMacs | None = None,
        unvouched_through: int = 0,
    ) -> ChainVerifier:
        """Walk the chain in ``seq`` order (rule 3 of :mod:`hub.audit._chain`), in batches read
        by key, stopping at the first break; ``progress`` hears how many were checked, and the
        verified hashes at the ``watch``-ed seqs are kept. The walk starts after the newest
        prune anchor (``start`` of the verifier says which; its signature is the caller's to
        check), or at the genesis. With ``after`` (a verified seq and its hash), only the
        records after it are walked, and they must follow it. With ``macs``, every record must
        carry the writer's MAC, except those up to ``unvouched_through`` (rule 5 there)."""
        try:
            async with self._engine.connect() as connection:
                if after is None:
                    anchor = await newest_anchor(connection)
                    after_start = GENESIS_HEAD if anchor is None else anchor.head
                else:
                    after_start = after
                verifier = ChainVerifier(
                    watch, after=after_start, macs=macs, unvouched_through=unvouched_through
                )
                await walk_chain(connection, verifier, batch=batch, progress=progress)
                if verifier.broken is not None:
                    return verifier
                if after is None:
                    # Rows the walk by seq cannot reach: none, a repeat, zero or below, or
                    # behind the prune anchor.
                    covered = await connection.scalar(
                        select(func.count())
                        .select_from(audit_records)
                        .where(
                            audit_records.c.seq.is_(None)
                            | (audit_records.c.seq <= verifier.head_seq)
                        )
                    )
                    verifier.outside(int(covered or 0) - verifier.checked)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return verifier

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("audit store is not reachable") from exc

    async def close(self) -> None:
        await self._engine.dispose()
