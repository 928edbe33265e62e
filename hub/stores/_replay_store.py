"""The replay outbox on SQL: the copies an agency asked for again, committed with the page's
``delivery.replayed`` record, until the router's replay relay has published them.

Rules:

1. :meth:`SqlReplayStore.request` commits every copy of a page and its audit record together,
   or nothing: the hub answers only after this commit, and nothing is sent before it.
2. A row is due at once: no request publishes it, only a relay (the API's broker user may not
   publish to the agencies' queues). A claim is a conditional update for a lease, so of several
   relays only one holds a row, and one that dies lets its lease run out.
3. Once the queue has it, the row keeps its ids and times; the sealed envelope is dropped (the
   delivery outbox still holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import AuditEntry
from hub.db import replay_outbox
from hub.messages import ReplayCopy
from hub.stores._audit_rows import append_audit
from hub.stores._group_commit import committing
from hub.stores._message_rows import claim_rows, message_from_row, message_properties

__all__ = ["SqlReplayStore"]


class SqlReplayStore:
    """The replay-store port on SQL, in the audit log's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def request(self, copies: Sequence[ReplayCopy], entry: AuditEntry) -> None:
        """Commit the page's copies and its ``delivery.replayed`` record (rule 1)."""
        at = entry.recorded_at.astimezone(UTC)
        rows = [
            {
                "replay_id": copy.replay_id,
                "recipient": copy.recipient,
                "delivery_id": copy.delivery_id,
                "body": copy.message.body,
                "properties": message_properties(copy.message),
                "requested_at": at,
                "sent_at": None,
                "attempts": 0,
                "next_attempt_at": None,
            }
            for copy in copies
        ]

        async def work(connection: AsyncConnection) -> None:
            if rows:
                await connection.execute(insert(replay_outbox), rows)
            await append_audit(connection, (entry,))

        await committing(self._engine, work, failure="could not commit the replay")

    async def waiting(self, recipient: str) -> int:
        """How many of ``recipient``'s replayed copies are not yet sent."""
        query = (
            select(func.count())
            .select_from(replay_outbox)
            .where(replay_outbox.c.recipient == recipient, replay_outbox.c.sent_at.is_(None))
        )
        try:
            async with self._engine.connect() as connection:
                return int(await connection.scalar(query) or 0)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the replay outbox") from exc

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[ReplayCopy]:
        """Claim up to ``limit`` unsent copies for ``lease``, oldest request first (rule 2)."""
        at = now.astimezone(UTC)
        due = (
            replay_outbox.c.sent_at.is_(None),
            or_(replay_outbox.c.next_attempt_at.is_(None), replay_outbox.c.next_attempt_at <= at),
        )
        try:
            async with self._engine.begin() as connection:
                rows = await claim_rows(
                    connection,
                    replay_outbox,
                    replay_outbox.c.replay_id,
                    due,
                    order_by=(replay_outbox.c.requested_at, replay_outbox.c.replay_id),
                    limit=limit,
                    until=now + lease,
                )
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the replay outbox") from exc
        return [
            ReplayCopy(
                replay_id=row["replay_id"],
                recipient=row["recipient"],
                delivery_id=row["delivery_id"],
                message=message_from_row(row["body"], row["properties"]),
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def retry_later(self, copy: ReplayCopy, at: datetime) -> None:
        """Count a failed publish of ``copy`` and leave it until ``at``."""
        await self._update(
            copy,
            {"attempts": replay_outbox.c.attempts + 1, "next_attempt_at": at.astimezone(UTC)},
        )

    async def mark_sent(self, copy: ReplayCopy, now: datetime) -> None:
        """Record that the agency's queue confirmed ``copy``, and drop its body (rule 3)."""
        await self._update(copy, {"sent_at": now.astimezone(UTC), "body": b""})

    async def _update(self, copy: ReplayCopy, values: dict[str, object]) -> None:
        statement = (
            update(replay_outbox)
            .where(replay_outbox.c.replay_id == copy.replay_id, replay_outbox.c.sent_at.is_(None))
            .values(values)
        )
        try:
            async with self._engine.begin() as connection:
                await connection.execute(statement)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not update the replay outbox") from exc
