"""An operator's hands on the dead queue: look at dead letters without losing them, and put
them back where they died from.

Rules:

1. Looking takes every message on the queue (as many as it held when we looked),
   unacknowledged, reads their metadata (:class:`~hub.delivery.DeadLetter`) and gives them all
   back by closing the channel. RabbitMQ 3.10 serves a closed channel's messages again first,
   in their order, so listing keeps the order, also ahead of what arrived meanwhile (a ``nack``
   with requeue would put them behind, and so would taking only some: those given back would
   go behind the rest). The look ends once the queue counts them again. Each look counts as
   a delivery of each message, which the dead queue, with no delivery limit (``_topology``
   rule 4), never holds against it.
2. Only the messages on the queue when the look began are taken: a requeued message that dies
   again while we hold the others is not taken back up by the same requeue.
3. A requeue republishes the message as it was (body and properties unchanged; headers as
   ``_dead_letters`` rule 5 says) to the exchange and routing key it died from, on a channel
   with publisher confirms and ``mandatory``; only once RabbitMQ has confirmed it is the
   caller's ``record`` awaited (the audit record), and only then is the dead letter
   acknowledged. At least once: a crash between confirm and acknowledgement leaves it both
   requeued and dead, and the second copy is absorbed by the router's and subscriber's
   de-duplication (same message and delivery ids). If ``record`` raises, the dead letter stays.
4. A dead letter with no known origin (no ``x-death``: nobody dead-lettered it) is never
   republished; it is reported and left in place.
5. Broker errors become :class:`~hub.BrokerUnavailable`; a dead queue that does not exist (no
   hub has declared the topology) is a :class:`~hub.ConfigurationError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aiormq.exceptions import ChannelNotFoundEntity
from pamqp.commands import Basic

from hub._exceptions import BrokerUnavailable, ConfigurationError
from hub.delivery._dead_letters import DeadLetter, republished_headers
from hub.delivery._failover import broker_urls, connect_first
from hub.delivery._topology import DEAD_QUEUE

__all__ = ["DeadLetterQueue", "Requeued"]

_BROKER_ERRORS = (*CONNECTION_EXCEPTIONS, TimeoutError)

Held = list[tuple[DeadLetter, AbstractIncomingMessage]]


@dataclass(frozen=True, slots=True)
class Requeued:
    """What a requeue did: the dead letters put back, and those chosen but left (rule 4)."""

    requeued: list[DeadLetter] = field(default_factory=list)
    left: list[DeadLetter] = field(default_factory=list)


class DeadLetterQueue:
    """Lists and requeues the messages of one dead queue (``sehub.dead`` unless told)."""

    def __init__(self, amqp_url: str, *, queue: str = DEAD_QUEUE, timeout: float = 10.0) -> None:
        self._url = amqp_url
        self._queue = queue
        self._timeout = timeout
        self._connection: AbstractConnection | None = None

    async def __aenter__(self) -> DeadLetterQueue:
        try:
            async with asyncio.timeout(self._timeout):
                self._connection = await connect_first(broker_urls(self._url))
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not connect to the message broker") from exc
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                async with asyncio.timeout(self._timeout):
                    await connection.close()
            except _BROKER_ERRORS:
                pass  # going anyway; the broker returns what the connection held

    async def list(self) -> list[DeadLetter]:
        """The dead letters on the queue, oldest first, all left in place (rule 1)."""
        async with self._holding() as held:
            return [letter for letter, _ in held]

    async def requeue(
        self,
        chosen: Callable[[DeadLetter], bool],
        *,
        record: Callable[[DeadLetter, tuple[str, str]], Awaitable[None]],
    ) -> Requeued:
        """Put back each ``chosen`` dead letter where it died from (rules 2-4)."""
        done = Requeued()
        async with self._holding() as held, self._publishing() as publisher:
            for letter, message in held:
                if not chosen(letter):
                    continue
                origin = letter.origin
                if origin is None:
                    done.left.append(letter)
                    continue
                await self._republish(publisher, message, *origin, letter=letter)
                await record(letter, origin)
                try:
                    await message.ack()
                except _BROKER_ERRORS as exc:
                    raise BrokerUnavailable(
                        f"dead letter {letter.id} was requeued, but it could not be removed "
                        "from the dead queue; it will be there twice"
                    ) from exc
                done.requeued.append(letter)
        return done

    def _open(self) -> AbstractConnection:
        if self._connection is None:
            raise RuntimeError("use the DeadLetterQueue inside 'async with'")
        return self._connection

    @asynccontextmanager
    async def _holding(self) -> AsyncIterator[Held]:
        """Take the queue's messages (rules 1, 2); give back, in order, those not acknowledged."""
        try:
            async with asyncio.timeout(self._timeout):
                channel = await self._open().channel()
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not open a channel to the message broker") from exc
        held: Held = []
        waiting = 0
        try:
            waiting = await self._take(channel, held)
            yield held
        finally:
            acked = sum(1 for _, message in held if message.processed)
            await self._give_back(channel, waiting - acked)

    async def _give_back(self, channel: AbstractChannel, expected: int) -> None:
        """Close the holding channel, then wait until the queue counts what it gave back.

        RabbitMQ returns a closed channel's messages a moment after the close, so a look that
        followed at once could miss them; waiting here makes the next look see them all.
        """
        try:
            async with asyncio.timeout(self._timeout):
                await channel.close()
                if expected <= 0:
                    return
                counting = await self._open().channel()
                try:
                    # ASYNC110: the broker's count is polled; there is no event to wait on.
                    while await self._waiting(counting) < expected:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                finally:
                    await counting.close()
        except _BROKER_ERRORS:
            pass  # they come back all the same; someone else may also have taken some

    async def _waiting(self, channel: AbstractChannel) -> int:
        queue = await channel.declare_queue(self._queue, passive=True)
        return int(queue.declaration_result.message_count or 0)

    async def _take(self, channel: AbstractChannel, held: Held) -> int:
        """Fill ``held`` (rule 2); the number of messages the queue counted when we began."""
        try:
            async with asyncio.timeout(self._timeout):
                waiting = await self._waiting(channel)
            queue = await channel.get_queue(self._queue, ensure=False)
            while len(held) < waiting:
                message = await queue.get(no_ack=False, fail=False, timeout=self._timeout)
                if message is None:
                    break
                held.append((DeadLetter.of(message), message))
        except ChannelNotFoundEntity as exc:
            raise ConfigurationError(
                f"there is no queue {self._queue} on the broker; a hub declares it when it starts"
            ) from exc
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable(f"could not read the queue {self._queue}") from exc
        return waiting

    @asynccontextmanager
    async def _publishing(self) -> AsyncIterator[AbstractChannel]:
        try:
            async with asyncio.timeout(self._timeout):
                channel = await self._open().channel(publisher_confirms=True, on_return_raises=True)
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not open a channel to the message broker") from exc
        try:
            yield channel
        finally:
            try:
                async with asyncio.timeout(self._timeout):
                    await channel.close()
            except _BROKER_ERRORS:
                pass  # nothing is pending on it once a requeue has returned or raised

    async def _republish(
        self,
        channel: AbstractChannel,
        message: AbstractIncomingMessage,
        exchange_name: str,
        routing_key: str,
        *,
        letter: DeadLetter,
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                exchange = (
                    channel.default_exchange
                    if exchange_name == ""
                    else await channel.get_exchange(exchange_name, ensure=False)
                )
                confirmation = await exchange.publish(
                    _as_published(message), routing_key=routing_key, mandatory=True
                )
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable(
                f"dead letter {letter.id} was not requeued: the broker did not confirm it to "
                f"{exchange_name or '(default exchange)'} / {routing_key}"
            ) from exc
        if not isinstance(confirmation, Basic.Ack):
            raise BrokerUnavailable(f"dead letter {letter.id} was not requeued: refused")


def _as_published(message: AbstractIncomingMessage) -> aio_pika.Message:
    """The message as it was first published (rule 3): same body and properties."""
    return aio_pika.Message(
        message.body,
        headers=republished_headers(message.headers),
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=message.delivery_mode or aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        user_id=message.user_id,
        app_id=message.app_id,
    )
