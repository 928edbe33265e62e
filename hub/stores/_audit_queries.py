"""The auditors' reads of the audit log on SQL: filtered, in order, a page at a time.

Rules (the query's own are in :mod:`hub.audit._query`):

1. Pages are read by key, never by offset: after ``(recorded_at, seq)``, on the index of the
   same name, so the thousandth page costs what the first does.
2. A subject is found through ``audit_subjects`` (its tokens to ``seq``), not by reading each
   record's ``detail``.
3. A long read (an export of a year) is many short ones, one page per connection, so that it
   holds no transaction open while the caller streams.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC
from typing import Any, Final

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import AuditQuery, ListedRecord, Position
from hub.db import audit_records, audit_subjects
from hub.stores._audit_rows import entry_from_row

__all__ = ["PAGE", "SqlAuditReader"]

PAGE: Final = 1000
_BY_NOTIFICATION_BATCH: Final = 200


def _listing(query: AuditQuery, after: Position | None) -> Select[Any]:
    table = audit_records.c
    statement = select(audit_records).order_by(table.recorded_at, table.seq)
    if query.subjects is not None:
        naming = select(audit_subjects.c.seq).where(
            audit_subjects.c.subject.in_(sorted(query.subjects))
        )
        statement = statement.where(table.seq.in_(naming))
    if query.agency is not None:
        statement = statement.where(
            or_(table.actor == query.agency, table.recipient == query.agency)
        )
    if query.notification_type is not None:
        statement = statement.where(table.notification_type == query.notification_type)
    if query.actions is not None:
        statement = statement.where(table.action.in_(sorted(a.value for a in query.actions)))
    if query.since is not None:
        statement = statement.where(table.recorded_at >= query.since.astimezone(UTC))
    if query.until is not None:
        statement = statement.where(table.recorded_at < query.until.astimezone(UTC))
    if after is not None:
        at = after.recorded_at.astimezone(UTC)
        statement = statement.where(
            or_(table.recorded_at > at, and_(table.recorded_at == at, table.seq > after.seq))
        )
    return statement


def _listed(row: Any) -> ListedRecord:
    mapping = row._mapping
    return ListedRecord(
        seq=int(mapping["seq"]),
        record_hash=str(mapping["record_hash"]),
        entry=entry_from_row(mapping),
    )


class SqlAuditReader:
    """Reads for auditors; the hub's writer role (or a read-only one) is enough."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(
        self, query: AuditQuery, *, after: Position | None = None, limit: int = 100
    ) -> list[ListedRecord]:
        """Up to ``limit`` records matching ``query``, after ``after`` (rule 1)."""
        if query.subjects is not None and not query.subjects:
            return []
        try:
            async with self._engine.connect() as connection:
                result = await connection.execute(_listing(query, after).limit(limit))
                return [_listed(row) for row in result]
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc

    async def stream(self, query: AuditQuery) -> AsyncIterator[ListedRecord]:
        """Every record matching ``query``, a page per connection (rule 3)."""
        after: Position | None = None
        while True:
            page = await self.page(query, after=after, limit=PAGE)
            for record in page:
                yield record
            if len(page) < PAGE:
                return
            after = page[-1].position

    async def of_notifications(
        self, notifications: Iterable[tuple[str | None, str]]
    ) -> list[ListedRecord]:
        """Every record of these notifications, each named by (publisher, id)."""
        wanted = sorted(
            {(actor or "", notification_id) for actor, notification_id in notifications}
        )
        found: list[ListedRecord] = []
        table = audit_records.c
        try:
            async with self._engine.connect() as connection:
                for start in range(0, len(wanted), _BY_NOTIFICATION_BATCH):
                    batch = wanted[start : start + _BY_NOTIFICATION_BATCH]
                    # The ids alone first, so that SQLite searches their index; it scans the
                    # whole table for a row-value IN by itself.
                    ids = sorted({notification_id for _, notification_id in batch})
                    statement = (
                        select(audit_records)
                        .where(table.notification_id.in_(ids))
                        .where(tuple_(table.actor, table.notification_id).in_(batch))
                        .order_by(table.recorded_at, table.seq)
                    )
                    found.extend(_listed(row) for row in await connection.execute(statement))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the audit log") from exc
        return found
