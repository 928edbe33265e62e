"""Each agency's broker user reaches its own queue and nothing else: the cross-agency matrix on
the real RabbitMQ, after ``hub provision`` (tests/integration/broker_support.py).

For every ordered pair (A, B) of the demo directory's agencies, A's user tries each operation on
B's objects, each on a fresh channel of one connection per agency, and RabbitMQ answers
ACCESS_REFUSED every time. The refusals are the broker's: the hub never sees them, so none is
in the hub's audit log (docs/operations.md, "Broker identities").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from pamqp.commands import Basic

from hub.delivery import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DEAD_AUDIT_QUEUE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    INTAKE_USER,
    ROUTER_USER,
    agency_queue_name,
    agency_user,
    working_queue_arguments,
)
from tests.integration.broker_support import (
    Operation,
    Provisioned,
    connect,
    provisioning,
    refused,
)

PairOperation = Callable[[str, str], Operation]
# How many agencies try at once: more only contend for the broker's and this process's CPU.
PARALLEL_AGENCIES = 8


@pytest.fixture
async def provisioned(tmp_path: Path) -> AsyncIterator[Provisioned]:
    async with provisioning(tmp_path) as done:
        yield done


async def _ignore(message: AbstractIncomingMessage) -> None:
    """A consumer that never gets anything: its consume is refused first."""


def _consume(queue_name: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        queue = await channel.get_queue(queue_name, ensure=False)
        return await queue.consume(_ignore)

    return Operation(operation)


def _get(queue_name: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        queue = await channel.get_queue(queue_name, ensure=False)
        return await queue.get(fail=False, timeout=5)

    return Operation(operation)


def _declare(queue_name: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        arguments = working_queue_arguments()
        return await channel.declare_queue(queue_name, durable=True, arguments=arguments)

    return Operation(operation)


def _bind(queue_name: str, exchange: str, routing_key: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        queue = await channel.get_queue(queue_name, ensure=False)
        return await queue.bind(exchange, routing_key=routing_key)

    return Operation(operation)


def _purge(queue_name: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        queue = await channel.get_queue(queue_name, ensure=False)
        return await queue.purge()

    return Operation(operation)


def _delete(queue_name: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        return await channel.queue_delete(queue_name)

    return Operation(operation)


def _publish(exchange_name: str, routing_key: str) -> Operation:
    async def operation(channel: AbstractChannel) -> object:
        exchange = await channel.get_exchange(exchange_name, ensure=False)
        return await exchange.publish(aio_pika.Message(b"synthetic"), routing_key=routing_key)

    return Operation(operation, publishes=True)


# What agency A tries on agency B's objects (A, B): each must be refused.
ON_ANOTHER: dict[str, PairOperation] = {
    "consume": lambda a, b: _consume(agency_queue_name(b)),
    "get": lambda a, b: _get(agency_queue_name(b)),
    "declare": lambda a, b: _declare(agency_queue_name(b)),
    "bind": lambda a, b: _bind(agency_queue_name(b), DELIVER_EXCHANGE, a),
    "bind own queue to the other's key": lambda a, b: _bind(
        agency_queue_name(a), DELIVER_EXCHANGE, b
    ),
    "purge": lambda a, b: _purge(agency_queue_name(b)),
    "delete": lambda a, b: _delete(agency_queue_name(b)),
    "publish to sehub.deliver": lambda a, b: _publish(DELIVER_EXCHANGE, b),
}
# What an agency tries on the hub's own queues: each must be refused.
ON_THE_HUB: dict[str, Operation] = {
    "publish to sehub.ingress": _publish(INGRESS_EXCHANGE, INGRESS_ROUTING_KEY),
    "consume ingress": _consume(INGRESS_QUEUE),
    "get ingress": _get(INGRESS_QUEUE),
    "purge ingress": _purge(INGRESS_QUEUE),
    "delete ingress": _delete(INGRESS_QUEUE),
    "consume acks": _consume(ACK_QUEUE),
    "consume the dead queue": _consume(DEAD_QUEUE),
    "consume the dead-letter audit queue": _consume(DEAD_AUDIT_QUEUE),
    "declare a queue of its own": _declare("sehub.agency.mine"),
}


async def _not_refused_for(
    provisioned: Provisioned, connection: AbstractConnection, me: str
) -> list[str]:
    """Every operation of ``me`` on another's or the hub's objects that was not refused."""
    failures = []
    for other in provisioned.receiving:
        if other == me:
            continue
        for name, on_pair in ON_ANOTHER.items():
            if not await refused(connection, on_pair(me, other)):
                failures.append(f"{me} -> {other}: {name}")
    for name, operation in ON_THE_HUB.items():
        if not await refused(connection, operation):
            failures.append(f"{me}: {name}")
    return failures


# About 21,000 refusals, one channel each: some 25 s on two shared cores.
@pytest.mark.timeout(180)
async def test_every_agency_is_refused_every_other_agencys_queue(provisioned: Provisioned) -> None:
    """For every ordered pair of demo agencies, the first is refused consume, get, declare, bind,
    purge and delete on the second's queue, binding its own queue to the second's routing key
    and publishing to the second via sehub.deliver; and every agency is refused publishing to
    ingress, reading ingress, acks and the dead queues, and declaring a queue."""
    agencies = provisioned.receiving
    assert len(agencies) >= 40, "precondition: the demo directory's agencies"
    connections = {a: await connect(provisioned.url(agency_user(a))) for a in agencies}
    started = time.monotonic()
    turns = asyncio.Semaphore(PARALLEL_AGENCIES)

    async def trying(agency: str) -> list[str]:
        async with turns:
            return await _not_refused_for(provisioned, connections[agency], agency)

    try:
        found = await asyncio.gather(*(trying(agency) for agency in agencies))
    finally:
        await asyncio.gather(*(connection.close() for connection in connections.values()))
    tried = len(agencies) * ((len(agencies) - 1) * len(ON_ANOTHER) + len(ON_THE_HUB))
    elapsed = time.monotonic() - started
    print(f"{tried} refused operations, {len(agencies)} agencies, in {elapsed:.1f} s")  # noqa: T201
    assert [failure for failures in found for failure in failures] == []


async def _deliver(provisioned: Provisioned, agency: str, count: int) -> None:
    """Publish ``count`` synthetic messages to ``agency``'s queue as the router, confirmed."""
    connection = await connect(provisioned.url(ROUTER_USER))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(DELIVER_EXCHANGE, ensure=False)
        for number in range(count):
            message = aio_pika.Message(f"synthetic {number}".encode())
            confirmation = await exchange.publish(message, routing_key=agency, mandatory=True)
            assert isinstance(confirmation, Basic.Ack)


