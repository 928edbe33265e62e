"""The subscriber's key states and its business acknowledgement on the real RabbitMQ: a key that
appears late or a clock behind the hub's is waited out, what can never be read is dead-lettered
at once, and ``acknowledge()`` reaches ``sehub.acks`` signed as the agency."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import pytest

from hub import BrokerUnavailable
from hub.crypto import HUB_AGENCY, KeyMaterial, KeyRotation, KeyStore
from hub.delivery import ACK_EXCHANGE, ACK_QUEUE, Broker
from hub.messages import ACKNOWLEDGEMENT_CONTENT_TYPE, Acknowledgement, delivery_id
from hub.subscriber import Delivery, KeyRetry, Subscriber, UnreadableDelivery
from tests.integration.conftest import AMQP_URL, wait_until
from tests.integration.subscriber_support import (
    dead_letters,
    police,
    police_topology,
    publish,
)
from tests.subscriber_builders import POLICE, make_keys, sealed_delivery, tampered

HELD = delivery_id("synthetic-held", POLICE)
PLAIN = delivery_id("synthetic-plain", POLICE)


@pytest.fixture
async def broker(clean_broker: None) -> AsyncIterator[Broker]:
    async with police_topology() as publisher:
        yield publisher


async def _receive_one(
    subscriber: Subscriber,
    timeout: float,  # noqa: ASYNC109  # handed to receive
) -> Delivery:
    async with subscriber.receive(timeout=timeout) as delivery:
        return delivery


def _hub_rotated_unseen(tmp_path: Path) -> tuple[KeyMaterial, KeyMaterial, Path]:
    """The hub's keys before and after it rotates its signing key, and a police keys directory
    that has only the hub's old public document (the new one has not reached the police)."""
    hub_dir = tmp_path / "hub-keys"
    before = make_keys(hub_dir)
    police_dir = tmp_path / "police-keys"
    shutil.copytree(hub_dir, police_dir)
    KeyStore(police_dir).private_path(HUB_AGENCY).unlink()
    store = KeyStore(hub_dir)
    rotated, _ = KeyRotation().rotate(store.read_private(HUB_AGENCY), "sig", datetime.now(UTC))
    store.save(rotated)
    return before, KeyMaterial(hub_dir, (HUB_AGENCY,)), police_dir


def _hand_over_hub_key(tmp_path: Path, police_dir: Path) -> None:
    """Write the hub's current public document into the police's keys directory, atomically."""
    target = KeyStore(police_dir).public_path(HUB_AGENCY)
    partial = target.with_name(".hub.partial")
    shutil.copyfile(KeyStore(tmp_path / "hub-keys").public_path(HUB_AGENCY), partial)
    os.replace(partial, target)


@pytest.mark.timeout(90)
async def test_an_unknown_hub_kid_is_waited_for_until_its_key_file_arrives(
    broker: Broker, tmp_path: Path
) -> None:
    """A delivery signed with a hub key the police have not seen yet is held (others are handed
    meanwhile), then read once the key file is written; nothing is dead-lettered."""
    before, after, police_dir = _hub_rotated_unseen(tmp_path)
    await publish(broker, sealed_delivery(after, HELD))
    await publish(broker, sealed_delivery(before, PLAIN))

    async with police(police_dir, key_retry=KeyRetry(window=60)) as subscriber:
        first = await _receive_one(subscriber, timeout=10)
        assert first.delivery_id == PLAIN
        held = asyncio.create_task(_receive_one(subscriber, timeout=40))
        await asyncio.sleep(2.5)
        assert not held.done(), "the held delivery cannot be read before its key arrives"
        _hand_over_hub_key(tmp_path, police_dir)
        second = await asyncio.wait_for(held, timeout=40)

    assert second.delivery_id == HELD
    assert await dead_letters() == 0


@pytest.mark.timeout(60)
async def test_a_clock_seconds_behind_the_hubs_is_waited_out(
    broker: Broker, tmp_path: Path
) -> None:
    """With the police's clock 3 s behind, keys made just now are not yet valid; the delivery
    is held until they are, then handed, not dead-lettered."""
    keys = make_keys(tmp_path / "keys")
    await publish(broker, sealed_delivery(keys, HELD))
    loop = asyncio.get_running_loop()

    def behind() -> datetime:
        return datetime.now(UTC) - timedelta(seconds=3)

    async with police(tmp_path / "keys", key_retry=KeyRetry(window=30), clock=behind) as sub:
        started = loop.time()
        delivery = await _receive_one(sub, timeout=30)

    assert delivery.delivery_id == HELD
    assert loop.time() - started >= 1, "it was held, not read at once"
    assert await dead_letters() == 0


