"""The resolver: reads ingress in order and sends each notification down its subject's shard.

A decision about a subject can depend on an earlier one (a placement starting), so two
notifications that name a common pseudonym must be routed in the order they were accepted. The
resolver makes that hold across many routers: it puts the pseudonyms each notification names
into one ordering component (:class:`~hub.ports.SubjectLinks`) and forwards the message to the
component's shard (:mod:`._shards`), where one router at a time routes it in queue order.

Rules:

1. Ingress has a single active consumer, read with a prefetch of one: the resolver links in
   acceptance order, and forwards each message (confirmed) before it acknowledges it.
2. The pseudonyms come from the intake's ``sehub-subjects`` header, computed when it accepted
   the notification (only the intake and the router may publish to ingress). An envelope the
   agency sealed itself has none: the resolver opens it to name them. Neither is trusted for
   more than order: the router verifies everything again.
3. A message the resolver cannot read goes down the shard of its message id (its router
   refuses it, audited, as it would have anyway).
4. A notification that joins two components (an NHS number and a council's id for the child,
   first seen apart) merges them. The merge is planned first (read only), then a barrier goes
   down each other shard the merged components used, and only once every one is passed is the
   merge committed and the notification forwarded: every earlier notification about them has
   then been routed. A resolver that dies in between has committed nothing, so the one that
   takes over plans the same merge and sends its barriers again.
5. A failure of the database or the broker holds the message and tries it again in place after
   a back-off (as the routing consumer does), so nothing behind it overtakes it.
6. What the resolver forwards is the message as the intake published it: body, ids, type and
   headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from hub._exceptions import ServiceError
from hub.logs import bind_message, get_logger
from hub.messages import SUBJECTS_HEADER, OutgoingMessage
from hub.ports import Clock, SubjectLinks
from hub.routing._consumer import Sleep, backoff_seconds, channel_open
from hub.routing._shards import BARRIER_TYPE, shard_of

__all__ = ["BARRIER_POLL_SECONDS", "Resolver", "ShardPublisher"]

log = get_logger(__name__)

BARRIER_POLL_SECONDS = 0.02
_WAIT_LOG_EVERY = 500  # polls: about every 10 s of waiting for a shard


class ShardPublisher(Protocol):
    """What the resolver publishes with (:class:`hub.delivery.Broker`)."""

    async def publish_shard(self, shard: int, message: OutgoingMessage) -> None: ...


class Resolver:
    """Consumes ingress: links each notification's subject and forwards it to its shard."""

    def __init__(
        self,
        *,
        links: SubjectLinks,
        publisher: ShardPublisher,
        subjects_of_envelope: Callable[[bytes], frozenset[str]],
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._links = links
        self._publisher = publisher
        self._subjects_of_envelope = subjects_of_envelope
        self._clock = clock
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: resolve one ingress message with scoped acknowledgement."""
        bind_message(message.message_id, message.correlation_id)
        try:
            async with message.process(requeue=False, ignore_processed=True):
                await self._resolve(message)
        except ChannelInvalidStateError:
            log.warning("resolver.channel_closed")  # the broker delivers the message again

    async def _resolve(self, message: AbstractIncomingMessage) -> None:
        keys = self._keys_of(message)
        attempts = 0
        while True:
            try:
                shard = await self._shard(keys, message.message_id or "")
                await self._publisher.publish_shard(shard, _forwarded(message))
            except ServiceError as exc:
                if not channel_open(message):
                    log.warning("resolver.released", cause=type(exc).__name__)
                    return
                wait = backoff_seconds(attempts)
                attempts += 1
                log.warning("resolver.retrying", cause=type(exc).__name__, attempts=attempts)
                await self._sleep(wait)
                continue
            return

    async def _shard(self, keys: frozenset[str] | None, message_id: str) -> int:
        """Plan the link, pass the barriers a merge needs, then link (rules 3 and 4)."""
        if keys is None:
            return shard_of(message_id)
        planned = await self._links.plan(keys)
        shard = shard_of(planned.component)
        for other in sorted({shard_of(c) for c in planned.merged} - {shard}):
            await self._wait_for(other)
        await self._links.link(keys, self._clock())
        return shard

    def _keys_of(self, message: AbstractIncomingMessage) -> frozenset[str] | None:
        """The pseudonyms the message names (rule 2), or None if it cannot be read (rule 3)."""
        header = (message.headers or {}).get(SUBJECTS_HEADER)
        if isinstance(header, bytes):
            header = header.decode("ascii", errors="replace")
        if isinstance(header, str) and header:
            return frozenset(header.split(","))
        try:
            keys = self._subjects_of_envelope(message.body)
        except Exception as exc:  # noqa: BLE001  # any unreadable message is the router's to refuse
            log.info("resolver.unreadable", error=type(exc).__name__)
            return None
        return keys or None

    async def _wait_for(self, shard: int) -> None:
        """Send a barrier down ``shard`` and wait until its router has passed it (rule 4)."""
        barrier = await self._links.open_barrier(shard, self._clock())
        await self._publisher.publish_shard(
            shard,
            OutgoingMessage(
                body=b"",
                message_id=barrier,
                type=BARRIER_TYPE,
                correlation_id=None,
                content_type="application/octet-stream",
            ),
        )
        polls = 0
        while not await self._links.passed(barrier):
            polls += 1
            if polls % _WAIT_LOG_EVERY == 0:
                log.warning("resolver.waiting_for_shard", shard=shard, polls=polls)
            await self._sleep(BARRIER_POLL_SECONDS)
        log.info("resolver.merged", shard=shard, polls=polls)


def _forwarded(message: AbstractIncomingMessage) -> OutgoingMessage:
    """The message as the intake published it (rule 6)."""
    headers = {
        str(key): value.decode() if isinstance(value, bytes) else str(value)
        for key, value in (message.headers or {}).items()
    }
    return OutgoingMessage(
        body=message.body,
        message_id=message.message_id or "",
        type=message.type or "",
        correlation_id=message.correlation_id,
        content_type=message.content_type or "application/octet-stream",
        headers=headers,
    )
