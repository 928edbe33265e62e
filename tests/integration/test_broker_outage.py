"""With RabbitMQ stopped the hub says so: /readyz is 503 and a post is 503, never 202."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures import example_event
from tests.integration.conftest import HubProcess, readyz_status, wait_until

CHILDRENS = "northumberland-childrens"


async def _post(hub: HubProcess, event_id: str) -> int:
    event = example_event()
    event["id"] = event_id
    status, _ = await hub.post(event)
    return status


@pytest.mark.timeout(300)  # stops and restarts the real broker, about 30 s
async def test_stopped_broker_gives_503_then_recovers(
    hub_process: HubProcess, rabbitmq_control: Callable[[str], None]
) -> None:
    """Stopping RabbitMQ turns readiness and posts to 503; restarting it restores both."""
    rabbitmq_control("stop")

    async def not_ready() -> bool:
        return await readyz_status(hub_process.base_url) == 503

    await wait_until(not_ready, timeout=20, what="/readyz to answer 503")
    statuses = [await _post(hub_process, f"outage-{n}") for n in range(3)]
    assert statuses == [503, 503, 503]

    rabbitmq_control("start")

    async def ready() -> bool:
        return await readyz_status(hub_process.base_url) == 200

    await wait_until(ready, timeout=60, what="/readyz to recover after the broker restarts")
    assert await _post(hub_process, "after-outage") == 202
    async with (
        hub_process.subscriber("northumbria-police") as police,
        police.receive(timeout=30) as delivery,
    ):
        assert delivery.notification_id == "after-outage"
