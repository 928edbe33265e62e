"""With its PostgreSQL database refusing connections the hub says so: /readyz and posts 503,
never 202; once the database is back, a post is accepted and delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hub.db import create_engine_for
from tests.fixtures import example_event
from tests.integration.conftest import (
    POSTGRES_URL,
    HubProcess,
    drop_all_tables,
    readyz_status,
    running_hub,
    wait_until,
)

pytestmark = pytest.mark.postgres

DATABASE = POSTGRES_URL.rsplit("/", 1)[1]
POLICE = "northumbria-police"


async def _allow_connections(allowed: bool) -> None:
    """As the database's owner, from the maintenance database: let connections in, or refuse
    new ones and end those there are (an outage of this database alone)."""
    engine = create_engine_for(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres")
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(
                text(f"ALTER DATABASE {DATABASE} WITH ALLOW_CONNECTIONS {str(allowed).lower()}")
            )
            if not allowed:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": DATABASE},
                )
    finally:
        await engine.dispose()


@pytest.fixture
async def hub_on_postgres(clean_broker: None, tmp_path: Path) -> AsyncIterator[HubProcess]:
    await drop_all_tables(POSTGRES_URL)
    try:
        async with running_hub(tmp_path, role="all", database_url=POSTGRES_URL) as hub:
            yield hub
    finally:
        await _allow_connections(True)


@pytest.mark.timeout(180)
async def test_a_database_outage_gives_503_then_recovers(hub_on_postgres: HubProcess) -> None:
    """Connections refused: readiness and posts 503 (nothing accepted that is not committed);
    allowed again: ready, a post is 202 and the police receive it."""
    hub = hub_on_postgres
    await _allow_connections(False)

    async def not_ready() -> bool:
        return await readyz_status(hub.base_url) == 503

    await wait_until(not_ready, timeout=30, what="/readyz to answer 503")
    statuses = []
    for n in range(3):
        event = example_event()
        event["id"] = f"db-outage-{n}"
        statuses.append((await hub.post(event))[0])
    assert statuses == [503, 503, 503]

    await _allow_connections(True)

    async def ready() -> bool:
        return await readyz_status(hub.base_url) == 200

    await wait_until(ready, timeout=60, what="/readyz to recover after the database returns")
    event = example_event()
    event["id"] = "after-db-outage"
    assert (await hub.post(event))[0] == 202
    async with hub.subscriber(POLICE) as police, police.receive(timeout=30) as delivery:
        assert delivery.notification_id == "after-db-outage"
