"""The routing core against the real broker: poison messages dead-letter, nothing else breaks."""

from __future__ import annotations

import json

import aio_pika

from hub.audit import AuditAction, SqlAuditLog
from hub.delivery import DEAD_QUEUE, INGRESS_EXCHANGE, INGRESS_ROUTING_KEY
from hub.subscriber import Subscriber
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, HubProcess, wait_until


async def _publish_raw(body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(INGRESS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, correlation_id="poison-corr"),
            routing_key=INGRESS_ROUTING_KEY,
        )


async def _dead_letter_count() -> int:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(DEAD_QUEUE, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def test_poison_message_is_dead_lettered_and_audited(hub_process: HubProcess) -> None:
    """A non-notification on ingress goes to the dead-letter queue, audited; routing continues."""
    poison = canary_event("poison-1")
    poison["data"]["person"]["nhs_number"] = "0000000001"  # type: ignore[index]
    await _publish_raw(json.dumps(poison).encode(), "poison-1")

    async def dead_lettered() -> bool:
        return await _dead_letter_count() == 1

    await wait_until(dead_lettered, timeout=20, what="the poison message to be dead-lettered")

    await _publish_raw(json.dumps(canary_event("healthy-1")).encode(), "healthy-1")
    async with (
        Subscriber(AMQP_URL, "northumbria-police") as police,
        police.receive(timeout=20) as delivery,
    ):
        assert delivery.notification_id == "healthy-1"

    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        (failure,) = await audit.entries(notification_id="poison-1")
    finally:
        await audit.close()
    assert failure.action is AuditAction.ROUTING_FAILED
    assert failure.detail["problems"] == [
        {"field": "data.person.nhs_number", "rule": "value_error"}
    ]
    assert not any(canary in hub_process.logs() for canary in CANARIES)
