"""The audit log on SQLAlchemy 2 async: SQLite (WAL) by default, PostgreSQL in production.

Every database error is mapped here to :class:`~hub.StoreUnavailable`; nothing above this module
sees SQLAlchemy exceptions. One call to :meth:`SqlAuditLog.record` is one transaction, so the
rows for one step are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub._exceptions import StoreUnavailable
from hub.audit._entry import AuditAction, AuditEntry
from hub.audit._migrate import upgrade_to_head
from hub.audit._tables import audit_records

__all__ = ["SqlAuditLog", "audit_rows", "create_engine_for"]


def create_engine_for(database_url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and its directory created."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


class SqlAuditLog:
    """The audit-log port on a SQL database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for stores that share the audit database and its transactions."""
        return self._engine

    @classmethod
    def from_url(cls, database_url: str) -> SqlAuditLog:
        return cls(create_engine_for(database_url))

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        try:
            async with self._engine.begin() as connection:
                await connection.run_sync(_upgrade)
        except SQLAlchemyError as exc:
            raise StoreUnavailable("could not migrate the audit store") from exc

    async def record(self, *entries: AuditEntry) -> None:
        """Commit ``entries`` in one transaction."""
        if not entries:
            return
        rows = audit_rows(entries)
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(audit_records), rows)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not write the audit log") from exc

    async def entries(
        self,
        *,
        notification_id: str | None = None,
        action: AuditAction | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Audit entries in the order they were written, optionally filtered."""
        query = select(audit_records).order_by(audit_records.c.id).limit(limit)
        if notification_id is not None:
            query = query.where(audit_records.c.notification_id == notification_id)
        if action is not None:
            query = query.where(audit_records.c.action == action.value)
        try:
            async with self._engine.connect() as connection:
                result = await connection.execute(query)
                return [_entry(row._mapping) for row in result]
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("audit store is not reachable") from exc

    async def close(self) -> None:
        await self._engine.dispose()


def _upgrade(connection: Connection) -> None:
    upgrade_to_head(connection)


def audit_rows(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Table rows for ``entries`` (shared with stores that commit audit rows with their own)."""
    return [_row(entry) for entry in entries]


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
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


def _entry(row: Any) -> AuditEntry:
    fields: Sequence[str] = (
        "recorded_at",
        "correlation_id",
        "notification_id",
        "notification_type",
        "actor",
        "recipient",
        "rule_id",
        "protocol_version",
        "detail",
    )
    values = {name: row[name] for name in fields}
    if values["recorded_at"].tzinfo is None:
        values["recorded_at"] = values["recorded_at"].replace(tzinfo=UTC)
    return AuditEntry(action=AuditAction(row["action"]), **values)
