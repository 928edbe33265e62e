"""Group commit on the real databases: many callers, few commits, and one bad work fails alone."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from hub import StoreUnavailable
from hub.audit import AuditAction, AuditEntry
from hub.db import audit_records
from hub.stores import SqlAuditLog

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CALLERS = 40
# At a commit, an OperationalError is no stale head (that fails the insert before): the commit
# may have happened, like any other failure there.
COMMIT_FAILURES = (
    OSError("the database went away at the commit"),
    OperationalError("COMMIT", None, Exception("disk I/O error")),
)
COMMIT_FAILURE_IDS = ("os-error", "operational-error")


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        recorded_at=T0 + timedelta(seconds=n),
        action=AuditAction.NOTIFICATION_ACCEPTED,
        correlation_id=f"corr-{n}",
        notification_id=f"n-{n}",
        actor="police",
        detail={"n": str(n)},
    )


@pytest.fixture
async def log(fresh_database_url: str) -> AsyncIterator[SqlAuditLog]:
    """An empty, migrated audit log on SQLite and on PostgreSQL."""
    log = SqlAuditLog.from_url(fresh_database_url)
    await log.migrate()
    try:
        yield log
    finally:
        await log.close()


def _count_commits(log: SqlAuditLog) -> list[int]:
    commits = [0]

    def count(_: Any) -> None:
        commits[0] += 1

    event.listen(log.engine.sync_engine, "commit", count)
    return commits


async def _numbers(log: SqlAuditLog) -> list[str]:
    async with log.engine.connect() as connection:
        rows = await connection.execute(
            select(audit_records.c.detail).order_by(audit_records.c.seq)
        )
        return [row.detail["n"] for row in rows]


async def test_callers_at_once_share_commits_and_keep_one_chain(log: SqlAuditLog) -> None:
    """Forty records written at once take far fewer commits, and the chain holds every one."""
    commits = _count_commits(log)

    await asyncio.gather(*(log.record(_entry(n)) for n in range(CALLERS)))

    verifier = await log.verify()
    assert verifier.broken is None
    assert verifier.checked == CALLERS
    assert sorted(await _numbers(log), key=int) == [str(n) for n in range(CALLERS)]
    assert commits[0] <= CALLERS // 4


async def test_a_group_appends_in_the_order_its_callers_came(log: SqlAuditLog) -> None:
    """Records of callers grouped together are chained in the order the callers arrived."""
    await asyncio.gather(*(log.record(_entry(n)) for n in range(CALLERS)))

    assert await _numbers(log) == [str(n) for n in range(CALLERS)]


async def test_one_failing_work_fails_only_its_caller(log: SqlAuditLog) -> None:
    """A record the chain refuses (a float in its detail) fails only its own caller; the
    others grouped with it are committed."""
    entries = [_entry(n) for n in range(10)]
    entries.insert(5, replace(_entry(999), detail={"n": 0.5}))

    outcomes = await asyncio.gather(*(log.record(e) for e in entries), return_exceptions=True)

    assert [type(o) for o in outcomes] == [type(None)] * 5 + [TypeError] + [type(None)] * 5
    assert await _numbers(log) == [str(n) for n in range(10)]
    assert (await log.verify()).broken is None


@pytest.mark.parametrize("failure", COMMIT_FAILURES, ids=COMMIT_FAILURE_IDS)
async def test_a_failed_group_commit_fails_every_caller_and_runs_nothing_again(
    log: SqlAuditLog, failure: Exception
) -> None:
    """When a group's commit fails, no one can say whether it happened: every caller hears
    StoreUnavailable and no work is tried a second time."""
    commits = [0]

    def refuse_after_the_first(_: Any) -> None:
        commits[0] += 1
        if commits[0] > 1:
            raise failure

    event.listen(log.engine.sync_engine, "commit", refuse_after_the_first)
    first = asyncio.ensure_future(log.record(_entry(0)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the first now runs alone; the next five wait and form a group
    others = [log.record(_entry(n)) for n in range(1, 6)]
    outcomes = await asyncio.gather(first, *others, return_exceptions=True)
    event.remove(log.engine.sync_engine, "commit", refuse_after_the_first)

    assert outcomes[0] is None
    assert all(isinstance(o, StoreUnavailable) for o in outcomes[1:]), outcomes
    assert commits[0] == 2  # the first's, and the group's one try
    assert await _numbers(log) == ["0"]


async def test_a_caller_cancelled_while_waiting_is_left_out(log: SqlAuditLog) -> None:
    """A caller cancelled before its group started has nothing written; the others do."""
    first = asyncio.ensure_future(log.record(_entry(0)))
    await asyncio.sleep(0)  # the first now runs alone; the next three wait for it
    waiting = [asyncio.ensure_future(log.record(_entry(n))) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    waiting[1].cancel()

    await first
    results = await asyncio.gather(*waiting, return_exceptions=True)

    assert isinstance(results[1], asyncio.CancelledError)
    assert await _numbers(log) == ["0", "1", "3"]


@pytest.mark.parametrize("failure", COMMIT_FAILURES, ids=COMMIT_FAILURE_IDS)
async def test_a_commit_that_fails_alone_is_not_tried_again(
    log: SqlAuditLog, failure: Exception
) -> None:
    """A lone work whose commit fails (an OperationalError too, which before the commit means a
    stale head) is StoreUnavailable at once: it may have committed, so it is not re-run."""
    commits = [0]

    def refuse(_: Any) -> None:
        commits[0] += 1
        raise failure

    event.listen(log.engine.sync_engine, "commit", refuse)
    with pytest.raises(StoreUnavailable):
        await log.record(_entry(0))
    event.remove(log.engine.sync_engine, "commit", refuse)

    assert commits[0] == 1


async def test_a_disposed_engine_is_not_kept_alive(fresh_database_url: str) -> None:
    """Once a log that wrote is closed and dropped, nothing of the group commit holds its engine."""
    log = SqlAuditLog.from_url(fresh_database_url)
    await log.migrate()
    await asyncio.gather(*(log.record(_entry(n)) for n in range(3)))
    engine = weakref.ref(log.engine)
    await log.close()
    del log
    gc.collect()

    assert engine() is None


async def test_writes_go_on_after_the_runner_is_cancelled_before_it_starts(
    log: SqlAuditLog,
) -> None:
    """If the task that commits is cancelled before its first step (as a shutdown cancelling
    every task does), its waiting caller hears StoreUnavailable instead of waiting for ever,
    and later writes start a runner of their own."""
    waiting = asyncio.ensure_future(log.record(_entry(0)))
    await asyncio.sleep(0)  # the write is queued and its runner created, not yet started
    runners = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "_Group._run"]  # type: ignore[union-attr]
    for runner in runners:
        runner.cancel()
    await asyncio.sleep(0)

    with pytest.raises(StoreUnavailable):
        await asyncio.wait_for(waiting, timeout=10)
    await asyncio.wait_for(log.record(_entry(1)), timeout=10)

    assert runners
    assert await _numbers(log) == ["1"]
