"""The inbox: which deliveries the agency has already handled, by their stable ``delivery_id``.

The broker delivers at least once, and the hub can publish the same copy twice (a routing core
killed between its publish and its mark-sent). Every copy of one delivery carries the same
``delivery_id`` (:func:`hub.messages.delivery_id`), so the subscriber asks the inbox before it
hands a delivery to the agency, and records it once the agency's handler has finished.

Rules:

1. :class:`Inbox` is the port: ``seen``, ``record`` and ``close``. ``record`` is idempotent.
2. :class:`SqliteInbox` keeps the ids in a SQLite file the agency names, so they survive a
   restart of the agency's process. The table is created on first use. Each ``record`` commits
   before it returns; SQLite's default (rollback journal, ``synchronous=FULL``) makes that
   commit durable.
3. :class:`MemoryInbox` forgets everything when the process ends: for tests and short runs
   such as ``hub tail``.
4. A database that fails raises :class:`~hub.StoreUnavailable`, from the driver's error.
5. Only delivery ids (opaque hashes) and the time they were handled are stored; nothing about
   the notification.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from hub._exceptions import StoreUnavailable

__all__ = ["Inbox", "MemoryInbox", "SqliteInbox"]

_metadata = sa.MetaData()
_handled = sa.Table(
    "handled_deliveries",
    _metadata,
    sa.Column("delivery_id", sa.String(32), primary_key=True),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
)


class Inbox(Protocol):
    """Remembers the deliveries an agency has handled."""

    async def seen(self, delivery_id: str) -> bool:
        """Whether ``delivery_id`` was recorded as handled."""
        ...

    async def record(self, delivery_id: str, *, handled_at: datetime) -> None:
        """Remember ``delivery_id`` as handled (again is a no-op); durable when it returns."""
        ...

    async def close(self) -> None:
        """Release what the inbox holds open."""
        ...


class MemoryInbox:
    """An inbox in a set: forgotten when the process ends."""

    def __init__(self) -> None:
        self._handled: set[str] = set()

    async def seen(self, delivery_id: str) -> bool:
        return delivery_id in self._handled

    async def record(self, delivery_id: str, *, handled_at: datetime) -> None:
        self._handled.add(delivery_id)

    async def close(self) -> None:
        return None


class SqliteInbox:
    """An inbox in a SQLite file (SQLAlchemy async over aiosqlite)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._engine = create_async_engine(
            f"sqlite+aiosqlite:///{self.path}", connect_args={"timeout": 30}
        )
        self._created = False

    async def _ensure_table(self) -> None:
        if not self._created:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            async with self._engine.begin() as connection:
                await connection.run_sync(_metadata.create_all)
            self._created = True

    async def seen(self, delivery_id: str) -> bool:
        query = sa.select(_handled.c.delivery_id).where(_handled.c.delivery_id == delivery_id)
        try:
            await self._ensure_table()
            async with self._engine.connect() as connection:
                found = (await connection.execute(query)).first()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("the subscriber's inbox cannot be read") from exc
        return found is not None

    async def record(self, delivery_id: str, *, handled_at: datetime) -> None:
        statement = (
            insert(_handled)
            .values(delivery_id=delivery_id, handled_at=handled_at)
            .on_conflict_do_nothing(index_elements=[_handled.c.delivery_id])
        )
        try:
            await self._ensure_table()
            async with self._engine.begin() as connection:
                await connection.execute(statement)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("the subscriber's inbox cannot be written") from exc

    async def close(self) -> None:
        await self._engine.dispose()
