"""The dead-letter topology and the operator's dead queue on the real RabbitMQ.

Every working queue dead-letters at least once to the fanout ``sehub.dead``, which keeps one
copy for operators and one for the audit; looking at the dead queue keeps its messages and their
order however often it is done; a requeue republishes a message unchanged, confirmed, before
it leaves the dead queue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from hub import ConfigurationError, StoreUnavailable
from hub.delivery import (
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    DELIVERY_LIMIT,
    INGRESS_QUEUE,
    REQUEUES_HEADER,
    Broker,
    DeadLetter,
    DeadLetterQueue,
    agency_queue_name,
    ordered_queue_arguments,
    working_queue_arguments,
)
from hub.messages import DELIVERY_CONTENT_TYPE, OutgoingMessage
from tests.integration.conftest import AMQP_URL, DEMO_AGENCY_IDS, wait_until

POLICE = "northumbria-police"
TYPE = "uk.gov.sehub.missing_episode.started"


@pytest.fixture
async def broker(clean_broker: None) -> AsyncIterator[Broker]:
    """A connected broker edge with the hub's whole topology declared on an empty broker."""
    edge = Broker(AMQP_URL)
    await edge.connect()
    try:
        await edge.declare_topology(DEMO_AGENCY_IDS)
        yield edge
    finally:
        await edge.close()


@pytest.fixture
async def channel(clean_broker: None) -> AsyncIterator[AbstractChannel]:
    """A plain channel of the test's own, playing the subscriber."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        yield await connection.channel()


def _copy(delivery_id: str) -> OutgoingMessage:
    return OutgoingMessage(
        body=f"sealed-{delivery_id}".encode(),
        message_id=f"n-{delivery_id}",
        type=TYPE,
        correlation_id=f"corr-{delivery_id}",
        content_type=DELIVERY_CONTENT_TYPE,
        headers={"sehub-recipient": POLICE, "sehub-delivery-id": delivery_id},
    )


async def _count(channel: AbstractChannel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    return int(declared.declaration_result.message_count or 0)


async def _rejected_by_police(broker: Broker, channel: AbstractChannel, *delivery_ids: str) -> None:
    """Deliver copies to the police, who reject each (requeue=False), as a subscriber would."""
    for delivery_id in delivery_ids:
        await broker.publish_delivery(POLICE, _copy(delivery_id))
    queue = await channel.declare_queue(agency_queue_name(POLICE), passive=True)
    for _ in delivery_ids:
        message = await queue.get(no_ack=False, timeout=10)
        await message.reject(requeue=False)

    async def arrived() -> bool:
        return await _count(channel, DEAD_QUEUE) == len(delivery_ids)

    await wait_until(arrived, timeout=15, what="the copies on the dead queue")


async def test_a_rejected_copy_reaches_the_operators_and_the_audits_dead_queue(
    broker: Broker, channel: AbstractChannel
) -> None:
    """One reject, one copy on each dead queue, read back as the police's rejected copy."""
    await _rejected_by_police(broker, channel, "d" * 32)

    async def audited_copy() -> bool:
        return await _count(channel, DEAD_AUDIT_QUEUE) == 1

    await wait_until(audited_copy, timeout=15, what="the copy for the audit")
    async with DeadLetterQueue(AMQP_URL) as dlq:
        (letter,) = await dlq.list()
    assert letter.id == "d" * 32
    assert (letter.queue, letter.reason, letter.count) == (agency_queue_name(POLICE), "rejected", 1)
    assert letter.recipient == POLICE
    assert letter.origin == (DELIVER_EXCHANGE, POLICE)
    assert letter.first_death_at is not None
    assert letter.type == TYPE


@pytest.mark.parametrize("missing", ["x-dead-letter-strategy", "x-overflow", "x-delivery-limit"])
async def test_the_working_queues_carry_the_dead_letter_arguments(
    broker: Broker, channel: AbstractChannel, missing: str
) -> None:
    """RabbitMQ accepts the hub's arguments again, and refuses them without ``missing``."""
    # Ingress is a working queue with a single active consumer (hub.delivery._topology rule 6).
    hubs = ordered_queue_arguments()
    assert working_queue_arguments().items() <= hubs.items()
    await channel.declare_queue(INGRESS_QUEUE, durable=True, arguments=hubs)
    arguments = {k: v for k, v in hubs.items() if k != missing}

    with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
        await channel.declare_queue(INGRESS_QUEUE, durable=True, arguments=arguments)


async def test_an_older_topology_is_a_configuration_error_naming_the_queue(
    channel: AbstractChannel,
) -> None:
    """An ingress queue declared by an older hub stops the start with what to do, not a trace."""
    older: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_EXCHANGE,
        "x-delivery-limit": DELIVERY_LIMIT,
    }
    await channel.declare_queue(INGRESS_QUEUE, durable=True, arguments=older)
    edge = Broker(AMQP_URL)
    await edge.connect()
    try:
        with pytest.raises(ConfigurationError) as raised:
            await edge.declare_topology(DEMO_AGENCY_IDS)
    finally:
        await edge.close()
    assert f"queue {INGRESS_QUEUE} already exists" in raised.value.detail
    assert "docs/operations.md" in raised.value.detail


