"""The subscriber library: how an agency reads its own notifications from its queue.

::

    async with Subscriber(amqp_url, "northumbria-police", keys_dir=keys) as subscriber:
        async with subscriber.receive(timeout=30) as delivery:
            handle(delivery.event, delivery.receipt)
        # leaving the block cleanly acknowledges; an exception dead-letters the message

Every delivery is a sealed envelope (docs/wire-format.md): the hub's signature is verified,
then the view is opened with the agency's own private key, before anything is parsed.

Acknowledgement is scoped: the message is acknowledged only when the ``async with`` block ends
without an exception. A message that cannot be verified, opened or read as a delivery is
dead-lettered and raises :class:`UnreadableDelivery`, which says nothing about its contents.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueueIterator,
    AbstractRobustConnection,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from pydantic import ValidationError

from hub._exceptions import BrokerUnavailable, UnreadableDelivery
from hub.crypto import InvalidMessage, KeyMaterial
from hub.delivery import agency_queue_name
from hub.messages import DeliveredNotification
from hub.ports import Clock, utc_now

__all__ = ["Subscriber", "UnreadableDelivery"]


class Subscriber:
    """Consumes one agency's queue with scoped acknowledgement."""

    def __init__(
        self,
        amqp_url: str,
        agency_id: str,
        *,
        keys_dir: Path,
        prefetch: int = 10,
        clock: Clock = utc_now,
    ) -> None:
        self.agency_id = agency_id
        self._clock = clock
        self._keys = KeyMaterial(keys_dir, (agency_id,))
        self._url = amqp_url
        self._prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._iterator: AbstractQueueIterator | None = None

    async def __aenter__(self) -> Subscriber:
        try:
            self._connection = await aio_pika.connect_robust(self._url)
            self._channel = await self._connection.channel()
            await self._channel.set_qos(prefetch_count=self._prefetch)
            queue = await self._channel.get_queue(agency_queue_name(self.agency_id), ensure=True)
            self._iterator = queue.iterator()
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            await self._close()
            raise BrokerUnavailable(f"cannot consume the queue of {self.agency_id}") from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        if self._iterator is not None:
            await self._iterator.close()
            self._iterator = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _next_message(
        self,
        timeout: float | None,  # noqa: ASYNC109  # bounds the wait for a message only
    ) -> AbstractIncomingMessage:
        if self._iterator is None:
            raise RuntimeError("use the Subscriber inside 'async with'")
        try:
            return await asyncio.wait_for(self._iterator.__anext__(), timeout)
        except StopAsyncIteration as exc:
            raise BrokerUnavailable("the subscription was closed") from exc

    @asynccontextmanager
    async def receive(
        self,
        timeout: float | None = None,  # noqa: ASYNC109  # the wait, not the caller's handling
    ) -> AsyncIterator[DeliveredNotification]:
        """The next delivery; acknowledged when the block exits cleanly.

        Raises :class:`TimeoutError` if nothing arrives within ``timeout`` seconds.
        """
        message = await self._next_message(timeout)
        async with message.process(requeue=False):
            try:
                contents = self._keys.open_delivery(self.agency_id, message.body, now=self._clock())
                delivery = DeliveredNotification.model_validate_json(contents.plaintext)
            except (InvalidMessage, ValidationError) as exc:
                raise UnreadableDelivery("the message is not a valid delivery") from exc
            if delivery.recipient != self.agency_id:
                raise UnreadableDelivery("the message is addressed to another agency")
            yield delivery
