"""What the subscriber's integration tests share: the police queue on the real broker, keys, and
deliveries sealed and published as the routing core would (``Broker.publish_delivery``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aio_pika

from hub.crypto import HUB_AGENCY, KeyMaterial, provision_keys
from hub.delivery import ACK_EXCHANGE, ACK_QUEUE, DEAD_QUEUE, Broker, agency_queue_name
from hub.messages import DELIVERY_CONTENT_TYPE, DeliveredNotification, OutgoingMessage
from hub.ports import Clock, utc_now
from hub.subscriber import REPLAY_HEADER, Inbox, KeyRetry, Subscriber
from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL

POLICE = "northumbria-police"
POLICE_QUEUE = agency_queue_name(POLICE)
# Tests that are not about key states give up on them at once.
NO_KEY_WAIT = KeyRetry(window=0)


def make_keys(keys_dir: Path) -> KeyMaterial:
    """Fresh hub and police keys under ``keys_dir``, valid from now; the hub's ring loaded."""
    provision_keys(keys_dir, (HUB_AGENCY, POLICE), datetime.now(UTC))
    return KeyMaterial(keys_dir, (HUB_AGENCY,))


def sealed_delivery(
    keys: KeyMaterial, delivery_id: str, event_id: str = "sub-0001", *, recipient: str = POLICE
) -> bytes:
    """A delivery document naming ``recipient``, sealed to the police, signed by ``keys``' hub."""
    event = example_event()
    event["id"] = event_id
    document = DeliveredNotification.model_validate(
        {
            "delivery_id": delivery_id,
            "recipient": recipient,
            "event": event,
            "receipt": {
                "rule_id": "missing-child-to-police",
                "protocol_version": "test",
                "lawful_basis": ["Children Act 2004 s11"],
                "purpose": "Find the child.",
                "withheld": [],
                "acknowledge_by": None,
            },
        }
    )
    return keys.seal_delivery(
        POLICE,
        document.model_dump_json().encode(),
        message_id=event_id,
        rule_id=document.receipt.rule_id,
        protocol_version=document.receipt.protocol_version,
        source_sig=b"synthetic source signature",
        now=datetime.now(UTC),
    )


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


def tampered(envelope: bytes) -> bytes:
    """``envelope`` with its hub signature altered."""
    fields = json.loads(envelope)
    signature = fields["hub_sig"]
    fields["hub_sig"] = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    return json.dumps(fields).encode()
