"""The hub's edge to RabbitMQ: one robust connection, confirmed publishes, scoped consumption.

Every aio-pika / aiormq error is mapped here to :class:`~hub.BrokerUnavailable`, except a
topology that exists with other arguments than this hub declares (RabbitMQ's
PRECONDITION_FAILED): that is a :class:`~hub.ConfigurationError` naming the queue or exchange
(:mod:`._topology`, rule 5), because retrying cannot help. A publish returns only after
RabbitMQ has confirmed that it routed the message to a durable queue; an unroutable (returned)
or refused message is an error, never a silent drop.

An intake (``hub run --role api``) needs only ingress, and its broker user may not declare
anything (:mod:`._permissions`): :meth:`Broker.check_ingress` looks for it passively, which
RabbitMQ allows anyone, and declares it only if it is missing (for a user with the right).
An ``amqps://`` URL connects over TLS; aiormq reads ``cafile``, ``capath``, ``certfile``,
``keyfile`` and ``no_verify_ssl`` from its query (docs/operations.md, "Broker identities").
Several comma-separated URLs name the nodes of one cluster: the connection fails over between
them (:mod:`._failover`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aiormq.exceptions import ChannelNotFoundEntity
from pamqp.commands import Basic

from hub._exceptions import BrokerUnavailable
from hub.delivery._failover import broker_urls, connect_failover
from hub.delivery._topology import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    INGRESS_ROUTING_KEY,
    SHARD_EXCHANGE,
    declare_ingress,
    declare_topology,
)
from hub.messages import OutgoingMessage

__all__ = ["Broker", "MessageHandler", "server_version"]

MessageHandler = Callable[[AbstractIncomingMessage], Awaitable[None]]

_BROKER_ERRORS = (*CONNECTION_EXCEPTIONS, TimeoutError)
CONNECT_TIMEOUT_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 5.0


class Broker:
    """A robust AMQP connection with a confirming publisher channel.

    ``url`` is one node's URL, or several (comma-separated, or a sequence) of one cluster's.
    """

    def __init__(self, url: str | Sequence[str], *, publish_timeout: float = 5.0) -> None:
        self._urls = broker_urls(url)
        self._publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}

    async def connect(self) -> None:
        """Open the connection and a publisher-confirms channel."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS * len(self._urls)):
                self._connection = await connect_failover(
                    self._urls, attempt_timeout=CONNECT_TIMEOUT_SECONDS
                )
                self._channel = await self._connection.channel(
                    publisher_confirms=True, on_return_raises=True
                )
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not connect to the message broker") from exc

    @property
    def connected(self) -> bool:
        """True while the connection is up (a robust connection may be reconnecting)."""
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    @property
    def server_version(self) -> str:
        """The RabbitMQ version the broker announced when the connection was opened."""
        transport = None if self._connection is None else self._connection.transport
        if transport is None:
            raise BrokerUnavailable("the message broker is not connected")
        return server_version(transport.connection.server_properties)

    def _require_channel(self) -> AbstractChannel:
        if self._channel is None or not self.connected:
            raise BrokerUnavailable("the message broker is not connected")
        return self._channel

    async def declare_ingress(self) -> None:
        """Declare ingress (what an intake process needs)."""
        channel = self._require_channel()
        try:
            async with asyncio.timeout(self._publish_timeout):
                await declare_ingress(channel, broker_version=self.server_version)
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not declare the ingress topology") from exc

    async def check_ingress(self) -> None:
        """Check passively that ingress exists (what an intake needs); declare it if missing."""
        if self._connection is None:
            raise BrokerUnavailable("the message broker is not connected")
        try:
            async with asyncio.timeout(self._publish_timeout):
                channel = await self._connection.channel()
                try:
                    exists = await _ingress_exists(channel)
                finally:
                    await channel.close()
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not check the ingress topology") from exc
        if not exists:
            await self.declare_ingress()

    async def declare_topology(self, agency_ids: Iterable[str]) -> None:
        """Declare the whole topology (what the router needs)."""
        channel = self._require_channel()
        try:
            async with asyncio.timeout(self._publish_timeout * 4):
                await declare_topology(channel, agency_ids, broker_version=self.server_version)
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("could not declare the broker topology") from exc

    async def ping(self) -> None:
        """Raise :class:`BrokerUnavailable` unless the broker answers a round trip now."""
        channel = self._require_channel()
        try:
            async with asyncio.timeout(2.0):
                await channel.get_exchange(INGRESS_EXCHANGE, ensure=True)
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("the message broker did not answer") from exc

    async def _exchange(self, name: str) -> AbstractExchange:
        if name not in self._exchanges:
            self._exchanges[name] = await self._require_channel().get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def _publish(
        self, exchange_name: str, routing_key: str, message: OutgoingMessage
    ) -> None:
        self._require_channel()
        try:
            async with asyncio.timeout(self._publish_timeout):
                exchange = await self._exchange(exchange_name)
                confirmation = await exchange.publish(
                    _to_amqp(message), routing_key=routing_key, mandatory=True
                )
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable("the message broker did not confirm the message") from exc
        if not isinstance(confirmation, Basic.Ack):
            raise BrokerUnavailable("the message broker did not confirm the message")

    async def publish_ingress(self, message: OutgoingMessage) -> None:
        """Publish to ingress; returns once RabbitMQ has confirmed it durable."""
        await self._publish(INGRESS_EXCHANGE, INGRESS_ROUTING_KEY, message)

    async def publish_shard(self, shard: int, message: OutgoingMessage) -> None:
        """Publish to one ingress shard (the resolver); returns once RabbitMQ has confirmed it."""
        await self._publish(SHARD_EXCHANGE, str(shard), message)

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None:
        """Publish to one agency's queue; returns once RabbitMQ has confirmed it."""
        await self._publish(DELIVER_EXCHANGE, agency_id, message)

    async def publish_acknowledgement(self, message: OutgoingMessage) -> None:
        """Publish an agency's business acknowledgement to the hub; returns once confirmed."""
        await self._publish(ACK_EXCHANGE, ACK_QUEUE, message)

    @asynccontextmanager
    async def consuming(
        self, queue_name: str, handler: MessageHandler, *, prefetch: int
    ) -> AsyncIterator[None]:
        """Consume ``queue_name`` with ``handler`` on a channel of its own, while in the block."""
        if self._connection is None:
            raise BrokerUnavailable("the message broker is not connected")
        try:
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=prefetch)
            queue = await channel.get_queue(queue_name, ensure=True)
            tag = await queue.consume(handler)
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable(f"could not consume {queue_name}") from exc
        try:
            yield
        finally:
            try:
                await queue.cancel(tag)
                await channel.close()
            except _BROKER_ERRORS:
                pass  # the connection is already gone; nothing left to cancel

    async def close(self) -> None:
        """Close the connection; a broker that is down or reconnecting does not block shutdown."""
        connection, self._connection = self._connection, None
        self._channel = None
        self._exchanges.clear()
        if connection is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await connection.close()
        except _BROKER_ERRORS:
            pass  # shutting down anyway; the broker drops the half-open connection


def server_version(server_properties: Mapping[str, object]) -> str:
    """The ``version`` a broker announces in its connection properties (``""`` if none)."""
    version = server_properties.get("version")
    if isinstance(version, bytes):
        return version.decode("ascii", errors="replace")
    return version if isinstance(version, str) else ""


async def _ingress_exists(channel: AbstractChannel) -> bool:
    """Whether the ingress exchange and queue exist, asked passively (no right needed)."""
    try:
        await channel.get_exchange(INGRESS_EXCHANGE, ensure=True)
        await channel.get_queue(INGRESS_QUEUE, ensure=True)
    except ChannelNotFoundEntity:
        return False
    return True


def _to_amqp(message: OutgoingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        type=message.type,
        correlation_id=message.correlation_id,
        content_type=message.content_type,
        headers=dict(message.headers),
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
