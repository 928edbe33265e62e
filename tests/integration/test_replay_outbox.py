"""The replay outbox on SQLite and PostgreSQL: a page's copies and its ``delivery.replayed``
record in one commit; relays claim each copy apart, for a lease; a sent copy keeps no body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub import StoreUnavailable
from hub.audit import AuditAction, AuditEntry
from hub.db import replay_outbox
from hub.messages import REPLAY_HEADER, OutgoingMessage, ReplayCopy
from hub.stores import SqlAuditLog, SqlReplayStore

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
POLICE = "northumbria-police"


def _copy(n: int) -> ReplayCopy:
    message = OutgoingMessage(
        f"sealed-to-the-police-{n}".encode(),
        f"id-{n}",
        "t",
        "corr",
        headers={REPLAY_HEADER: "true"},
    )
    return ReplayCopy(f"{n:032x}", POLICE, f"{n + 100:032x}", message)


def _replayed(*copies: ReplayCopy) -> AuditEntry:
    return AuditEntry(
        AuditAction.DELIVERY_REPLAYED,
        NOW,
        actor=POLICE,
        recipient=POLICE,
        detail={"delivery_ids": [c.delivery_id for c in copies]},
    )


@pytest.fixture
async def log(fresh_database_url: str) -> AsyncIterator[SqlAuditLog]:
    audit = SqlAuditLog.from_url(fresh_database_url)
    await audit.migrate()
    try:
        yield audit
    finally:
        await audit.close()


async def test_a_page_commits_with_its_record_and_is_claimed_once_per_lease(
    log: SqlAuditLog,
) -> None:
    """Two copies and their record are committed together; a relay claims both, as queued; a
    second relay within the lease claims none, and after it both again."""
    store = SqlReplayStore(log.engine)
    copies = (_copy(1), _copy(2))
    await store.request(copies, _replayed(*copies))
    (record,) = await log.entries(action=AuditAction.DELIVERY_REPLAYED)
    claimed = await store.due(NOW, limit=10, lease=LEASE)
    assert record.detail["delivery_ids"] == [c.delivery_id for c in copies]
    assert claimed == list(copies)
    assert await store.due(NOW + LEASE / 2, limit=10, lease=LEASE) == []
    assert len(await store.due(NOW + LEASE, limit=10, lease=LEASE)) == 2


async def test_a_failed_copy_counts_its_attempts_and_a_sent_one_keeps_no_body(
    log: SqlAuditLog,
) -> None:
    """``retry_later`` counts an attempt and holds the copy until its time; ``mark_sent`` ends
    it: never claimed again, its sealed body dropped, its ids kept."""
    store = SqlReplayStore(log.engine)
    await store.request([_copy(1)], _replayed(_copy(1)))
    (copy,) = await store.due(NOW, limit=10, lease=LEASE)
    await store.retry_later(copy, NOW + timedelta(seconds=2))
    assert await store.due(NOW + timedelta(seconds=1), limit=10, lease=LEASE) == []
    (again,) = await store.due(NOW + timedelta(seconds=2), limit=10, lease=LEASE)
    assert again.attempts == 1
    await store.mark_sent(again, NOW + timedelta(seconds=3))
    assert await store.due(NOW + timedelta(hours=1), limit=10, lease=LEASE) == []
    async with log.engine.connect() as connection:
        row = (await connection.execute(select(replay_outbox))).mappings().one()
    assert (bytes(row["body"]), row["delivery_id"]) == (b"", copy.delivery_id)
    assert row["sent_at"] is not None


async def test_a_page_that_cannot_commit_leaves_neither_copies_nor_record(
    log: SqlAuditLog,
) -> None:
    """A page whose copy collides with a row already there fails as ``StoreUnavailable``: no
    new record, and no copy of it, is left behind."""
    store = SqlReplayStore(log.engine)
    await store.request([_copy(1)], _replayed(_copy(1)))
    with pytest.raises(StoreUnavailable):
        await store.request([_copy(2), _copy(1)], _replayed(_copy(2), _copy(1)))
    assert len(await log.entries(action=AuditAction.DELIVERY_REPLAYED)) == 1
    assert [c.replay_id for c in await store.due(NOW, limit=10, lease=LEASE)] == ["1".zfill(32)]


async def test_waiting_counts_an_agencys_unsent_copies_only(log: SqlAuditLog) -> None:
    """``waiting`` counts the recipient's copies not yet sent: two queued, one sent, none of
    another agency's."""
    store = SqlReplayStore(log.engine)
    copies = (_copy(1), _copy(2), _copy(3))
    await store.request(copies, _replayed(*copies))
    await store.mark_sent(copies[0], NOW)
    assert await store.waiting(POLICE) == 2
    assert await store.waiting("northumberland-education") == 0
