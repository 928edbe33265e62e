"""The RabbitMQ topology: names, and idempotent functions that declare it.

::

    intake --publish--> [sehub.ingress]  (direct) --"notification"--> (sehub.ingress)    quorum SAC
    resolver -publish-> [sehub.shards]   (direct) --"<n>"-----------> (sehub.ingress.shard.<n>)
                                                      n = 0..15, each quorum SAC
    router --publish--> [sehub.deliver]  (direct) --"<agency-id>"---> (sehub.agency.<id>)  quorum
    agency --publish--> [sehub.acks]     (direct) --"sehub.acks"----> (sehub.acks)         quorum
    any of the three: rejected, or over the delivery limit
        --at least once--> [sehub.dead] (fanout) --+--> (sehub.dead)        operators: hub dlq
                                                   +--> (sehub.dead.audit)  routers: audited

Rules:

1. Every queue is a durable quorum queue, so an accepted message survives a broker restart.
2. A working queue (ingress, acks, each agency's) dead-letters to ``sehub.dead``. Consumers
   dead-letter explicitly (reject, ``requeue=False``); ``x-delivery-limit`` is the backstop that
   ends a crash loop (a message whose consumer dies each time it holds it).
3. Dead-lettering is at least once (``x-dead-letter-strategy: at-least-once``, which needs
   ``x-overflow: reject-publish``): the working queue keeps a dead letter until every queue
   bound to ``sehub.dead`` has confirmed it, so a dead letter is never dropped on the way.
4. The two dead queues dead-letter nowhere and have no delivery limit, so neither reading them
   (``hub dlq``) nor a consumer that fails can drop what they hold. RabbitMQ 3.x sets no limit
   unless asked (and there ``-1`` would mean "drop at the first return"); 4.0 and later default
   to 20, so on those the limit is switched off with ``-1``.
5. Declaring is idempotent, but a queue or exchange that already exists with other arguments
   (a topology from an older hub) cannot be redeclared: RabbitMQ's PRECONDITION_FAILED becomes
   a :class:`~hub.ConfigurationError` naming it, since retrying cannot help, and
   docs/operations.md says how to migrate it.
6. Ingress and each of its shards have a single active consumer (``x-single-active-consumer``):
   the resolver reads ingress in order, and each shard is routed in order by one router at a
   time, the others standing by (:mod:`hub.routing._shards`).
7. A user that may not declare a queue or exchange (RabbitMQ's ACCESS_REFUSED: no configure
   right on it, as for every agency and the intake) is a :class:`~hub.ConfigurationError` too:
   ``hub provision`` declares the topology as the administrator and grants the router its
   queues (:mod:`._permissions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed

from hub._exceptions import ConfigurationError

__all__ = [
    "ACK_EXCHANGE",
    "ACK_QUEUE",
    "AGENCY_QUEUE_PREFIX",
    "DEAD_AUDIT_QUEUE",
    "DEAD_EXCHANGE",
    "DEAD_QUEUE",
    "DELIVERY_LIMIT",
    "DELIVER_EXCHANGE",
    "INGRESS_EXCHANGE",
    "INGRESS_QUEUE",
    "INGRESS_ROUTING_KEY",
    "SHARD_COUNT",
    "SHARD_EXCHANGE",
    "SHARD_QUEUE_PREFIX",
    "agency_of_queue",
    "agency_queue_name",
    "dead_queue_arguments",
    "declare_acks",
    "declare_agency_queue",
    "declare_ingress",
    "declare_shards",
    "declare_topology",
    "ordered_queue_arguments",
    "shard_queue_name",
    "working_queue_arguments",
]

INGRESS_EXCHANGE = "sehub.ingress"
INGRESS_QUEUE = "sehub.ingress"
INGRESS_ROUTING_KEY = "notification"
DELIVER_EXCHANGE = "sehub.deliver"
DEAD_EXCHANGE = "sehub.dead"
DEAD_QUEUE = "sehub.dead"
# A second copy of every dead letter, for the routers to audit (hub.routing.DeadLetterAuditor).
DEAD_AUDIT_QUEUE = "sehub.dead.audit"
DELIVERY_LIMIT = 20
# Business acknowledgements sent as reply messages (hub.messages.Acknowledgement, sealed).
ACK_EXCHANGE = "sehub.acks"
ACK_QUEUE = "sehub.acks"
AGENCY_QUEUE_PREFIX = "sehub.agency."
SHARD_EXCHANGE = "sehub.shards"
SHARD_QUEUE_PREFIX = "sehub.ingress.shard."
# Fixed: a notification's shard is its component's hash modulo this (docs/operations.md says how
# to change it, which means draining the shards first).
SHARD_COUNT = 16
MIGRATION_HINT = "docs/operations.md, 'Dead letters: upgrading the queues'"


def agency_queue_name(agency_id: str) -> str:
    """The queue an agency's notifications wait in."""
    return f"{AGENCY_QUEUE_PREFIX}{agency_id}"


def agency_of_queue(queue_name: str) -> str | None:
    """The agency whose queue ``queue_name`` is, or None for any other queue."""
    if queue_name.startswith(AGENCY_QUEUE_PREFIX) and len(queue_name) > len(AGENCY_QUEUE_PREFIX):
        return queue_name.removeprefix(AGENCY_QUEUE_PREFIX)
    return None


