"""Routing state, de-duplication and the delivery outbox on SQL, committed with the audit rows.

One call to :meth:`SqlRoutingStore.commit` is one transaction: the notification is marked
processed, the subject's placement state changes, the audit rows are written and every sealed
delivery is put in the outbox, or none of it is. Publishing happens after the commit, from the
outbox, each delivery marked sent once RabbitMQ confirms it, in the same transaction as its
``delivery.published`` audit record. A crash before the commit means the
message is routed again; after it, the redelivered message only publishes what is still unsent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import AuditEntry
from hub.db import outbox, processed_notifications, subject_placements
from hub.messages import OutgoingMessage, delivery_id
from hub.sharing import ActivePlacement, PlacementChange, RoutingState
from hub.stores._audit_rows import append_audit, committing

__all__ = ["SqlRoutingStore"]


class SqlRoutingStore:
    """The routing-store port on SQL, in the audit log's database and transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def seen(self, event_key: str) -> bool:
        """Whether this event has already been routed."""
        query = select(processed_notifications.c.event_key).where(
            processed_notifications.c.event_key == event_key
        )
        try:
            async with self._engine.connect() as connection:
                return (await connection.execute(query)).first() is not None
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the routing state") from exc

    async def load(self, subjects: Iterable[str]) -> RoutingState:
        """The active out-of-area placements of a subject known by any of ``subjects``."""
        keys = sorted(subjects)
        query = (
            select(subject_placements)
            .where(subject_placements.c.subject_key.in_(keys))
            .order_by(subject_placements.c.started_at, subject_placements.c.episode_key)
        )
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the routing state") from exc
        placements: dict[str, ActivePlacement] = {}
        for row in rows:
            placements[row["episode_key"]] = ActivePlacement(
                row["episode_key"], row["placing_la"], row["host_la"]
            )
        return RoutingState(placements=tuple(placements.values()))

    async def commit(
        self,
        event_key: str,
        *,
        subjects: Iterable[str],
        change: PlacementChange | None,
        entries: Iterable[AuditEntry],
        deliveries: Sequence[tuple[str, OutgoingMessage]],
        now: datetime,
    ) -> None:
        """Mark processed, apply the state change, audit and fill the outbox, atomically."""
        entries = tuple(entries)
        ordered = sorted(subjects)

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(
                insert(processed_notifications),
                [{"event_key": event_key, "processed_at": now.astimezone(UTC)}],
            )
            if change is not None:
                await _apply(connection, ordered, change, now)
            if deliveries:
                await connection.execute(
                    insert(outbox), [_outbox_row(event_key, r, m, now) for r, m in deliveries]
                )
            # Last, so the chain's lock (PostgreSQL) is held only for the append.
            await append_audit(connection, entries)

        async def settled() -> bool:
            # Another router committed this event first: its rows and outbox stand. Otherwise
            # another writer moved the audit chain's head, and the work is tried again.
            return await self.seen(event_key)

        await committing(
            self._engine, work, failure="could not commit the routing state", settled=settled
        )

    async def pending(self, event_key: str) -> list[tuple[str, OutgoingMessage]]:
        """The event's deliveries not yet confirmed by the broker, by recipient."""
        query = (
            select(outbox)
            .where(outbox.c.event_key == event_key, outbox.c.sent_at.is_(None))
            .order_by(outbox.c.recipient)
        )
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the outbox") from exc
        return [(row["recipient"], _message(row["body"], row["properties"])) for row in rows]

    async def mark_sent(
        self, event_key: str, recipient: str, now: datetime, *, entry: AuditEntry
    ) -> bool:
        """Record that the broker confirmed this delivery, and audit it, in one transaction.

        Only a copy still unsent is marked, so a copy two routers published is audited once;
        returns whether this call marked it.
        """
        unsent = (outbox.c.event_key == event_key, outbox.c.recipient == recipient)
        statement = (
            update(outbox)
            .where(*unsent, outbox.c.sent_at.is_(None))
            .values(sent_at=now.astimezone(UTC))
        )
        marked = False

        async def work(connection: AsyncConnection) -> None:
            nonlocal marked
            marked = (await connection.execute(statement)).rowcount == 1
            if marked:
                await append_audit(connection, (entry,))

        async def settled() -> bool:
            # Another router marked (and audited) this copy meanwhile: nothing is left to do.
            nonlocal marked
            query = select(outbox.c.sent_at).where(*unsent)
            try:
                async with self._engine.connect() as connection:
                    done = (await connection.scalar(query)) is not None
            except (SQLAlchemyError, OSError) as exc:
                raise StoreUnavailable("could not read the outbox") from exc
            if done:
                marked = False
            return done

        await committing(self._engine, work, failure="could not update the outbox", settled=settled)
        return marked


async def _apply(
    connection: AsyncConnection, subjects: list[str], change: PlacementChange, now: datetime
) -> None:
    """Forget the episode's placement; remember it again if it (re)started."""
    await connection.execute(
        delete(subject_placements).where(subject_placements.c.episode_key == change.episode)
    )
    if change.started is not None:
        placement = change.started
        await connection.execute(
            insert(subject_placements),
            [
                {
                    "subject_key": subject,
                    "episode_key": placement.episode,
                    "placing_la": placement.placing_la,
                    "host_la": placement.host_la,
                    "started_at": now.astimezone(UTC),
                }
                for subject in subjects
            ],
        )


def _outbox_row(
    event_key: str, recipient: str, message: OutgoingMessage, now: datetime
) -> dict[str, object]:
    return {
        "event_key": event_key,
        "recipient": recipient,
        "delivery_id": delivery_id(event_key, recipient),
        "body": message.body,
        "properties": {
            "message_id": message.message_id,
            "type": message.type,
            "correlation_id": message.correlation_id,
            "content_type": message.content_type,
            "headers": message.headers,
        },
        "created_at": now.astimezone(UTC),
        "sent_at": None,
    }


def _message(body: bytes, properties: dict[str, object]) -> OutgoingMessage:
    headers = properties.get("headers")
    return OutgoingMessage(
        body=bytes(body),
        message_id=str(properties["message_id"]),
        type=str(properties["type"]),
        correlation_id=None
        if properties["correlation_id"] is None
        else str(properties["correlation_id"]),
        content_type=str(properties["content_type"]),
        headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
    )
