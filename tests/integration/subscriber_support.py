"""What the subscriber's integration tests share: the police queue on the real broker, and
deliveries (``tests/subscriber_builders.py``) published as the routing core publishes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aio_pika

from hub.delivery import ACK_EXCHANGE, ACK_QUEUE, DEAD_QUEUE, Broker, agency_queue_name
from hub.messages import DELIVERY_CONTENT_TYPE, OutgoingMessage
from hub.ports import Clock, utc_now
from hub.subscriber import REPLAY_HEADER, Inbox, KeyRetry, Subscriber
from tests.integration.conftest import AMQP_URL
from tests.subscriber_builders import POLICE

POLICE_QUEUE = agency_queue_name(POLICE)
# Tests that are not about key states give up on them at once.
NO_KEY_WAIT = KeyRetry(window=0)


async def publish(broker: Broker, body: bytes, *, replayed: bool = False) -> None:
    """Publish ``body`` to the police queue, confirmed, as the router does."""
    headers = {REPLAY_HEADER: "true"} if replayed else {}
    await broker.publish_delivery(
        POLICE,
        OutgoingMessage(
            body=body,
            message_id="sub-message",
            type="test",
            correlation_id=None,
            content_type=DELIVERY_CONTENT_TYPE,
            headers=headers,
        ),
    )


async def message_count(queue_name: str) -> int:
    """How many messages wait, ready, on ``queue_name`` (unacknowledged ones are not counted)."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def dead_letters() -> int:
    return await message_count(DEAD_QUEUE)


async def _delete_acks() -> None:
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(ACK_QUEUE)
        await channel.exchange_delete(ACK_EXCHANGE)


@asynccontextmanager
async def police_topology() -> AsyncIterator[Broker]:
    """The hub's topology for the police on the real broker, and a confirming publisher.

    Use it under the ``clean_broker`` fixture, which empties the agency and dead-letter queues;
    the acknowledgement queue is emptied here, before and after.
    """
    await _delete_acks()
    publisher = Broker(AMQP_URL)
    await publisher.connect()
    await publisher.declare_topology([POLICE])
    try:
        yield publisher
    finally:
        await publisher.close()
        await _delete_acks()


def police(
    keys_dir: Path,
    *,
    inbox: Inbox | None = None,
    key_retry: KeyRetry = NO_KEY_WAIT,
    clock: Clock = utc_now,
) -> Subscriber:
    """A police subscriber over ``keys_dir``; key states are given up on at once unless told."""
    return Subscriber(
        AMQP_URL, POLICE, keys_dir=keys_dir, inbox=inbox, key_retry=key_retry, clock=clock
    )