def shard_queue_name(shard: int) -> str:
    """The queue of ingress shard ``shard`` (0 to :data:`SHARD_COUNT` - 1)."""
    if not 0 <= shard < SHARD_COUNT:
        raise ValueError(f"no ingress shard {shard}")
    return f"{SHARD_QUEUE_PREFIX}{shard}"


def working_queue_arguments() -> dict[str, Any]:
    """The arguments of ingress, acks and every agency's queue (rules 1-3)."""
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-delivery-limit": DELIVERY_LIMIT,
    }


def ordered_queue_arguments() -> dict[str, Any]:
    """The arguments of ingress and its shards: a working queue with one active consumer."""
    return {**working_queue_arguments(), "x-single-active-consumer": True}


def dead_queue_arguments(broker_version: str) -> dict[str, Any]:
    """The arguments of the dead queues on a broker of ``broker_version`` (rule 4)."""
    arguments: dict[str, Any] = {"x-queue-type": "quorum"}
    if _major(broker_version) >= 4:
        arguments["x-delivery-limit"] = -1
    return arguments


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    # An unreadable version is taken as the 3.x this project is tested on: there an unset limit
    # is no limit, whereas -1 would drop.
    return int(head) if head.isdigit() else 3


@contextmanager
def _declaring(kind: str, name: str) -> Iterator[None]:
    """Map RabbitMQ's refusals to redeclare ``name`` with other arguments or type (rule 5) or
    to declare it at all (rule 6)."""
    try:
        yield
    except ChannelAccessRefused as exc:
        raise ConfigurationError(
            f"this broker user may not declare the {kind} {name}; run hub provision, which "
            "declares the topology as the administrator and grants the router its queues"
        ) from exc
    except ChannelPreconditionFailed as exc:
        # RabbitMQ's reply names the argument that differs; it holds no message data.
        refusal = exc.args[0] if exc.args else "PRECONDITION_FAILED"
        raise ConfigurationError(
            f"the {kind} {name} already exists with other settings than this hub declares "
            f"({refusal}); move its messages and delete it as {MIGRATION_HINT} says, then "
            "start the hub again"
        ) from exc


async def _queue(channel: AbstractChannel, name: str, arguments: dict[str, Any]) -> AbstractQueue:
    with _declaring("queue", name):
        return await channel.declare_queue(name, durable=True, arguments=arguments)


async def _exchange(
    channel: AbstractChannel, name: str, kind: aio_pika.ExchangeType
) -> AbstractExchange:
    with _declaring("exchange", name):
        return await channel.declare_exchange(name, kind, durable=True)


async def _declare_dead_letters(channel: AbstractChannel, broker_version: str) -> None:
    dead = await _exchange(channel, DEAD_EXCHANGE, aio_pika.ExchangeType.FANOUT)
    for name in (DEAD_QUEUE, DEAD_AUDIT_QUEUE):
        queue = await _queue(channel, name, dead_queue_arguments(broker_version))
        await queue.bind(dead)


async def declare_ingress(
    channel: AbstractChannel, *, broker_version: str
) -> tuple[AbstractExchange, AbstractQueue]:
    """Declare the dead letters, the ingress exchange and its queue (idempotent)."""
    await _declare_dead_letters(channel, broker_version)
    exchange = await _exchange(channel, INGRESS_EXCHANGE, aio_pika.ExchangeType.DIRECT)
    queue = await _queue(channel, INGRESS_QUEUE, ordered_queue_arguments())
    await queue.bind(exchange, routing_key=INGRESS_ROUTING_KEY)
    return exchange, queue


async def declare_shards(channel: AbstractChannel) -> None:
    """Declare the shard exchange and every ingress shard's queue (idempotent)."""
    exchange = await _exchange(channel, SHARD_EXCHANGE, aio_pika.ExchangeType.DIRECT)
    for shard in range(SHARD_COUNT):
        queue = await _queue(channel, shard_queue_name(shard), ordered_queue_arguments())
        await queue.bind(exchange, routing_key=str(shard))


async def declare_acks(channel: AbstractChannel) -> AbstractQueue:
    """Declare the acknowledgement exchange and queue (idempotent)."""
    exchange = await _exchange(channel, ACK_EXCHANGE, aio_pika.ExchangeType.DIRECT)
    queue = await _queue(channel, ACK_QUEUE, working_queue_arguments())
    await queue.bind(exchange, routing_key=ACK_QUEUE)
    return queue


async def declare_agency_queue(channel: AbstractChannel, agency_id: str) -> AbstractQueue:
    """Declare the delivery exchange and one agency's queue (idempotent)."""
    exchange = await _exchange(channel, DELIVER_EXCHANGE, aio_pika.ExchangeType.DIRECT)
    queue = await _queue(channel, agency_queue_name(agency_id), working_queue_arguments())
    await queue.bind(exchange, routing_key=agency_id)
    return queue


async def declare_topology(
    channel: AbstractChannel, agency_ids: Iterable[str], *, broker_version: str
) -> None:
    """Declare everything: dead letters, ingress and its shards, acks, delivery and each
    agency's queue."""
    await declare_ingress(channel, broker_version=broker_version)
    await declare_shards(channel)
    await declare_acks(channel)
    for agency_id in agency_ids:
        await declare_agency_queue(channel, agency_id)
