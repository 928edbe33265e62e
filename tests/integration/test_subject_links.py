"""The subject links and routing barriers on SQLite and PostgreSQL (hub.stores)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.db import create_engine_for, migrate, routing_barriers, subject_links
from hub.ports import Linked
from hub.stores import SqlSubjectLinks

NOW = datetime.fromisoformat("2026-12-02T10:00:00+00:00")


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database of each kind."""
    engine = create_engine_for(fresh_database_url)
    await migrate(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _components(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(subject_links.c.subject_key, subject_links.c.component)
        )
        return {str(key): str(component) for key, component in rows}


async def test_new_keys_form_a_component_named_by_the_smallest(engine: AsyncEngine) -> None:
    """Keys never seen before become one component, named by the smallest of them."""
    links = SqlSubjectLinks(engine)
    assert await links.link(["k2", "k1"], NOW) == Linked("k1")
    assert await _components(engine) == {"k1": "k1", "k2": "k1"}


async def test_a_key_seen_before_brings_the_new_ones_into_its_component(
    engine: AsyncEngine,
) -> None:
    """A later notification naming one known key joins its component, merging nothing."""
    links = SqlSubjectLinks(engine)
    await links.link(["m1", "m2"], NOW)
    assert await links.link(["a0", "m2"], NOW) == Linked("m1")
    assert (await _components(engine))["a0"] == "m1"


async def test_keys_of_two_components_merge_them_into_the_smaller(engine: AsyncEngine) -> None:
    """Naming keys of two components moves every key of the larger id into the smaller."""
    links = SqlSubjectLinks(engine)
    await links.link(["x1", "x2"], NOW)
    await links.link(["b1", "b2"], NOW)
    assert await links.link(["x2", "b1", "new"], NOW) == Linked("b1", ("x1",))
    assert set((await _components(engine)).values()) == {"b1"}
    assert await links.link(["x1"], NOW) == Linked("b1")


async def test_a_barrier_is_passed_once_and_then_forgotten(engine: AsyncEngine) -> None:
    """An open barrier is not passed; once passed it reads so once and its row is deleted."""
    links = SqlSubjectLinks(engine)
    barrier = await links.open_barrier(5, NOW)
    assert not await links.passed(barrier)
    await links.pass_barrier(barrier, NOW)
    assert await links.passed(barrier)
    async with engine.connect() as connection:
        left = (await connection.execute(select(routing_barriers.c.barrier_id))).all()
    assert left == []


async def test_a_plan_foretells_the_link_and_writes_nothing(engine: AsyncEngine) -> None:
    """Planning a merge reads the components it would join and changes no row."""
    links = SqlSubjectLinks(engine)
    await links.link(["p1"], NOW)
    await links.link(["q1"], NOW)
    before = await _components(engine)
    planned = await links.plan(["q1", "p1", "r1"])
    assert planned == Linked("p1", ("q1",))
    assert await _components(engine) == before
    assert await links.link(["q1", "p1", "r1"], NOW) == planned


async def test_two_resolvers_linking_one_new_subject_at_once_agree(engine: AsyncEngine) -> None:
    """Two resolvers that overlap (a broker hand-over) and link the same new keys at once both
    answer the one component: the one whose insert lost reads again instead of failing."""
    url = engine.url.render_as_string(hide_password=False)
    other = create_engine_for(url)
    try:
        first, second = SqlSubjectLinks(engine), SqlSubjectLinks(other)
        for n in range(20):
            keys = [f"race-{n}-a", f"race-{n}-b"]
            answers = await asyncio.gather(first.link(keys, NOW), second.link(keys, NOW))
            assert answers == [Linked(keys[0]), Linked(keys[0])]
    finally:
        await other.dispose()
