"""An outgoing message as an outbox row keeps it (the body, and its AMQP properties as JSON),
how long a relay leaves a fresh row to whoever committed it, and how a relay claims rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Column, ColumnElement, RowMapping, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.messages import OutgoingMessage
from hub.stores._audit_rows import aware_utc

__all__ = [
    "RELAY_GRACE",
    "aware_or_none",
    "claim_rows",
    "message_from_row",
    "message_properties",
]

# How long a row due at once is left to the request or router that committed it (which
# publishes it straight away) before a relay may take it: the two rarely publish it both.
RELAY_GRACE: Final = timedelta(seconds=5)


def message_properties(message: OutgoingMessage, **extra: Any) -> dict[str, Any]:
    """The JSON ``properties`` column of ``message``, with ``extra`` members of the store's."""
    return {
        "message_id": message.message_id,
        "type": message.type,
        "correlation_id": message.correlation_id,
        "content_type": message.content_type,
        "headers": message.headers,
        **extra,
    }


def message_from_row(body: bytes, properties: Mapping[str, Any]) -> OutgoingMessage:
    """The message a row keeps, exactly as it was committed."""
    headers = properties.get("headers")
    correlation_id = properties["correlation_id"]
    return OutgoingMessage(
        body=bytes(body),
        message_id=str(properties["message_id"]),
        type=str(properties["type"]),
        correlation_id=None if correlation_id is None else str(correlation_id),
        content_type=str(properties["content_type"]),
        headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {},
    )


def aware_or_none(moment: datetime | None) -> datetime | None:
    """A nullable time read back from the database, aware."""
    return None if moment is None else aware_utc(moment)


async def claim_rows(
    connection: AsyncConnection,
    table: Table,
    key: Column[Any],
    due: Sequence[ColumnElement[bool]],
    *,
    order_by: Sequence[ColumnElement[Any]],
    limit: int,
    until: datetime,
) -> list[RowMapping]:
    """Claim up to ``limit`` of ``table``'s ``due`` rows until ``until``, in ``order_by``: each
    by a conditional update on its single-column ``key``, so that of several relays only one
    takes a row; the rows this call took."""
    query = select(table).where(*due).order_by(*order_by).limit(limit)
    claimed: list[RowMapping] = []
    for row in (await connection.execute(query)).mappings().all():
        taken = await connection.execute(
            update(table)
            .where(key == row[key.name], *due)
            .values(next_attempt_at=until.astimezone(UTC))
        )
        if taken.rowcount == 1:
            claimed.append(row)
    return claimed
