"""Subject links on SQL: the ordering component of each pseudonym, and routing barriers.

Rules:

1. :meth:`SqlSubjectLinks.link` puts every pseudonym a notification names into one component,
   in one transaction: the component they already share; a new one (the smallest of them) if
   none is known; or, when they name several components, the smallest of those, into which the
   others are merged. It answers the component and the components merged away.
2. Only the one active resolver links (its queue has a single active consumer), so links are
   written in ingress order, and what :meth:`SqlSubjectLinks.plan` reads stays true until that
   resolver links; the primary key still refuses a second row for a pseudonym should
   two resolvers overlap while the broker hands over, and the link is then tried again.
3. A barrier is a row the resolver opens before it sends a marker down a shard, and the
   shard's router passes; the resolver deletes it once it has seen it passed.
4. The tables hold pseudonyms, shard numbers and times: nothing about a person.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub._exceptions import StoreUnavailable
from hub.db import routing_barriers, subject_links
from hub.ports import Linked

__all__ = ["SqlSubjectLinks"]

_LINK_ATTEMPTS = 3


class SqlSubjectLinks:
    """The subject-link port on SQL, in the routing state's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def link(self, keys: Iterable[str], now: datetime) -> Linked:
        """Put ``keys`` (pseudonyms, at least one) into one component (rules 1 and 2)."""
        wanted = sorted(set(keys))
        if not wanted:
            raise ValueError("a notification names at least one subject pseudonym")
        failure = "could not link the subject's pseudonyms"
        attempt = 1
        while True:
            try:
                async with self._engine.begin() as connection:
                    return await _link(connection, wanted, now.astimezone(UTC))
            except IntegrityError as exc:  # two resolvers overlapped (rule 2): read again
                if attempt == _LINK_ATTEMPTS:
                    raise StoreUnavailable(failure) from exc
                attempt += 1
            except (SQLAlchemyError, OSError) as exc:
                raise StoreUnavailable(failure) from exc

    async def plan(self, keys: Iterable[str]) -> Linked:
        """What :meth:`link` would make of ``keys`` now, writing nothing (rule 1)."""
        wanted = sorted(set(keys))
        if not wanted:
            raise ValueError("a notification names at least one subject pseudonym")
        try:
            async with self._engine.connect() as connection:
                return _planned(wanted, await _known(connection, wanted))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read the subject's links") from exc

    async def open_barrier(self, shard: int, now: datetime) -> str:
        """A new barrier for ``shard`` (rule 3): its id, to put on the marker."""
        barrier = secrets.token_hex(16)
        row = {"barrier_id": barrier, "shard": shard, "created_at": now.astimezone(UTC)}
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(routing_barriers), [row])
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not open a routing barrier") from exc
        return barrier

    async def pass_barrier(self, barrier: str, now: datetime) -> None:
        """Mark ``barrier`` passed: its shard has routed everything sent before it."""
        passed = (
            update(routing_barriers)
            .where(routing_barriers.c.barrier_id == barrier)
            .values(passed_at=now.astimezone(UTC))
        )
        try:
            async with self._engine.begin() as connection:
                await connection.execute(passed)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not pass a routing barrier") from exc

    async def passed(self, barrier: str) -> bool:
        """Whether ``barrier`` was passed; one seen passed is deleted (rule 3)."""
        row = routing_barriers.c
        try:
            async with self._engine.begin() as connection:
                found = (
                    await connection.execute(
                        select(row.barrier_id).where(
                            row.barrier_id == barrier, row.passed_at.is_not(None)
                        )
                    )
                ).first()
                if found is None:
                    return False
                await connection.execute(delete(routing_barriers).where(row.barrier_id == barrier))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable("could not read a routing barrier") from exc
        return True


async def _known(connection: AsyncConnection, keys: list[str]) -> dict[str, str]:
    row = subject_links.c
    found = await connection.execute(
        select(row.subject_key, row.component).where(row.subject_key.in_(keys))
    )
    return {str(key): str(component) for key, component in found}


def _planned(keys: list[str], known: dict[str, str]) -> Linked:
    components = sorted(set(known.values()))
    return Linked(components[0] if components else keys[0], tuple(components[1:]))


async def _link(connection: AsyncConnection, keys: list[str], now: datetime) -> Linked:
    row = subject_links.c
    known = await _known(connection, keys)
    component, merged = (planned := _planned(keys, known)).component, planned.merged
    if merged:
        await connection.execute(
            update(subject_links).where(row.component.in_(merged)).values(component=component)
        )
    new = [
        {"subject_key": key, "component": component, "linked_at": now}
        for key in keys
        if key not in known
    ]
    if new:
        await connection.execute(insert(subject_links), new)
    return planned
