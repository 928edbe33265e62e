"""The routing consumer's policy on the real RabbitMQ: its count of attempts is the broker's.

A quorum queue of its own, with a delivery limit of 3, stands in for ingress; the router is
scripted to fail. The consumer must read RabbitMQ's ``x-delivery-count`` as the unit tests
assume, requeue until the last attempt, then audit and dead-letter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest

from hub import StoreUnavailable
from hub.audit import AuditAction
from hub.crypto import InvalidMessage
from hub.delivery import Broker
from hub.routing import RoutingConsumer, backoff_seconds
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


async def _consume_until_dead_lettered(
    channel: aio_pika.abc.AbstractChannel, router: ScriptedRouter, audit: FakeAuditLog
) -> RecordingSleep:
    sleep = RecordingSleep()
    consumer = RoutingConsumer(
        router,  # type: ignore[arg-type]  # a scripted stand-in with the Router's shape
        audit=audit,
        clock=FixedClock(NOW),
        delivery_limit=LIMIT,
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

            await wait_until(dead_lettered, timeout=30, what="the message to be dead-lettered")
    finally:
        await broker.close()
    return sleep


async def test_an_outage_is_retried_until_the_brokers_limit_then_dead_lettered(
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    """A failure of ours is tried LIMIT times, as RabbitMQ counts them, then audited and dead."""
    router = ScriptedRouter(StoreUnavailable("the database is down"))
    audit = FakeAuditLog()

    sleep = await _consume_until_dead_lettered(channel, router, audit)

    assert len(router.calls) == LIMIT
    assert sleep.waits == [backoff_seconds(0), backoff_seconds(1)]
    (failure,) = [e for e in audit.entries if e.action is AuditAction.ROUTING_FAILED]
    assert failure.detail["reason"] == f"gave up after {LIMIT} attempts"
    assert failure.notification_id == "consumer-1"
    assert (await channel.declare_queue(QUEUE, passive=True)).declaration_result.message_count == 0


async def test_a_peers_bad_envelope_is_dead_lettered_on_its_first_delivery(
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    """An envelope that fails verification is never redelivered: one attempt, then dead."""
    router = ScriptedRouter(InvalidMessage("bad_signature", kid="kid-1"))
    audit = FakeAuditLog()

    sleep = await _consume_until_dead_lettered(channel, router, audit)

    assert len(router.calls) == 1
    assert sleep.waits == []
    (failure,) = [e for e in audit.entries if e.action is AuditAction.ROUTING_FAILED]
    assert failure.detail["check"] == "bad_signature"
