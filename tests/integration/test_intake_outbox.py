"""The intake outbox on SQLite and PostgreSQL: one acceptance per source + id, however many
posts race for it, each with its audit record in the same commit; relays claim rows apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import AuditAction, AuditEntry
from hub.db import create_engine_for, intake_outbox
from hub.messages import Acceptance, AcceptedCopy, OutgoingMessage
from hub.stores import SqlAuditLog, SqlIntakeStore

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def _copy(event_key: str, content: str = "c1") -> AcceptedCopy:
    return AcceptedCopy(
        event_key=event_key,
        content=content,
        publisher="northumberland-childrens",
        message=OutgoingMessage(b"sealed-to-the-hub", f"id-{event_key}", "t", "corr"),
        accepted_at=NOW,
    )


def _accepted(event_key: str) -> AuditEntry:
    return AuditEntry(
        AuditAction.NOTIFICATION_ACCEPTED, NOW, notification_id=f"id-{event_key}", actor="x"
    )


@pytest.fixture
async def log(fresh_database_url: str) -> AsyncIterator[SqlAuditLog]:
    audit = SqlAuditLog.from_url(fresh_database_url)
    await audit.migrate()
    try:
        yield audit
    finally:
        await audit.close()


async def _accepted_records(log: SqlAuditLog) -> list[AuditEntry]:
    return [e for e in await log.entries() if e.action is AuditAction.NOTIFICATION_ACCEPTED]


async def test_a_post_is_new_then_repeated_then_conflicting(log: SqlAuditLog) -> None:
    """The first post commits its row and record; the same content again writes nothing; other
    content is told apart; one accepted record in all, and the chain verifies."""
    store = SqlIntakeStore(log.engine)
    assert await store.accept(_copy("e1"), _accepted("e1")) == (Acceptance.NEW, False)
    assert await store.accept(_copy("e1"), _accepted("e1")) == (Acceptance.REPEATED, False)
    await store.mark_published("e1", NOW)
    assert await store.accept(_copy("e1"), _accepted("e1")) == (Acceptance.REPEATED, True)
    assert await store.accept(_copy("e1", "c2"), _accepted("e1")) == (
        Acceptance.CONFLICTING,
        True,
    )
    assert len(await _accepted_records(log)) == 1
    assert (await log.verify()).broken is None


async def test_racing_posts_of_one_event_make_one_acceptance(
    log: SqlAuditLog, fresh_database_url: str
) -> None:
    """Six posts of the same event at once, each on its own engine: exactly one is new, the
    others see it as repeated, and exactly one acceptance is audited."""
    engines: list[AsyncEngine] = [create_engine_for(fresh_database_url) for _ in range(6)]
    try:
        outcomes = await asyncio.gather(
            *(SqlIntakeStore(e).accept(_copy("race"), _accepted("race")) for e in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()
    kinds = sorted(outcome for outcome, _ in outcomes)
    assert kinds == sorted([Acceptance.NEW, *[Acceptance.REPEATED] * 5])
    assert len(await _accepted_records(log)) == 1


async def test_relays_claim_unpublished_rows_apart_and_again_after_the_lease(
    log: SqlAuditLog, fresh_database_url: str
) -> None:
    """Two relays on their own engines never claim the same row (the loser of a race takes
    fewer, not the same); what neither took is claimed next; a row not marked published is
    claimable again once its lease has run out, and a published one never."""
    store = SqlIntakeStore(log.engine)
    for n in range(10):
        await store.accept(_copy(f"r{n}"), _accepted(f"r{n}"))
    later = NOW + timedelta(minutes=1)
    other = create_engine_for(fresh_database_url)
    try:
        first, second = await asyncio.gather(
            store.unpublished(later, limit=6, lease=timedelta(seconds=30)),
            SqlIntakeStore(other).unpublished(later, limit=6, lease=timedelta(seconds=30)),
        )
    finally:
        await other.dispose()
    claimed = [row.event_key for row in (*first, *second)]
    assert len(claimed) == len(set(claimed)) >= 6
    rest = await store.unpublished(later, limit=20, lease=timedelta(seconds=30))
    assert sorted([*claimed, *(row.event_key for row in rest)]) == sorted(
        f"r{n}" for n in range(10)
    )
    await store.mark_published("r0", later)
    again = await store.unpublished(later + timedelta(seconds=31), limit=20, lease=timedelta(0))
    assert sorted(row.event_key for row in again) == sorted(f"r{n}" for n in range(1, 10))
    assert again[0].message.body == b"sealed-to-the-hub"


async def test_once_ingress_has_it_the_row_keeps_no_sealed_notification(log: SqlAuditLog) -> None:
    """After mark-published the row holds its key and content hash only: the body the hub could
    open is gone, and a retried post is still told apart from a changed one."""
    store = SqlIntakeStore(log.engine)
    await store.accept(_copy("kept-1"), _accepted("kept-1"))
    await store.mark_published("kept-1", NOW)
    async with log.engine.connect() as connection:
        body = await connection.scalar(
            select(intake_outbox.c.body).where(intake_outbox.c.event_key == "kept-1")
        )
    assert bytes(body) == b""
    assert await store.accept(_copy("kept-1"), _accepted("kept-1")) == (Acceptance.REPEATED, True)
    assert await store.accept(_copy("kept-1", "c2"), _accepted("kept-1")) == (
        Acceptance.CONFLICTING,
        True,
    )
