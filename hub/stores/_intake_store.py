"""The intake outbox on SQL: an accepted notification and its audit record, in one transaction.

Rules:

1. :meth:`SqlIntakeStore.accept` commits the sealed notification and its ``notification.accepted``
   record together, or neither: the hub answers 202 only after this commit.
2. The row's key is the pseudonym of ``source`` + ``id``; a second post of it writes nothing and
   is told apart by its keyed content hash: the same (a retry) or another (a conflict).
3. A row is left to the request that committed it for :data:`RELAY_GRACE` before a relay may
   take it; a claim is a conditional update, so of several relays only one holds a row.
4. Once ingress has it, the row keeps only its key, its content hash and when: the sealed
   notification (which the hub could open) is dropped, so the hub keeps no copy it can read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.audit import AuditEntry
from hub.db import intake_outbox
from hub.messages import Acceptance, AcceptedCopy
from hub.stores._audit_rows import append_audit, aware_utc
from hub.stores._group_commit import committing
from hub.stores._message_rows import (
    RELAY_GRACE,
    claim_rows,
    message_from_row,
    message_properties,
)

__all__ = ["SqlIntakeStore"]


class SqlIntakeStore:
    """The intake-store port on SQL, in the audit log's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def accept(self, copy: AcceptedCopy, entry: AuditEntry) -> tuple[Acceptance, bool]:
        """Commit the acceptance and its audit record (rule 1), or say what is there (rule 2)."""
        row = {
            "event_key": copy.event_key,
            "content_sha256": copy.content,
            "publisher": copy.publisher,
            "body": copy.message.body,
            "properties": message_properties(copy.message),
            "accepted_at": copy.accepted_at.astimezone(UTC),
            "published_at": None,
            "attempts": 0,
            "next_attempt_at": (copy.accepted_at + RELAY_GRACE).astimezone(UTC),
        }
        existing: tuple[str, bool] | None = None

        async def work(connection: AsyncConnection) -> None:
            nonlocal existing
            existing = await self._existing(connection, copy.event_key)
            if existing is None:
                await connection.execute(insert(intake_outbox), [row])
                await append_audit(connection, (entry,))

        async def settled() -> bool:
            # A post of the same event committed meanwhile: nothing more is written.
            nonlocal existing
            try:
                async with self._engine.connect() as connection:
                    existing = await self._existing(connection, copy.event_key)
            except (SQLAlchemyError, OSError) as exc:
                raise StoreUnavailable("could not read the intake outbox") from exc
            return existing is not None

        await committing(
            self._engine, work, failure="could not accept the notification", settled=settled
        )
        if existing is None:
            return Acceptance.NEW, False
        content, published = existing
        same = Acceptance.REPEATED if content == copy.content else Acceptance.CONFLICTING
        return same, published

    @staticmethod
    async def _existing(connection: AsyncConnection, event_key: str) -> tuple[str, bool] | None:
        query = select(intake_outbox.c.content_sha256, intake_outbox.c.published_at).where(
            intake_outbox.c.event_key == event_key
        )
        found = (await connection.execute(query)).first()
        return None if found is None else (found.content_sha256, found.published_at is not None)

    async def mark_published(self, event_key: str, now: datetime) -> None:
        """Record that ingress confirmed the notification, and drop its sealed body (rule 4)."""
        await self._update(
            event_key,
            {"published_at": now.astimezone(UTC), "body": b""},
            failure="could not mark it published",
        )

    async def retry_later(self, event_key: str, at: datetime) -> None:
        """Count a failed publish and leave the acceptance until ``at``."""
        await self._update(
            event_key,
            {"attempts": intake_outbox.c.attempts + 1, "next_attempt_at": at.astimezone(UTC)},
            failure="could not update the intake outbox",
        )

    async def _update(self, event_key: str, values: dict[str, object], *, failure: str) -> None:
        statement = (
            update(intake_outbox)
            .where(intake_outbox.c.event_key == event_key, intake_outbox.c.published_at.is_(None))
            .values(values)
        )

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(statement)

        # Grouped with the acceptances committing meanwhile: one flush to disk for all of them.
        await committing(self._engine, work, failure=failure)

    async def unpublished(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[AcceptedCopy]:
        """Claim up to ``limit`` unpublished acceptances for ``lease``, oldest first (rule 3)."""
        at = now.astimezone(UTC)
        due = (
            intake_outbox.c.published_at.is_(None),
            or_(intake_outbox.c.next_attempt_at.is_(None), intake_outbox.c.next_attempt_at <= at),
        )
        try:
            async with self._engine.begin() as connection:
                rows = await claim_rows(
                    connection,
                    intake_outbox,
                    intake_outbox.c.event_key,
                    due,
                    order_by=(intake_outbox.c.accepted_at,),
                    limit=limit,
                    until=now + lease,
                )
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the intake outbox") from exc
        return [
            AcceptedCopy(
                event_key=row["event_key"],
                content=row["content_sha256"],
                publisher=row["publisher"],
                message=message_from_row(row["body"], row["properties"]),
                accepted_at=aware_utc(row["accepted_at"]),
                attempts=row["attempts"],
            )
            for row in rows
        ]
