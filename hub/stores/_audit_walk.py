"""Reading the audit chain for verification, in ``seq`` order, as fast as each database allows.

Rules:

1. The walk reads the records after a position in batches by key (``seq > position ORDER BY
   seq LIMIT batch``), so each batch costs the same however far into the log it is.
2. ``detail`` is read as the text the store kept, never parsed by the driver: the verifier
   splices it into the canonical document as it is (rule 7 of :mod:`hub.audit._chain`).
3. On PostgreSQL the walk goes straight through asyncpg with one prepared statement, and asks
   for the next batch before checking the current one, so the server reads and sends it while
   this process hashes. On SQLite it reads through SQLAlchemy, one batch at a time.
4. The walk stops at the first break. ``progress`` hears the number checked after each batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.audit import STORED_COLUMNS, ChainVerifier
from hub.db import audit_records

__all__ = ["walk_chain"]

_SELECTED: Final = ", ".join(
    "detail::text AS detail" if c == "detail" else c for c in STORED_COLUMNS
)
# Fixed column names only; the position and the batch are bound parameters.
_POSTGRES_BATCH: Final = (
    f"SELECT {_SELECTED} FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2"  # noqa: S608
)


async def walk_chain(
    connection: AsyncConnection,
    verifier: ChainVerifier,
    *,
    batch: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Feed ``verifier`` every record after its head, in ``seq`` order, until the end or the
    first break (rules 1 to 4)."""
    if connection.dialect.name == "postgresql":
        await _walk_postgres(connection, verifier, batch, progress)
    else:
        await _walk_sqlalchemy(connection, verifier, batch, progress)


async def _walk_postgres(
    connection: AsyncConnection,
    verifier: ChainVerifier,
    batch: int,
    progress: Callable[[int], None] | None,
) -> None:
    driver: Any = (await connection.get_raw_connection()).driver_connection
    statement = await driver.prepare(_POSTGRES_BATCH)
    pending: asyncio.Future[Any] | None = asyncio.ensure_future(
        statement.fetch(verifier.head_seq, batch)
    )
    feed = verifier.feed_columns
    try:
        while pending is not None:
            rows = await pending
            pending = None
            if len(rows) == batch:
                pending = asyncio.ensure_future(statement.fetch(rows[-1]["seq"], batch))
                await asyncio.sleep(0)  # let it send the query before this batch is hashed
            for row in rows:
                if not feed(row):
                    return
            if progress is not None:
                progress(verifier.checked)
    finally:
        if pending is not None:
            # The connection serves one query at a time: let it finish; its rows are not needed.
            with contextlib.suppress(Exception):
                await pending


async def _walk_sqlalchemy(
    connection: AsyncConnection,
    verifier: ChainVerifier,
    batch: int,
    progress: Callable[[int], None] | None,
) -> None:
    columns = [
        type_coerce(audit_records.c.detail, Text).label("detail")
        if name == "detail"
        else audit_records.c[name]
        for name in STORED_COLUMNS
    ]
    query = select(*columns).order_by(audit_records.c.seq).limit(batch)
    feed = verifier.feed_columns
    position = verifier.head_seq
    while True:
        result = await connection.execute(query.where(audit_records.c.seq > position))
        rows = result.all()
        if not all(feed(row) for row in rows):
            return
        if progress is not None:
            progress(verifier.checked)
        if len(rows) < batch:
            return
        position = rows[-1].seq
