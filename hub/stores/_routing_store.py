"""Routing state, de-duplication and the delivery outbox on SQL, committed with the audit rows.

One call to :meth:`SqlRoutingStore.commit` is one transaction: the notification is marked
processed, the subject's placement state changes, the audit rows are written and every sealed
delivery is put in the outbox, or none of it is. Publishing happens after the commit, from the
outbox, each copy marked sent once RabbitMQ confirms it, in the same transaction as its
``delivery.published`` audit record: by the router at once, or by a relay (:meth:`due`) for
what the router could not publish, and for held copies once they are released. A crash before
the commit means the message is routed again; after it, the outbox is drained by the relay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    RowMapping,
    Select,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import AuditEntry
from hub.db import (
    outbox,
    processed_notifications,
)
from hub.messages import DEADLINE, OutboxCopy
from hub.sharing import (
    EpisodeChange,
    PlacementChange,
    RiskTold,
    RoutingState,
)
from hub.stores._audit_rows import append_audit, aware_utc
from hub.stores._group_commit import committing
from hub.stores._message_rows import (
    RELAY_GRACE,
    aware_or_none,
    message_from_row,
    message_properties,
)
from hub.stores._subject_state import load_state, remember

__all__ = ["SqlRoutingStore", "outbox_copy"]


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
        """What the hub knows of a subject known by any of ``subjects``: active placements,
        missing episodes and what each withdrawing rule's recipient was last told."""
        try:
            async with self._engine.connect() as connection:
                return await load_state(connection, sorted(subjects))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the routing state") from exc

    async def commit(
        self,
        event_key: str,
        *,
        subjects: Iterable[str],
        change: PlacementChange | None,
        entries: Iterable[AuditEntry],
        copies: Sequence[OutboxCopy],
        now: datetime,
        cancel_held: Sequence[str] = (),
        episode: EpisodeChange | None = None,
        told: Sequence[RiskTold] = (),
    ) -> bool:
        """Mark processed, apply the state change, audit and fill the outbox, atomically; False
        if another router committed this event first (then nothing of this call is written).

        A copy due at once is left to its router for :data:`RELAY_GRACE` before the relay may
        take it, so that the two rarely publish the same copy. The alerts still waiting on a
        clock in ``cancel_held`` are cancelled first (the clock stopped, or started again).
        """
        entries = tuple(entries)
        ordered = sorted(subjects)

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(
                insert(processed_notifications),
                [{"event_key": event_key, "processed_at": now.astimezone(UTC)}],
            )
            await remember(connection, ordered, change, episode, told, now)
            if cancel_held:
                await connection.execute(
                    update(outbox)
                    .where(
                        outbox.c.held_for.in_(sorted(set(cancel_held))),
                        outbox.c.kind == "alert",
                        outbox.c.sent_at.is_(None),
                        outbox.c.cancelled_at.is_(None),
                        outbox.c.next_attempt_at.is_(None),  # not yet claimed by a relay
                    )
                    .values(cancelled_at=now.astimezone(UTC))
                )
            if copies:
                await connection.execute(insert(outbox), [_outbox_row(c, now) for c in copies])
            # Last, so the chain's lock (PostgreSQL) is held only for the append.
            await append_audit(connection, entries)

        lost_race = False

        async def settled() -> bool:
            # Another router committed this event first: its rows and outbox stand. Otherwise
            # another writer moved the audit chain's head, and the work is tried again.
            nonlocal lost_race
            lost_race = await self.seen(event_key)
            return lost_race

        await committing(
            self._engine, work, failure="could not commit the routing state", settled=settled
        )
        return not lost_race

    async def pending(self, event_key: str, now: datetime) -> list[OutboxCopy]:
        """The event's copies due and not yet confirmed by the broker, by recipient."""
        query = (
            select(outbox)
            .where(outbox.c.event_key == event_key, *_due(now, claimed=False))
            .order_by(outbox.c.recipient)
        )
        return await self._copies(query)

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxCopy]:
        """Claim up to ``limit`` copies due to be published, for ``lease``, oldest first.

        A claim is a conditional update, so of several relays (processes) only one takes a
        copy; a relay that dies holding it lets the lease run out, and another takes it.
        """
        due_at = func.coalesce(outbox.c.release_at, outbox.c.created_at)
        query = select(outbox).where(*_due(now, claimed=True)).order_by(due_at).limit(limit)
        claimed: list[OutboxCopy] = []
        try:
            async with self._engine.begin() as connection:
                rows = (await connection.execute(query)).mappings().all()
                for row in rows:
                    taken = await connection.execute(
                        update(outbox)
                        .where(
                            outbox.c.event_key == row["event_key"],
                            outbox.c.recipient == row["recipient"],
                            *_due(now, claimed=True),
                        )
                        .values(next_attempt_at=(now + lease).astimezone(UTC))
                    )
                    if taken.rowcount == 1:
                        claimed.append(outbox_copy(row))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the outbox") from exc
        return claimed

    async def retry_later(self, copy: OutboxCopy, at: datetime) -> None:
        """Count a failed publish of ``copy`` and leave it until ``at``."""
        statement = (
            update(outbox)
            .where(*_key(copy), outbox.c.sent_at.is_(None))
            .values(attempts=outbox.c.attempts + 1, next_attempt_at=at.astimezone(UTC))
        )
        try:
            async with self._engine.begin() as connection:
                await connection.execute(statement)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not update the outbox") from exc

    async def sent_to(
        self,
        recipient: str,
        *,
        since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[tuple[OutboxCopy, datetime]]:
        """``recipient``'s copies published at least once, oldest first (for a replay)."""
        conditions: list[ColumnElement[bool]] = [
            outbox.c.recipient == recipient,
            outbox.c.sent_at.is_not(None),
            outbox.c.cancelled_at.is_(None),
            outbox.c.kind != DEADLINE,
        ]
        if since is not None:
            conditions.append(outbox.c.created_at >= since.astimezone(UTC))
        if after is not None:
            made, delivery = after
            conditions.append(
                tuple_(outbox.c.created_at, outbox.c.delivery_id)
                > tuple_(literal(made.astimezone(UTC), DateTime(timezone=True)), literal(delivery))
            )
        query = (
            select(outbox)
            .where(*conditions)
            .order_by(outbox.c.created_at, outbox.c.delivery_id)
            .limit(limit)
        )
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the outbox") from exc
        return [(outbox_copy(row), aware_utc(row["created_at"])) for row in rows]

    async def _copies(self, query: Select[Any]) -> list[OutboxCopy]:
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the outbox") from exc
        return [outbox_copy(row) for row in rows]

    async def mark_sent(
        self, copy: OutboxCopy, now: datetime, *, entries: Sequence[AuditEntry]
    ) -> bool:
        """Record that the broker confirmed ``copy``, and append ``entries``, in one transaction.

        Only a copy still unsent is marked, so a copy two routers published is audited once;
        returns whether this call marked it.
        """
        statement = (
            update(outbox)
            .where(*_key(copy), outbox.c.sent_at.is_(None))
            .values(sent_at=now.astimezone(UTC))
        )
        marked = False

        async def work(connection: AsyncConnection) -> None:
            nonlocal marked
            marked = (await connection.execute(statement)).rowcount == 1
            if marked:
                await append_audit(connection, entries)

        async def settled() -> bool:
            # Another router marked (and audited) this copy meanwhile: nothing is left to do.
            nonlocal marked
            query = select(outbox.c.sent_at).where(*_key(copy))
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

    async def mark_sent_all(
        self, marks: Sequence[tuple[OutboxCopy, Sequence[AuditEntry]]], now: datetime
    ) -> int:
        """:meth:`mark_sent` for several copies, in one transaction (one commit, one append)."""
        marked = 0

        async def work(connection: AsyncConnection) -> None:
            nonlocal marked
            marked = 0
            appended: list[AuditEntry] = []
            for copy, entries in marks:
                statement = (
                    update(outbox)
                    .where(*_key(copy), outbox.c.sent_at.is_(None))
                    .values(sent_at=now.astimezone(UTC))
                )
                if (await connection.execute(statement)).rowcount == 1:
                    marked += 1
                    appended.extend(entries)
            if appended:
                await append_audit(connection, appended)

        async def settled() -> bool:
            # Other routers marked (and audited) every one of these meanwhile.
            nonlocal marked
            keys = [_key(copy) for copy, _ in marks]
            try:
                async with self._engine.connect() as connection:
                    for key in keys:
                        if await connection.scalar(select(outbox.c.sent_at).where(*key)) is None:
                            return False
            except (SQLAlchemyError, OSError) as exc:
                raise StoreUnavailable("could not read the outbox") from exc
            marked = 0
            return True

        await committing(self._engine, work, failure="could not update the outbox", settled=settled)
        return marked


def _key(copy: OutboxCopy) -> tuple[ColumnElement[bool], ...]:
    return (outbox.c.event_key == copy.event_key, outbox.c.recipient == copy.recipient)


def _due(now: datetime, *, claimed: bool) -> tuple[ColumnElement[bool], ...]:
    """Unsent, not cancelled, released; with ``claimed``, also not leased to another relay."""
    at = now.astimezone(UTC)
    conditions = [
        outbox.c.sent_at.is_(None),
        outbox.c.cancelled_at.is_(None),
        or_(outbox.c.release_at.is_(None), outbox.c.release_at <= at),
    ]
    if claimed:
        conditions.append(or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= at))
    return tuple(conditions)


