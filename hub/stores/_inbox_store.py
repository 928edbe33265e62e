"""An agency's HTTP inbox on SQL: the outbox rows released to it, read by their recipient.

Rules:

1. A copy is in an agency's inbox once it is released to it: its outbox row is marked sent
   (published to the agency's queue, or, for an agency that reads only its inbox, marked sent
   without a publish). A held copy still waiting, a cancelled one and a deadline marker (never
   a delivery) are in no inbox.
2. *Pending* is released and not acknowledged by its recipient with any action; it is listed
   oldest release first, then by delivery id, so a (released at, delivery id) position pages it.
3. Every read names the recipient in its ``WHERE`` clause: another agency's copy and no copy
   read alike (None), so object-level authorisation is in the query, not after it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    RowMapping,
    Select,
    exists,
    literal,
    select,
    tuple_,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.db import acknowledgements, outbox
from hub.messages import DEADLINE, InboxCopy
from hub.stores._audit_rows import aware_utc
from hub.stores._routing_store import outbox_copy

__all__ = ["SqlInboxStore"]

_ACKNOWLEDGED = exists().where(
    acknowledgements.c.delivery_id == outbox.c.delivery_id,
    acknowledgements.c.agency == outbox.c.recipient,
)


def _released_to(recipient: str) -> tuple[ColumnElement[bool], ...]:
    """Rules 1 and 3: the recipient's own rows, released, never cancelled or a marker."""
    return (
        outbox.c.recipient == recipient,
        outbox.c.sent_at.is_not(None),
        outbox.c.cancelled_at.is_(None),
        outbox.c.kind != DEADLINE,
    )


class SqlInboxStore:
    """The inbox port on SQL, over the delivery outbox and the acknowledgements."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def pending(
        self, recipient: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[InboxCopy]:
        """``recipient``'s released copies it has not acknowledged, oldest first (rule 2)."""
        conditions = [*_released_to(recipient), ~_ACKNOWLEDGED]
        if after is not None:
            released, delivery = after
            conditions.append(
                tuple_(outbox.c.sent_at, outbox.c.delivery_id)
                > tuple_(
                    literal(released.astimezone(UTC), DateTime(timezone=True)), literal(delivery)
                )
            )
        query = (
            select(outbox, literal(False).label("acknowledged"))
            .where(*conditions)
            .order_by(outbox.c.sent_at, outbox.c.delivery_id)
            .limit(limit)
        )
        return [_inbox_copy(row) for row in await self._rows(query)]

    async def copy(self, recipient: str, delivery_id: str) -> InboxCopy | None:
        """The copy ``delivery_id`` released to ``recipient``, acknowledged or not (rule 3)."""
        query = select(outbox, _ACKNOWLEDGED.label("acknowledged")).where(
            outbox.c.delivery_id == delivery_id, *_released_to(recipient)
        )
        rows = await self._rows(query)
        return _inbox_copy(rows[0]) if rows else None

    async def _rows(self, query: Select[Any]) -> list[RowMapping]:
        try:
            async with self._engine.connect() as connection:
                return list((await connection.execute(query)).mappings().all())
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the inbox") from exc


def _inbox_copy(row: RowMapping) -> InboxCopy:
    return InboxCopy(
        copy=outbox_copy(row),
        released_at=aware_utc(row["sent_at"]),
        acknowledged=bool(row["acknowledged"]),
    )
