"""The routing consumer's policy on the real RabbitMQ: outages never count against the limit.

A quorum queue of its own, with a delivery limit of 3, stands in for ingress; the router is
scripted to fail. An outage of ours is retried in place, past the limit, and the message is
acknowledged once it routes; a peer's bad envelope is dead-lettered on its first delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aio_pika
import pytest

from hub import StoreUnavailable
from hub.audit import AuditAction
from hub.crypto import InvalidMessage
from hub.delivery import Broker
from hub.routing import RoutingConsumer
from tests.fakes import FakeAuditLog, FixedClock, RecordingSleep, ScriptedRouter
from tests.integration.conftest import AMQP_URL, wait_until

QUEUE = "sehub.test.routing-consumer"
DEAD_EXCHANGE = "sehub.test.routing-consumer.dead"
DEAD_QUEUE = "sehub.test.routing-consumer.dead"
LIMIT = 3
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


async def _reset(channel: aio_pika.abc.AbstractChannel) -> None:
    for name in (QUEUE, DEAD_QUEUE):
        await channel.queue_delete(name)
    await channel.exchange_delete(DEAD_EXCHANGE)


@pytest.fixture
async def channel() -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A limited quorum queue and its dead-letter queue, created fresh and removed after."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await _reset(channel)
        dead = await channel.declare_exchange(
            DEAD_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
        )
        dead_queue = await channel.declare_queue(
            DEAD_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_queue.bind(dead)
        await channel.declare_queue(
            QUEUE,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": DEAD_EXCHANGE,
                "x-delivery-limit": LIMIT,
            },
        )
        try:
            yield channel
        finally:
            await _reset(channel)


async def _consume_until(
    channel: aio_pika.abc.AbstractChannel,
    router: ScriptedRouter,
    audit: FakeAuditLog,
    *,
    settled: Callable[[], Awaitable[bool]] | None = None,
) -> RecordingSleep:
    """Publish one message and consume it until ``settled`` (default: it is dead-lettered)."""
    sleep = RecordingSleep()
    consumer = RoutingConsumer(
        router,  # type: ignore[arg-type]  # a scripted stand-in with the Router's shape
        audit=audit,
        clock=FixedClock(NOW),
        sleep=sleep,
    )
    await channel.default_exchange.publish(
        aio_pika.Message(b"sealed", message_id="consumer-1", correlation_id="corr-1"),
        routing_key=QUEUE,
    )
    broker = Broker(AMQP_URL)
    await broker.connect()
    try:
        async with broker.consuming(QUEUE, consumer.on_message, prefetch=1):

            async def dead_lettered() -> bool:
                queue = await channel.declare_queue(DEAD_QUEUE, passive=True)
                return bool(queue.declaration_result.message_count)

            await wait_until(settled or dead_lettered, timeout=30, what="the message to be settled")
    finally:
        await broker.close()
    return sleep


async def test_an_outage_is_retried_in_place_past_the_brokers_limit_and_then_routed(
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    """Three times the delivery limit of failures, then success: one delivery, routed and
    acknowledged; nothing dead-lettered, nothing audited as a failure."""
    outage = [StoreUnavailable("the database is down")] * (3 * LIMIT)
    router = ScriptedRouter([*outage, None])
    audit = FakeAuditLog()

    async def acknowledged() -> bool:
        queue = await channel.declare_queue(QUEUE, passive=True)
        return len(router.calls) == len(outage) + 1 and not queue.declaration_result.message_count

    sleep = await _consume_until(channel, router, audit, settled=acknowledged)

    assert len(sleep.waits) == len(outage)
    assert audit.entries == []
    # The consumer has closed: an unacknowledged message would be back in the queue by now.
    await asyncio.sleep(0.5)
    for name in (QUEUE, DEAD_QUEUE):
        queue = await channel.declare_queue(name, passive=True)
        assert queue.declaration_result.message_count == 0, name


async def test_a_peers_bad_envelope_is_dead_lettered_on_its_first_delivery(
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    """An envelope that fails verification is never redelivered: one attempt, then dead."""
    router = ScriptedRouter(InvalidMessage("bad_signature", kid="kid-1"))
    audit = FakeAuditLog()

    sleep = await _consume_until(channel, router, audit)

    assert len(router.calls) == 1
    assert sleep.waits == []
    (failure,) = [e for e in audit.entries if e.action is AuditAction.ROUTING_FAILED]
    assert failure.detail["check"] == "bad_signature"
