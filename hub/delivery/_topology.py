"""The RabbitMQ topology: names, and one idempotent function that declares it.

::

    agency --publish--> [sehub.ingress]  (direct) --"notification"--> (sehub.ingress)   quorum
    router --publish--> [sehub.deliver]  (direct) --"<agency-id>"---> (sehub.agency.<agency-id>)
    agency --publish--> [sehub.acks]     (direct) --"sehub.acks"----> (sehub.acks)        quorum
    rejected / over the delivery limit --> [sehub.dead] (fanout) --> (sehub.dead)

Every queue is a durable quorum queue, so an accepted message survives a broker restart. A
message that fails ``x-delivery-limit`` times is dead-lettered instead of looping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

__all__ = [
    "ACK_EXCHANGE",
    "ACK_QUEUE",
    "DEAD_EXCHANGE",
    "DEAD_QUEUE",
    "DELIVERY_LIMIT",
    "DELIVER_EXCHANGE",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "agency_queue_name",
    "declare_acks",
    "declare_agency_queue",
    "declare_ingress",
    "declare_topology",
]

INGRESS_EXCHANGE = "sehub.ingress"
INGRESS_QUEUE = "sehub.ingress"
INGRESS_ROUTING_KEY = "notification"
DELIVER_EXCHANGE = "sehub.deliver"
DEAD_EXCHANGE = "sehub.dead"
DEAD_QUEUE = "sehub.dead"
DELIVERY_LIMIT = 20
# Business acknowledgements sent as reply messages (hub.messages.Acknowledgement, sealed).
ACK_EXCHANGE = "sehub.acks"
ACK_QUEUE = "sehub.acks"


def agency_queue_name(agency_id: str) -> str:
    """The queue an agency's notifications wait in."""
    return f"sehub.agency.{agency_id}"


def _quorum_arguments() -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-delivery-limit": DELIVERY_LIMIT,
    }


async def _declare_dead_letters(channel: AbstractChannel) -> None:
    dead = await channel.declare_exchange(DEAD_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(
        DEAD_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await queue.bind(dead)


async def declare_ingress(channel: AbstractChannel) -> tuple[AbstractExchange, AbstractQueue]:
    """Declare the ingress exchange and queue (idempotent)."""
    await _declare_dead_letters(channel)
    exchange = await channel.declare_exchange(
        INGRESS_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    queue = await channel.declare_queue(INGRESS_QUEUE, durable=True, arguments=_quorum_arguments())
    await queue.bind(exchange, routing_key=INGRESS_ROUTING_KEY)
    return exchange, queue


async def declare_acks(channel: AbstractChannel) -> AbstractQueue:
    """Declare the acknowledgement exchange and queue (idempotent)."""
    exchange = await channel.declare_exchange(
        ACK_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    queue = await channel.declare_queue(ACK_QUEUE, durable=True, arguments=_quorum_arguments())
    await queue.bind(exchange, routing_key=ACK_QUEUE)
    return queue


async def declare_agency_queue(channel: AbstractChannel, agency_id: str) -> AbstractQueue:
    """Declare the delivery exchange and one agency's queue (idempotent)."""
    exchange = await channel.declare_exchange(
        DELIVER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    queue = await channel.declare_queue(
        agency_queue_name(agency_id), durable=True, arguments=_quorum_arguments()
    )
    await queue.bind(exchange, routing_key=agency_id)
    return queue


async def declare_topology(channel: AbstractChannel, agency_ids: Iterable[str]) -> None:
    """Declare everything: dead letters, ingress, delivery and each agency's queue."""
    await declare_ingress(channel)
    await declare_acks(channel)
    for agency_id in agency_ids:
        await declare_agency_queue(channel, agency_id)
