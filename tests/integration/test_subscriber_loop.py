"""The subscriber on the real RabbitMQ as an agency runs it, for days: a loop of short waits, a
broker restart under it, copies of one delivery handed once, and a handler that keeps failing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hub import BrokerUnavailable
from hub.crypto import KeyMaterial
from hub.delivery import DELIVERY_LIMIT, Broker
from hub.messages import delivery_id
from hub.subscriber import SqliteInbox, Subscriber
from tests.integration.conftest import AMQP_URL
from tests.integration.subscriber_support import (
    POLICE_QUEUE,
    dead_letters,
    message_count,
    police,
    police_topology,
    publish,
)
from tests.subscriber_builders import POLICE, make_keys, sealed_delivery

DELIVERY_ID = delivery_id("synthetic-event-key", POLICE)


class HandlerFailed(Exception):
    """What the agency's own handler raises in these tests."""


async def _handle(
    subscriber: Subscriber,
    handed: list[str],
    *,
    fail: bool,
    timeout: float = 10,  # noqa: ASYNC109  # handed to receive
) -> None:
    """Receive one delivery, note its id, and fail (as the agency's handler would) if told."""
    async with subscriber.receive(timeout=timeout) as delivery:
        handed.append(delivery.delivery_id)
        if fail:
            raise HandlerFailed


@pytest.fixture
async def broker(clean_broker: None) -> AsyncIterator[Broker]:
    async with police_topology() as publisher:
        yield publisher


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def keys(keys_dir: Path) -> KeyMaterial:
    return make_keys(keys_dir)


async def test_polling_with_short_timeouts_keeps_working(
    broker: Broker, keys: KeyMaterial, keys_dir: Path
) -> None:
    """Two hundred receives that time out leave the subscriber working: a delivery then arrives."""
    async with police(keys_dir) as subscriber:
        for _ in range(200):
            with pytest.raises(TimeoutError):
                async with subscriber.receive(timeout=0.02):
                    pytest.fail("nothing was published")
        await publish(broker, sealed_delivery(keys, DELIVERY_ID))
        async with subscriber.receive(timeout=10) as delivery:
            assert delivery.delivery_id == DELIVERY_ID
    assert await message_count(POLICE_QUEUE) == 0


@pytest.mark.timeout(300)  # stops and starts the real broker
async def test_a_polling_loop_survives_a_broker_restart(
    broker: Broker,
    keys: KeyMaterial,
    keys_dir: Path,
    rabbitmq_control: Callable[[str], None],
) -> None:
    """A loop of 0.5 s receives runs through a broker stop and start: the delivery its handler
    failed on before the outage comes back once, and one published after it arrives."""
    await publish(broker, sealed_delivery(keys, DELIVERY_ID))
    later = delivery_id("synthetic-after-restart", POLICE)
    outcomes: list[str] = []
    handed: list[str] = []
    async with police(keys_dir) as subscriber:
        with pytest.raises(HandlerFailed):
            await _handle(subscriber, handed, fail=True)

        async def poll() -> None:
            while later not in handed:
                try:
                    await _handle(subscriber, handed, fail=False, timeout=0.5)
                except TimeoutError:
                    outcomes.append("timeout")
                except BrokerUnavailable:
                    outcomes.append("broker unavailable")

        polling = asyncio.create_task(poll())
        await asyncio.to_thread(rabbitmq_control, "stop")
        await asyncio.to_thread(rabbitmq_control, "start")
        publisher = Broker(AMQP_URL)
        await publisher.connect()
        try:
            await publish(publisher, sealed_delivery(keys, later))
        finally:
            await publisher.close()
        await asyncio.wait_for(polling, timeout=60)

    assert "broker unavailable" in outcomes, "the outage was reported while it lasted"
    assert handed == [DELIVERY_ID, DELIVERY_ID, later]
    assert await message_count(POLICE_QUEUE) == 0


async def test_the_same_delivery_published_twice_is_handed_once(
    broker: Broker, keys: KeyMaterial, keys_dir: Path
) -> None:
    """Two copies of one delivery: the first is handed, the second acknowledged and skipped."""
    envelope = sealed_delivery(keys, DELIVERY_ID)
    await publish(broker, envelope)
    await publish(broker, envelope)
    handed = []
    async with police(keys_dir) as subscriber:
        async with subscriber.receive(timeout=10) as delivery:
            handed.append(delivery.delivery_id)
        with pytest.raises(TimeoutError):
            async with subscriber.receive(timeout=2):
                pytest.fail("the second copy was handed")

    assert handed == [DELIVERY_ID]
    assert await message_count(POLICE_QUEUE) == 0


async def test_the_sqlite_inbox_remembers_across_a_subscriber_restart(
    broker: Broker, keys: KeyMaterial, keys_dir: Path, tmp_path: Path
) -> None:
    """After a restart a copy already handled is skipped; one the hub marks replayed is handed."""
    inbox_path = tmp_path / "inbox" / "police.sqlite"
    envelope = sealed_delivery(keys, DELIVERY_ID)
    await publish(broker, envelope)
    async with (
        police(keys_dir, inbox=SqliteInbox(inbox_path)) as subscriber,
        subscriber.receive(timeout=10) as first,
    ):
        assert not first.replayed

    await publish(broker, envelope)
    await publish(broker, envelope, replayed=True)
    async with police(keys_dir, inbox=SqliteInbox(inbox_path)) as subscriber:
        async with subscriber.receive(timeout=10) as again:
            assert again.delivery_id == DELIVERY_ID
            assert again.replayed, "the plain copy was skipped; the replayed one is handed"
        with pytest.raises(TimeoutError):
            async with subscriber.receive(timeout=1):
                pytest.fail("a copy was handed twice")

    assert await message_count(POLICE_QUEUE) == 0


@pytest.mark.timeout(120)
async def test_a_failing_handler_gets_the_delivery_back_past_the_delivery_limit(
    broker: Broker, keys: KeyMaterial, keys_dir: Path
) -> None:
    """A handler raising 25 times (the limit is 20) is handed the same delivery each time, then
    succeeds: acknowledged once, never dead-lettered."""
    failures = DELIVERY_LIMIT + 5
    await publish(broker, sealed_delivery(keys, DELIVERY_ID))
    handed: list[str] = []
    async with police(keys_dir) as subscriber:
        for _ in range(failures):
            with pytest.raises(HandlerFailed):
                await _handle(subscriber, handed, fail=True)
        await _handle(subscriber, handed, fail=False)
        with pytest.raises(TimeoutError):
            async with subscriber.receive(timeout=1):
                pytest.fail("the delivery came back after it was handled")

    assert handed == [DELIVERY_ID] * (failures + 1)
    assert await dead_letters() == 0
    assert await message_count(POLICE_QUEUE) == 0
