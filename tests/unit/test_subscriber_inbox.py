"""The subscriber's inbox: the memory and SQLite kinds remember handled delivery ids, the SQLite
one across processes, and a broken file is a StoreUnavailable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hub import StoreUnavailable
from hub.messages import delivery_id
from hub.subscriber import Inbox, MemoryInbox, SqliteInbox

HANDLED_AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ONE = delivery_id("synthetic-one", "northumbria-police")
TWO = delivery_id("synthetic-two", "northumbria-police")


@pytest.fixture(params=["memory", "sqlite"])
async def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Inbox]:
    """Each kind of inbox, empty."""
    made: Inbox = MemoryInbox() if request.param == "memory" else SqliteInbox(tmp_path / "in.db")
    yield made
    await made.close()


async def test_an_inbox_knows_only_what_it_recorded(inbox: Inbox) -> None:
    """A recorded id is seen; another is not."""
    assert not await inbox.seen(ONE)

    await inbox.record(ONE, handled_at=HANDLED_AT)

    assert await inbox.seen(ONE)
    assert not await inbox.seen(TWO)


async def test_recording_twice_is_harmless(inbox: Inbox) -> None:
    """A second record of the same id (a retried write) neither fails nor forgets it."""
    await inbox.record(ONE, handled_at=HANDLED_AT)
    await inbox.record(ONE, handled_at=HANDLED_AT)

    assert await inbox.seen(ONE)


async def test_the_sqlite_inbox_remembers_across_instances(tmp_path: Path) -> None:
    """An id recorded through one SqliteInbox is seen by a new one on the same file."""
    path = tmp_path / "nested" / "inbox.sqlite"
    first = SqliteInbox(path)
    await first.record(ONE, handled_at=HANDLED_AT)
    await first.close()

    second = SqliteInbox(path)
    try:
        assert await second.seen(ONE)
        assert not await second.seen(TWO)
    finally:
        await second.close()


async def test_the_sqlite_inbox_stores_only_ids_and_times(tmp_path: Path) -> None:
    """The file holds one table of delivery ids and when they were handled, nothing else."""
    path = tmp_path / "inbox.sqlite"
    inbox = SqliteInbox(path)
    await inbox.record(ONE, handled_at=HANDLED_AT)
    await inbox.close()

    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            rows = (await connection.execute(sa.text("SELECT * FROM handled_deliveries"))).all()
    finally:
        await engine.dispose()
    assert tables == ["handled_deliveries"]
    assert [tuple(row) for row in rows] == [(ONE, "2026-11-29 09:00:00.000000")]


async def test_an_unusable_file_is_a_store_error(tmp_path: Path) -> None:
    """An inbox whose directory is a plain file raises StoreUnavailable on read and write."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    inbox = SqliteInbox(blocker / "inbox.sqlite")
    try:
        with pytest.raises(StoreUnavailable, match="cannot be read"):
            await inbox.seen(ONE)
        with pytest.raises(StoreUnavailable, match="cannot be written"):
            await inbox.record(ONE, handled_at=HANDLED_AT)
    finally:
        await inbox.close()
