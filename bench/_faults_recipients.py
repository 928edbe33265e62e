"""The recipients' side of a fault run: what each agency's handler was given, and what reached
its queue.

Rules:

1. One subscriber per expected recipient agency, through the subscriber library's public API
   only (``Subscriber(url, agency, keys_dir=..., inbox=SqliteInbox(...))``, ``async with
   subscriber.receive(timeout=...) as delivery``), with a SQLite inbox per agency kept across
   reopenings, as an agency keeps its own. The handler counts every copy it is handed, by
   ``delivery_id`` and by (notification id, recipient): raw, and distinct.
2. The library is not trusted to survive anything: a timeout is retried on the same
   subscription; any other error (the broker going away, the subscription closing, an ack that
   fails) is counted by type, and the subscriber is opened afresh after a short pause.
3. A *tap*: for every party of the protocol, a durable quorum queue ``faults.tap.<agency>``
   bound to the hub's delivery exchange with the agency's routing key, so it receives a copy of
   everything the hub publishes to that agency. It is read with plain AMQP, by the clear
   ``sehub-delivery-id`` header, without opening anything. It tells a second publish by the hub
   (a new message) from a redelivery to the subscriber, and a copy never published from one
   lost on the way. A tap copy marked ``redelivered`` is the tap's own redelivery (its ack was
   lost), counted only if it is the first copy of that delivery the tap sees.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aio_pika.abc import AbstractIncomingMessage

from hub import UnreadableDelivery
from hub.delivery import DELIVER_EXCHANGE, broker_urls, connect_first
from hub.subscriber import SqliteInbox, Subscriber

__all__ = ["Recipients", "Tally", "subscribed_agencies", "tap_queue_name"]

RECEIVE_TIMEOUT_SECONDS: Final = 2.0
REOPEN_PAUSE_SECONDS: Final = 0.5
TAP_PREFIX: Final = "faults.tap."


def tap_queue_name(agency_id: str) -> str:
    return TAP_PREFIX + agency_id


@dataclass
class Tally:
    """Copies seen, by delivery id, and which delivery ids each (notification, recipient) had."""

    times: dict[str, list[float]] = field(default_factory=dict)  # delivery id -> when seen
    pairs: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    last_at: float = 0.0

    def record(self, delivery_id: str, notification_id: str, recipient: str, at: float) -> None:
        self.times.setdefault(delivery_id, []).append(at)
        self.pairs[notification_id, recipient].add(delivery_id)
        self.last_at = max(self.last_at, at)

    def copies(self, delivery_id: str) -> int:
        return len(self.times.get(delivery_id, ()))

    @property
    def raw(self) -> int:
        return sum(len(seen) for seen in self.times.values())

    @property
    def extra(self) -> int:
        """Copies beyond the first, over every delivery id."""
        return self.raw - len(self.times)


@dataclass
class Recipients:
    """The subscribers of the expected recipients, and the taps of every party (rules 1-3)."""

    amqp_url: str
    keys_dir: Path
    inbox_dir: Path
    subscribed: tuple[str, ...]
    tapped: tuple[str, ...]
    elapsed: Callable[[], float]
    handler: Tally = field(default_factory=Tally)
    tap: Tally = field(default_factory=Tally)
    errors: Counter[str] = field(default_factory=Counter)
    reopenings: Counter[str] = field(default_factory=Counter)

    async def install_taps(self) -> None:
        """Declare and bind the tap queues (after the hub has declared its exchange)."""
        connection = await connect_first(broker_urls(self.amqp_url), attempt_timeout=10)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(DELIVER_EXCHANGE)
            for agency in self.tapped:
                queue = await channel.declare_queue(
                    tap_queue_name(agency), durable=True, arguments={"x-queue-type": "quorum"}
                )
                await queue.bind(exchange, routing_key=agency)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``: every subscriber and the tap."""
        await asyncio.gather(
            *(self._subscribe(agency, stop) for agency in self.subscribed), self._read_taps(stop)
        )

    def pairs_received(self) -> set[tuple[str, str]]:
        return set(self.handler.pairs)

    async def _subscribe(self, agency: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with Subscriber(
                    self.amqp_url,
                    agency,
                    keys_dir=self.keys_dir,
                    inbox=SqliteInbox(self.inbox_dir / f"{agency}.sqlite"),
                ) as subscriber:
                    await self._receive_until_broken(subscriber, stop)
            except Exception as exc:  # noqa: BLE001  # rule 2: count it, open afresh
                self.errors[f"subscriber: {type(exc).__name__}"] += 1
            if not stop.is_set():
                self.reopenings[agency] += 1
                await asyncio.sleep(REOPEN_PAUSE_SECONDS)

    async def _receive_until_broken(self, subscriber: Subscriber, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with subscriber.receive(timeout=RECEIVE_TIMEOUT_SECONDS) as delivery:
                    self.handler.record(
                        delivery.delivery_id,
                        delivery.notification_id,
                        delivery.recipient,
                        self.elapsed(),
                    )
            except TimeoutError:
                continue
            except UnreadableDelivery:
                self.errors["subscriber: UnreadableDelivery"] += 1

    async def _read_taps(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._read_taps_once(stop)
            except Exception as exc:  # noqa: BLE001  # the broker was killed: reconnect
                self.errors[f"tap: {type(exc).__name__}"] += 1
            if not stop.is_set():
                await asyncio.sleep(REOPEN_PAUSE_SECONDS)

    async def _read_taps_once(self, stop: asyncio.Event) -> None:
        """Consume every tap until ``stop`` or until the connection is lost."""
        connection = await connect_first(broker_urls(self.amqp_url), attempt_timeout=5)
        lost = asyncio.Event()
        # A plain connection's closed() waits for close() only, not for a lost broker.
        connection.close_callbacks.add(lambda *_: lost.set())
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=200)
            for agency in self.tapped:
                queue = await channel.get_queue(tap_queue_name(agency))
                await queue.consume(self._on_tap_copy)
            waits = {asyncio.ensure_future(lost.wait()), asyncio.ensure_future(stop.wait())}
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        if lost.is_set():
            self.errors["tap: connection lost"] += 1

    async def _on_tap_copy(self, message: AbstractIncomingMessage) -> None:
        headers = message.headers or {}
        delivery_id = str(headers.get("sehub-delivery-id", ""))
        if not (message.redelivered and self.tap.copies(delivery_id)):
            recipient = str(headers.get("sehub-recipient", ""))
            self.tap.record(delivery_id, str(message.message_id), recipient, self.elapsed())
        with contextlib.suppress(Exception):
            await message.ack()


def subscribed_agencies(recipient_sets: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """Every agency that some notification should reach, sorted."""
    return tuple(sorted(set().union(*recipient_sets)))
