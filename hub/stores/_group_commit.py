"""Group commit: the transactions one process makes on the audit log's database, committed together.

Every store's write that appends to the audit chain is a *work*: a coroutine that runs its
statements on the connection it is given, in the caller's one transaction. Each durable commit
costs a flush to disk, and on PostgreSQL every commit that appends holds the chain's lock until
that flush returns, so one commit per work caps the whole hub at the disk's commit rate.

Rules:

1. :func:`committing` is the one way to run a work. A work that arrives while none is running
   on its engine runs alone at once. Works that arrive while a group is committing wait, and
   the next group runs all of them (at most :data:`GROUP_LIMIT`), in arrival order, in one
   transaction: each work in turn, then one append of all their audit records (one chain lock,
   one head read, one insert), then one commit. A caller returns only after its group committed.
2. Inside a transaction, :func:`~hub.stores._audit_rows.append_audit` only gathers records
   (:func:`~hub.stores._audit_rows.gathering`); they are linked once, after the last work, so
   the chain's lock is held for that append and the commit only.
3. A group commits all or nothing, and works see the writes of the works before them in it.
   If any work fails, or the chain conflicts, nothing of the group is committed, and each of its
   works runs again alone, in order, as it would have without grouping (rule 4), so one bad work
   fails only its own caller.
4. A work alone is retried from a fresh head after a conflict (a stale head: another writer took
   the ``seq``), :data:`APPEND_ATTEMPTS` times after a short jittered pause, unless ``settled``
   says another writer did its work meanwhile. Every other database error is
   :class:`~hub.StoreUnavailable`, and so is any failure of a commit itself, alone or grouped:
   whether such a commit happened is unknown, and running the work again could record it twice.
5. A caller cancelled before its group starts is left out of it, and out of the re-runs of a
   group that failed; one cancelled later may still have its work committed, as with any
   transaction cancelled at its commit.
6. Groups are per engine object (every store of a process shares one) and per event loop. A
   group holds its engine only while it has work, so a disposed engine is not kept alive.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.stores._audit_rows import gathering

__all__ = ["APPEND_ATTEMPTS", "CHAIN_CONFLICTS", "GROUP_LIMIT", "committing"]

APPEND_ATTEMPTS: Final = 8
GROUP_LIMIT: Final = 64
# A stale head: another writer took the seq (unique), or SQLite's snapshot went stale.
CHAIN_CONFLICTS: Final = (IntegrityError, OperationalError)

Work = Callable[[AsyncConnection], Awaitable[None]]
Settled = Callable[[], Awaitable[bool]]


async def committing(
    engine: AsyncEngine, work: Work, *, failure: str, settled: Settled | None = None
) -> None:
    """Run ``work`` in a transaction that may append to the chain, grouped with others (rule 1).

    ``settled`` says, after a conflict, whether another writer already did this work (then
    nothing is retried); ``failure`` is the :class:`~hub.StoreUnavailable` message.
    """
    loop = asyncio.get_running_loop()
    group = _groups.get(engine)
    if group is None or group.loop is not loop:
        group = _groups[engine] = _Group(loop)
    await group.submit(engine, _Pending(work, failure, settled, loop.create_future()))


@dataclass(eq=False)
class _Pending:
    work: Work
    failure: str
    settled: Settled | None
    done: asyncio.Future[None]


@dataclass(eq=False)
class _Group:
    loop: asyncio.AbstractEventLoop
    waiting: deque[_Pending] = field(default_factory=deque)
    current: list[_Pending] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None

    async def submit(self, engine: AsyncEngine, pending: _Pending) -> None:
        self.waiting.append(pending)
        if self.runner is None:
            runner = self.runner = self.loop.create_task(self._run(engine))
            runner.add_done_callback(self._stopped)
        await pending.done

    async def _run(self, engine: AsyncEngine) -> None:
        while self.waiting:
            taken = (self.waiting.popleft() for _ in range(min(GROUP_LIMIT, len(self.waiting))))
            # A caller cancelled while it waited is left out (rule 5).
            self.current = [pending for pending in taken if not pending.done.done()]
            if len(self.current) == 1:
                await _settle(self.current[0], _alone(engine, self.current[0]))
            elif self.current:
                await _commit_together(engine, self.current)
        self.current = []
        self.runner = None

    def _stopped(self, runner: asyncio.Task[None]) -> None:
        """The runner ended: if it was cancelled (a callback, so even before its first step),
        no caller is left waiting for it; whatever it held or had not reached failed."""
        if self.runner is runner:
            self.runner = None
        if not runner.cancelled():
            return
        for pending in (*self.current, *self.waiting):
            _fail(pending, StoreUnavailable(pending.failure), asyncio.CancelledError())
        self.current = []
        self.waiting.clear()


async def _commit_together(engine: AsyncEngine, group: list[_Pending]) -> None:
    at_commit = False
    try:
        async with engine.begin() as connection:
            async with gathering(connection):
                for pending in group:
                    await pending.work(connection)
            at_commit = True
    except Exception as exc:  # noqa: BLE001 - sorted below, and handed on to the callers
        if at_commit:
            # Committed or not, no one can tell: nothing is run again (rule 4).
            for pending in group:
                _fail(pending, StoreUnavailable(pending.failure), exc)
            return
        for pending in group:  # nothing was committed: each work again, alone (rule 3)
            if not pending.done.done():  # its caller was cancelled meanwhile (rule 5)
                await _settle(pending, _alone(engine, pending))
        return
    for pending in group:
        _resolve(pending)


def _fail(pending: _Pending, error: Exception, cause: BaseException) -> None:
    if not pending.done.done():
        error.__cause__ = cause
        pending.done.set_exception(error)


async def _settle(pending: _Pending, outcome: Awaitable[None]) -> None:
    try:
        await outcome
    except Exception as exc:  # noqa: BLE001 - handed to the caller it belongs to
        if not pending.done.done():
            pending.done.set_exception(exc)
    else:
        _resolve(pending)


def _resolve(pending: _Pending) -> None:
    if not pending.done.done():
        pending.done.set_result(None)


async def _alone(engine: AsyncEngine, pending: _Pending) -> None:
    """One work in its own transaction, retried after a conflict (rule 4)."""
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        at_commit = False
        try:
            async with engine.begin() as connection:
                async with gathering(connection):
                    await pending.work(connection)
                at_commit = True
        except CHAIN_CONFLICTS as exc:
            if at_commit:  # it may have committed: never run twice (rule 4)
                raise StoreUnavailable(pending.failure) from exc
            if pending.settled is not None and await pending.settled():
                return
            if attempt == APPEND_ATTEMPTS:
                raise StoreUnavailable(pending.failure) from exc
            await _pause_before_retry(attempt)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(pending.failure) from exc
        else:
            return


async def _pause_before_retry(attempt: int) -> None:
    """A short pause, growing and jittered, so that writers who collided do not collide again."""
    # Not a secret: the jitter only spreads retries apart.
    await asyncio.sleep(min(0.2, 0.005 * 2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311


_groups: weakref.WeakKeyDictionary[AsyncEngine, _Group] = weakref.WeakKeyDictionary()