async def test_an_agency_reads_its_own_queue_and_sends_acknowledgements(
    provisioned: Provisioned,
) -> None:
    """An agency's user gets and consumes from its own queue and publishes an acknowledgement
    to sehub.acks, which RabbitMQ confirms."""
    police = "northumbria-police"
    await _deliver(provisioned, police, 2)
    connection = await connect(provisioned.url(agency_user(police)))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.get_queue(agency_queue_name(police), ensure=False)
        first = await queue.get(timeout=5)
        await first.ack()
        arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(arrived.put)
        second = await asyncio.wait_for(arrived.get(), timeout=5)
        await second.ack()
        acks = await channel.get_exchange(ACK_EXCHANGE, ensure=False)
        confirmation = await acks.publish(
            aio_pika.Message(b"synthetic acknowledgement"), routing_key=ACK_QUEUE, mandatory=True
        )
    assert (first.body, second.body) == (b"synthetic 0", b"synthetic 1")
    assert isinstance(confirmation, Basic.Ack)


async def test_a_passive_declare_of_another_agencys_queue_reveals_only_a_count(
    provisioned: Provisioned,
) -> None:
    """The one-vhost choice, pinned: RabbitMQ answers any user's passive declare of another
    agency's queue with its name, message count and consumer count, and nothing more; reading
    it is still refused (docs/operations.md, "Broker identities")."""
    await _deliver(provisioned, "northumberland-childrens", 3)
    connection = await connect(provisioned.url(agency_user("northumbria-police")))
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            agency_queue_name("northumberland-childrens"), passive=True
        )
        answer = queue.declaration_result
        reading = await refused(connection, _get(agency_queue_name("northumberland-childrens")))
    assert (answer.queue, answer.message_count, answer.consumer_count) == (
        agency_queue_name("northumberland-childrens"),
        3,
        0,
    )
    assert set(vars(answer)) <= {"queue", "message_count", "consumer_count"}
    assert reading


INTAKE_REFUSED: dict[str, Operation] = {
    "publish to sehub.deliver": _publish(DELIVER_EXCHANGE, "northumbria-police"),
    "publish to sehub.acks": _publish(ACK_EXCHANGE, ACK_QUEUE),
    "consume ingress": _consume(INGRESS_QUEUE),
    "get ingress": _get(INGRESS_QUEUE),
    "purge ingress": _purge(INGRESS_QUEUE),
    "declare ingress": _declare(INGRESS_QUEUE),
    "delete ingress": _delete(INGRESS_QUEUE),
    "consume an agency's queue": _consume(agency_queue_name("northumbria-police")),
    "bind ingress": _bind(INGRESS_QUEUE, INGRESS_EXCHANGE, "elsewhere"),
}


async def test_the_intake_may_only_publish_to_ingress(provisioned: Provisioned) -> None:
    """The intake's user publishes to sehub.ingress (confirmed) and is refused everything else
    it might try: delivering, acknowledging, reading, declaring, binding, purging, deleting."""
    connection = await connect(provisioned.url(INTAKE_USER))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ingress = await channel.get_exchange(INGRESS_EXCHANGE, ensure=False)
        confirmation = await ingress.publish(
            aio_pika.Message(b"synthetic"), routing_key=INGRESS_ROUTING_KEY, mandatory=True
        )
        not_refused = [
            name
            for name, operation in INTAKE_REFUSED.items()
            if not await refused(connection, operation)
        ]
    assert isinstance(confirmation, Basic.Ack)
    assert not_refused == []