def _outbox_row(copy: OutboxCopy, now: datetime) -> dict[str, object]:
    held = copy.release_at is not None
    return {
        "event_key": copy.event_key,
        "recipient": copy.recipient,
        "delivery_id": copy.delivery_id,
        "kind": copy.kind,
        "body": copy.message.body,
        "properties": message_properties(
            copy.message,
            publisher=copy.publisher,
            on_release=[[action, dict(detail)] for action, detail in copy.on_release],
            about=None if copy.about is None else list(copy.about),
            subjects=list(copy.subjects),
        ),
        "created_at": now.astimezone(UTC),
        "sent_at": None,
        "release_at": None if copy.release_at is None else copy.release_at.astimezone(UTC),
        "held_for": copy.held_for,
        "acknowledge_by": None
        if copy.acknowledge_by is None
        else copy.acknowledge_by.astimezone(UTC),
        "attempts": 0,
        "next_attempt_at": None if held else (now + RELAY_GRACE).astimezone(UTC),
    }


def outbox_copy(row: RowMapping) -> OutboxCopy:
    """The copy an outbox row keeps."""
    properties = row["properties"]
    return OutboxCopy(
        event_key=row["event_key"],
        recipient=row["recipient"],
        delivery_id=row["delivery_id"],
        message=message_from_row(row["body"], properties),
        publisher=str(properties.get("publisher", "")),
        kind=row["kind"],
        release_at=aware_or_none(row["release_at"]),
        held_for=row["held_for"],
        acknowledge_by=aware_or_none(row["acknowledge_by"]),
        on_release=tuple(
            (str(action), dict(detail)) for action, detail in properties.get("on_release") or ()
        ),
        attempts=row["attempts"],
        about=_about(properties.get("about")),
        subjects=tuple(str(token) for token in properties.get("subjects") or ()),
    )


def _about(value: object) -> tuple[str, str] | None:
    if isinstance(value, list) and len(value) == 2:  # (id, type)
        return str(value[0]), str(value[1])
    return None
