"""Ingress shards: which shard a subject's notifications go down, and which router reads it.

::

    (sehub.ingress) --resolver, one active--> [sehub.shards] --"<n>"--> (sehub.ingress.shard.<n>)
                                                                  --one active router each-->

Rules:

1. A notification goes down the shard of its subject's ordering component (:func:`shard_of`, a
   hash of the component modulo :data:`~hub.delivery.SHARD_COUNT`); one the resolver could not
   read goes down the shard of its message id, and its router refuses it as it would anyway.
2. Each shard queue has a single active consumer, read with a prefetch of one: its router holds
   a message, through every retry, until it is routed or dead-lettered, so the broker gives
   nobody the next one before. That is what keeps one subject's notifications in order, across
   any number of router processes.
3. A router of slot ``i/n`` (``HUB_ROUTER_SLOT``) consumes first the shards ``s`` with
   ``s % n == i``, then, after :data:`STANDBY_DELAY_SECONDS`, every other shard as a standby:
   routers started together share the shards, and when one stops the broker hands its shards
   to a standby. The default ``0/1`` consumes every shard at once.
4. A barrier marker (:data:`BARRIER_TYPE`) carries no notification. The router passes it in
   the database once every message before it on its shard has been routed (rule 2 makes that
   "when it arrives"), and the resolver waits for that before a merge moves a component to
   another shard (:mod:`._resolver`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage

from hub._exceptions import ConfigurationError, ServiceError
from hub.delivery import INGRESS_QUEUE, SHARD_COUNT, Broker, MessageHandler, shard_queue_name
from hub.logs import get_logger
from hub.ports import Clock, SubjectLinks
from hub.routing._consumer import Sleep, backoff_seconds, channel_open

__all__ = [
    "BARRIER_TYPE",
    "STANDBY_DELAY_SECONDS",
    "ShardConsumer",
    "ShardSlot",
    "consuming_ingress",
    "shard_of",
]

log = get_logger(__name__)

BARRIER_TYPE = "sehub.barrier"
STANDBY_DELAY_SECONDS = 5.0
_SLOT = re.compile(r"^(\d{1,3})/(\d{1,3})$")


def shard_of(key: str) -> int:
    """The shard of an ordering component, or of a message id (rule 1)."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % SHARD_COUNT


@dataclass(frozen=True, slots=True)
class ShardSlot:
    """Which shards a router reads first (rule 3): ``index`` of ``count`` routers."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> ShardSlot:
        """A slot from ``"i/n"``, such as ``"0/2"``."""
        match = _SLOT.match(text.strip())
        if match is None:
            raise ConfigurationError("HUB_ROUTER_SLOT must be i/n, such as 0/2")
        index, count = int(match[1]), int(match[2])
        if not 0 <= index < count <= SHARD_COUNT:
            raise ConfigurationError(f"HUB_ROUTER_SLOT needs 0 <= i < n <= {SHARD_COUNT}")
        return cls(index, count)

    def owned(self) -> list[int]:
        """The shards this router consumes at once."""
        return [shard for shard in range(SHARD_COUNT) if shard % self.count == self.index]

    def standby(self) -> list[int]:
        """The shards it stands by for."""
        return [shard for shard in range(SHARD_COUNT) if shard % self.count != self.index]


class ShardConsumer:
    """Consumes one router's shards: passes barriers, hands the rest to the routing consumer."""

    def __init__(
        self,
        routing: MessageHandler,
        *,
        links: SubjectLinks,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._routing = routing
        self._links = links
        self._clock = clock
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: a barrier is passed (rule 4); anything else is routed."""
        if message.type != BARRIER_TYPE:
            await self._routing(message)
            return
        async with message.process(requeue=False, ignore_processed=True):
            attempts = 0
            while True:
                try:
                    await self._links.pass_barrier(message.message_id or "", self._clock())
                except ServiceError as exc:
                    if not channel_open(message):
                        return
                    log.warning("routing.barrier_retrying", cause=type(exc).__name__)
                    await self._sleep(backoff_seconds(attempts))
                    attempts += 1
                    continue
                log.info("routing.barrier_passed")
                return


@asynccontextmanager
async def consuming_ingress(
    broker: Broker,
    resolver: MessageHandler,
    shards: MessageHandler,
    slot: ShardSlot,
    *,
    standby_delay: float = STANDBY_DELAY_SECONDS,
) -> AsyncIterator[None]:
    """Consume ingress with ``resolver`` and the shards with ``shards``, while in the block."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(broker.consuming(INGRESS_QUEUE, resolver, prefetch=1))
        for shard in slot.owned():
            await stack.enter_async_context(
                broker.consuming(shard_queue_name(shard), shards, prefetch=1)
            )

        async def stand_by() -> None:
            await asyncio.sleep(standby_delay)
            try:
                for shard in slot.standby():
                    await stack.enter_async_context(
                        broker.consuming(shard_queue_name(shard), shards, prefetch=1)
                    )
            except ServiceError as exc:
                # This router still reads its own shards; another stands by for the rest.
                log.warning("routing.standby_failed", error=type(exc).__name__)

        standing_by = asyncio.create_task(stand_by())
        try:
            yield
        finally:
            standing_by.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await standing_by