@pytest.mark.timeout(60)
async def test_an_unknown_kid_still_unknown_at_the_end_of_the_window_is_dead_lettered(
    broker: Broker, tmp_path: Path
) -> None:
    """A key that never arrives: the delivery is dead-lettered once a 2 s window is over."""
    _, after, police_dir = _hub_rotated_unseen(tmp_path)
    await publish(broker, sealed_delivery(after, HELD))
    loop = asyncio.get_running_loop()

    async with police(police_dir, key_retry=KeyRetry(window=2)) as subscriber:
        started = loop.time()
        with pytest.raises(UnreadableDelivery, match="unknown_kid still failed after 2 s"):
            await _receive_one(subscriber, timeout=20)
        elapsed = loop.time() - started

    assert 2 <= elapsed < 10
    await wait_until(lambda: _dead_lettered(1), timeout=10, what="one dead letter")


async def _dead_lettered(count: int) -> bool:
    return await dead_letters() == count


async def test_a_bad_signature_is_dead_lettered_at_once(broker: Broker, tmp_path: Path) -> None:
    """A tampered hub signature is dead-lettered on first sight, however long the key window."""
    keys = make_keys(tmp_path / "keys")
    await publish(broker, tampered(sealed_delivery(keys, HELD)))
    loop = asyncio.get_running_loop()

    async with police(tmp_path / "keys", key_retry=KeyRetry(window=60)) as subscriber:
        started = loop.time()
        with pytest.raises(UnreadableDelivery, match="bad_signature"):
            await _receive_one(subscriber, timeout=10)
        assert loop.time() - started < 5

    await wait_until(lambda: _dead_lettered(1), timeout=10, what="one dead letter")


async def test_no_delivery_and_another_agencys_delivery_are_dead_lettered(
    broker: Broker, tmp_path: Path
) -> None:
    """Plain JSON and a document naming another recipient each raise UnreadableDelivery and
    are dead-lettered; the error names neither the contents nor the recipient."""
    keys = make_keys(tmp_path / "keys")
    await publish(broker, b'{"person": "CANARY-NOT-A-DELIVERY"}')
    await publish(broker, sealed_delivery(keys, HELD, recipient="northumberland-education"))

    async with police(tmp_path / "keys") as subscriber:
        with pytest.raises(UnreadableDelivery, match="malformed") as plain:
            await _receive_one(subscriber, timeout=10)
        with pytest.raises(UnreadableDelivery, match="another agency") as misaddressed:
            await _receive_one(subscriber, timeout=10)

    assert "CANARY" not in str(plain.value)
    assert "education" not in str(misaddressed.value)
    await wait_until(lambda: _dead_lettered(2), timeout=10, what="two dead letters")


async def test_acknowledge_lands_on_the_ack_queue_signed_as_the_agency(
    broker: Broker, tmp_path: Path
) -> None:
    """acknowledge() publishes a persistent message to sehub.acks that the hub opens as the
    police's acknowledgement of that delivery."""
    keys = make_keys(tmp_path / "keys")
    await publish(broker, sealed_delivery(keys, HELD))
    async with (
        police(tmp_path / "keys") as subscriber,
        subscriber.receive(timeout=10) as delivery,
    ):
        await subscriber.acknowledge(
            delivery, "actioned", by="duty-sergeant-0042", note_ref="case-note-77"
        )

    message = await _take_ack()
    assert message.content_type == ACKNOWLEDGEMENT_CONTENT_TYPE
    assert message.message_id == f"ack-{HELD}-actioned"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    contents = keys.open_source(message.body, now=datetime.now(UTC))
    assert contents.agency == POLICE
    assert contents.message_id == message.message_id
    assert Acknowledgement.model_validate_json(contents.notification) == Acknowledgement(
        delivery_id=HELD, action="actioned", by="duty-sergeant-0042", note_ref="case-note-77"
    )


async def test_acknowledge_raises_when_the_broker_does_not_confirm(
    broker: Broker, tmp_path: Path
) -> None:
    """Without the acknowledgement exchange nothing can be confirmed: BrokerUnavailable."""
    keys = make_keys(tmp_path / "keys")
    await publish(broker, sealed_delivery(keys, HELD))
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        await (await connection.channel()).exchange_delete(ACK_EXCHANGE)

    async with police(tmp_path / "keys") as subscriber:
        delivery = await _receive_one(subscriber, timeout=10)
        with pytest.raises(BrokerUnavailable):
            await subscriber.acknowledge(delivery, "received", by="duty-desk")


async def _take_ack() -> aio_pika.abc.AbstractIncomingMessage:
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(ACK_QUEUE, passive=True)
        message = await queue.get(timeout=10, fail=True)
        await message.ack()
        return message