async def test_looking_keeps_every_dead_letter_in_order_past_the_delivery_limit(
    broker: Broker, channel: AbstractChannel
) -> None:
    """Listed more often than any working queue's limit: all still there, in the same order."""
    ids = ["a" * 32, "b" * 32, "c" * 32]
    await _rejected_by_police(broker, channel, *ids)

    async with DeadLetterQueue(AMQP_URL) as dlq:
        for _ in range(2 * DELIVERY_LIMIT):
            assert [letter.id for letter in await dlq.list()] == ids

    # Each look was a delivery; only the dead queue's lack of a limit kept them.
    queue = await channel.declare_queue(DEAD_QUEUE, passive=True)
    first = await queue.get(no_ack=False, timeout=10)
    assert first.headers["x-delivery-count"] >= 2 * DELIVERY_LIMIT
    await first.nack(requeue=True)


async def test_a_requeue_republishes_unchanged_then_removes_only_that_dead_letter(
    broker: Broker, channel: AbstractChannel
) -> None:
    """The chosen copy is back on the police's queue as it was sent; the other stays dead."""
    chosen, other = "e" * 32, "f" * 32
    await _rejected_by_police(broker, channel, chosen, other)
    recorded: list[tuple[str, tuple[str, str]]] = []

    async def record(letter: DeadLetter, origin: tuple[str, str]) -> None:
        assert await _count(channel, agency_queue_name(POLICE)) == 1, "confirmed before record"
        recorded.append((letter.id, origin))

    async with DeadLetterQueue(AMQP_URL) as dlq:
        done = await dlq.requeue(lambda letter: letter.id == chosen, record=record)
        assert [letter.id for letter in await dlq.list()] == [other]

    assert [letter.id for letter in done.requeued] == [chosen]
    assert recorded == [(chosen, (DELIVER_EXCHANGE, POLICE))]
    queue = await channel.declare_queue(agency_queue_name(POLICE), passive=True)
    back = await queue.get(no_ack=False, timeout=10)
    sent = _copy(chosen)
    assert back.body == sent.body
    assert (back.message_id, back.type, back.correlation_id, back.content_type) == (
        sent.message_id,
        sent.type,
        sent.correlation_id,
        sent.content_type,
    )
    assert back.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    headers = dict(back.headers)
    assert headers.pop(REQUEUES_HEADER) == 1
    headers.pop("x-delivery-count")
    assert headers == sent.headers
    await back.ack()


async def test_a_requeue_whose_record_fails_leaves_the_dead_letter_in_place(
    broker: Broker, channel: AbstractChannel
) -> None:
    """No record, no removal: the dead letter stays dead (its republished copy may be twice)."""
    await _rejected_by_police(broker, channel, "9" * 32)

    async def record(letter: DeadLetter, origin: tuple[str, str]) -> None:
        raise StoreUnavailable("the audit log is down")

    async with DeadLetterQueue(AMQP_URL) as dlq:
        with pytest.raises(StoreUnavailable):
            await dlq.requeue(lambda letter: True, record=record)
        assert [letter.id for letter in await dlq.list()] == ["9" * 32]


async def test_a_requeue_never_takes_up_what_died_again_meanwhile(
    broker: Broker, channel: AbstractChannel
) -> None:
    """Requeueing all while the police reject at once: each dead letter is put back once."""
    ids = ["1" * 32, "2" * 32]
    await _rejected_by_police(broker, channel, *ids)
    police = await channel.declare_queue(agency_queue_name(POLICE), passive=True)
    put_back: list[str] = []

    async def record(letter: DeadLetter, origin: tuple[str, str]) -> None:
        put_back.append(letter.id)
        message = await police.get(no_ack=False, timeout=10)
        await message.reject(requeue=False)

    async with DeadLetterQueue(AMQP_URL) as dlq:
        await dlq.requeue(lambda letter: True, record=record)

        async def both_dead_again() -> bool:
            return len(await dlq.list()) == 2

        await wait_until(both_dead_again, timeout=15, what="the copies dead again")
    assert put_back == ids


async def test_what_was_held_goes_back_ahead_of_what_died_meanwhile(
    broker: Broker, channel: AbstractChannel
) -> None:
    """The copies a requeue held but did not choose keep their place before a newer death."""
    chosen, *others = ["3" * 32, "4" * 32, "5" * 32]
    await _rejected_by_police(broker, channel, chosen, *others)
    police = await channel.declare_queue(agency_queue_name(POLICE), passive=True)

    async def record(letter: DeadLetter, origin: tuple[str, str]) -> None:
        message = await police.get(no_ack=False, timeout=10)
        await message.reject(requeue=False)  # it dies again while the others are held

    async with DeadLetterQueue(AMQP_URL) as dlq:
        await dlq.requeue(lambda letter: letter.id == chosen, record=record)

        async def all_three() -> bool:
            return len(await dlq.list()) == 3

        await wait_until(all_three, timeout=15, what="the requeued copy dead again")
        assert [letter.id for letter in await dlq.list()] == [*others, chosen]


async def test_a_broker_without_the_dead_queue_is_a_configuration_error(
    clean_broker: None,
) -> None:
    """Before any hub has declared the topology there is nothing to list, and it says why."""
    async with DeadLetterQueue(AMQP_URL) as dlq:
        with pytest.raises(ConfigurationError) as raised:
            await dlq.list()
    assert DEAD_QUEUE in raised.value.detail
