"""The subscriber: one agency reading its own queue, for days, without losing or doubling a copy.

Rules, in the order a message meets them:

1. **Open first.** The hub's signature is verified and the view opened with the agency's key
   before anything is parsed (:func:`~hub.subscriber._delivery.open_message`).
2. **Key states that pass are waited out.** A check that fails only for a while (an unknown hub
   kid or agency, a key not yet or no longer valid: ``KEY_STATES``) keeps the message,
   unacknowledged, in the library and tries it again within :class:`KeyRetry`'s window; other
   deliveries are received meanwhile. Each attempt goes through
   :class:`~hub.crypto.KeyMaterial`, which re-reads key files that changed and reloads once on
   an unknown kid by itself; the wait covers the time a key file takes to arrive.
3. **What can never be read is dead-lettered**, at once, and :class:`~hub.UnreadableDelivery`
   is raised naming the failed check, never contents: not a delivery envelope, a bad
   signature, a retired key, another recipient, a document that does not parse; and a key
   state still failing at the end of the window. Nothing else is ever dead-lettered.
4. **De-duplication by** ``delivery_id``. A delivery the inbox has seen is acknowledged and
   skipped silently (one debug line with its delivery id), unless the hub marked the copy as
   replayed (``delivery.replayed``): the agency asked for that one, so it is handed again.
5. **Scoped settlement.** When the ``async with`` block ends cleanly the delivery id is recorded
   in the inbox, then the message is acknowledged. When the block raises, the message is kept
   unacknowledged in the library and handed again on the next :meth:`Subscriber.receive`,
   however often the handler fails. It is never ``nack``-ed: RabbitMQ 3.10 (which we run)
   counts each ``nack(requeue=True)`` towards ``x-delivery-limit`` and would dead-letter it
   after 20 failures, while 4.3 no longer counts them. Keeping the message behaves the same on
   every version and takes the handler's failures out of the broker's count altogether. The
   caller's loop decides how soon to try again.
6. **The loop survives.** ``receive(timeout)`` raises :class:`TimeoutError` when nothing arrived
   in time, or :class:`~hub.BrokerUnavailable` if the broker connection is down at that moment;
   the next call works either way. The robust connection reconnects and resumes consuming by
   itself; messages taken before a reconnect are dropped, as the broker has returned them and
   delivers them again.
7. Anything else that stops a message on its way (an inbox that cannot be read or written, our
   own keys unusable) is raised, and the message is kept and taken first on the next receive;
   a failed inbox write retries the write, not the handler. One receive at a time.

Crash windows (the agency's process dies, or its connection drops):

- before or inside the block: the broker delivers the message again; it is handed again;
- after the block, before the inbox write: handed again; a handler that must not act twice
  keys its own work on ``delivery.delivery_id``;
- after the inbox write, before the acknowledgement: delivered again, skipped by the inbox;
- with :class:`MemoryInbox` the inbox dies with the process, so that last window hands it again;
- RabbitMQ 3.10 also counts each return caused by a lost connection towards the delivery limit
  (we measured it): a delivery that kills the agency's process 20 times is dead-lettered.

Business acknowledgement: :meth:`Subscriber.acknowledge` signs an
:class:`~hub.messages.Acknowledgement` as the agency and seals it to the hub (the envelope of an
agency's post), publishes it to ``sehub.acks`` and returns once RabbitMQ confirms it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, ChannelInvalidStateError

from hub._exceptions import BrokerUnavailable, InvalidMessage, UnreadableDelivery
from hub.crypto import KeyMaterial
from hub.delivery import Broker, agency_queue_name
from hub.logs import get_logger
from hub.messages import (
    ACKNOWLEDGEMENT_CONTENT_TYPE,
    AckAction,
    Acknowledgement,
    DeliveredNotification,
    OutgoingMessage,
)
from hub.ports import Clock, utc_now
from hub.subscriber._delivery import Delivery, is_replay, open_message
from hub.subscriber._inbox import Inbox, MemoryInbox
from hub.subscriber._retry import KEY_STATES, KeyRetry, KeyWait

__all__ = ["Subscriber"]

log = get_logger(__name__)


@dataclass(slots=True)
class _Kept:
    """A message the library holds unacknowledged, and how far it got."""

    message: AbstractIncomingMessage
    delivery: Delivery | None = None  # None until it opens
    wait: KeyWait | None = None  # while it waits for its keys
    handled: bool = False  # the block ended cleanly; the inbox write and the ack are left
    settled: bool = False  # acknowledged or dead-lettered


def _stale(message: AbstractIncomingMessage) -> bool:
    """Whether the message came on a channel that has since closed (rule 6)."""
    try:
        return message.channel.is_closed
    except ChannelInvalidStateError:
        return True


class Subscriber:
    """Consumes one agency's queue: verified, de-duplicated, scoped acknowledgement.

    ``inbox`` remembers handled deliveries (a :class:`MemoryInbox` unless given; the subscriber
    closes it on exit); ``prefetch`` bounds the messages taken but not yet settled, held ones
    included; ``key_retry`` bounds the wait for keys (rule 2); ``clock`` is the time the keys
    are checked at and handled deliveries are recorded with.
    """

    def __init__(
        self,
        amqp_url: str,
        agency_id: str,
        *,
        keys_dir: Path,
        inbox: Inbox | None = None,
        prefetch: int = 10,
        key_retry: KeyRetry | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.agency_id = agency_id
        self._keys = KeyMaterial(keys_dir, (agency_id,))
        self._broker = Broker(amqp_url)
        self._inbox: Inbox = inbox if inbox is not None else MemoryInbox()
        self._prefetch = prefetch
        self._key_retry = key_retry if key_retry is not None else KeyRetry()
        self._clock = clock
        self._arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._waiting: list[_Kept] = []  # held for their keys (rule 2)
        self._again: _Kept | None = None  # taken first on the next receive (rules 5 and 7)
        self._stack: AsyncExitStack | None = None
        self._receiving = False

    async def __aenter__(self) -> Subscriber:
        stack = AsyncExitStack()
        try:
            stack.push_async_callback(self._inbox.close)
            stack.push_async_callback(self._broker.close)
            await self._broker.connect()
            await stack.enter_async_context(
                self._broker.consuming(
                    agency_queue_name(self.agency_id), self._arrive, prefetch=self._prefetch
                )
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    async def _arrive(self, message: AbstractIncomingMessage) -> None:
        self._arrived.put_nowait(message)

    @asynccontextmanager
    async def receive(
        self,
        timeout: float | None = None,  # noqa: ASYNC109  # the wait, not the caller's handling
    ) -> AsyncIterator[Delivery]:
        """The next delivery, for one ``async with`` block (rules 1-7).

        Raises :class:`TimeoutError` if nothing arrives within ``timeout`` seconds, or
        :class:`~hub.BrokerUnavailable` if the broker is unreachable when the wait runs out.
        """
        if self._stack is None:
            raise RuntimeError("use the Subscriber inside 'async with'")
        if self._receiving:
            raise RuntimeError("one receive at a time")
        self._receiving = True
        try:
            kept, delivery = await self._next(timeout)
            try:
                yield delivery
            except BaseException:
                self._again = kept
                raise
            kept.handled = True
            try:
                await self._finish(kept, delivery)
            except BaseException:
                self._keep(kept)
                raise
        finally:
            self._receiving = False

    async def _next(
        self,
        timeout: float | None,  # noqa: ASYNC109  # bounds the wait for a message only
    ) -> tuple[_Kept, Delivery]:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            kept = self._take_kept(loop.time())
            if kept is None:
                message = await self._arrival(deadline)
                if message is None:
                    if deadline is not None and loop.time() >= deadline:
                        raise self._nothing_arrived(timeout)
                    continue
                kept = _Kept(message)
            if _stale(kept.message):
                continue
            try:
                delivery = await self._advance(kept)
            except BaseException:
                self._keep(kept)
                raise
            if delivery is not None:
                return kept, delivery

    def _take_kept(self, now: float) -> _Kept | None:
        """The message kept for this receive (rule 7), else one whose key wait is over."""
        if self._again is not None:
            kept, self._again = self._again, None
            return kept
        for index, kept in enumerate(self._waiting):
            if kept.wait is not None and kept.wait.next_try <= now:
                return self._waiting.pop(index)
        return None

    def _keep(self, kept: _Kept) -> None:
        if not kept.settled:
            self._again = kept

    async def _arrival(self, deadline: float | None) -> AbstractIncomingMessage | None:
        """A new message, or None at the deadline or when a held message is due again."""
        try:
            return self._arrived.get_nowait()
        except asyncio.QueueEmpty:
            pass
        wakes = [kept.wait.next_try for kept in self._waiting if kept.wait is not None]
        if deadline is not None:
            wakes.append(deadline)
        if not wakes:
            return await self._arrived.get()
        delay = max(0.0, min(wakes) - asyncio.get_running_loop().time())
        try:
            return await asyncio.wait_for(self._arrived.get(), delay)
        except TimeoutError:
            return None

    def _nothing_arrived(self, timeout: float | None) -> Exception:
        if not self._broker.connected:
            return BrokerUnavailable("the message broker is unreachable; reconnecting")
        return TimeoutError(f"no delivery within {timeout:g} s")

    async def _advance(self, kept: _Kept) -> Delivery | None:
        """Take ``kept`` as far as it goes: the delivery to hand, or None if it is not (yet)."""
        if kept.delivery is None:
            kept.delivery = await self._open(kept)
            if kept.delivery is None:
                return None
        delivery = kept.delivery
        if kept.handled:
            await self._finish(kept, delivery)
            return None
        if not delivery.replayed and await self._inbox.seen(delivery.delivery_id):
            log.debug("subscriber.duplicate_skipped", delivery_id=delivery.delivery_id)
            await self._settle(kept, dead_letter=False)
            return None
        return delivery

    async def _open(self, kept: _Kept) -> Delivery | None:
        """The opened delivery; None while it waits for its keys; else dead-letter and raise."""
        message = kept.message
        try:
            return open_message(
                self._keys,
                self.agency_id,
                message.body,
                replayed=is_replay(message.headers),
                now=self._clock(),
            )
        except InvalidMessage as exc:
            if exc.reason in KEY_STATES:
                kept.wait = self._key_retry.after_failure(
                    kept.wait, asyncio.get_running_loop().time()
                )
                if kept.wait is not None:
                    if kept.wait.attempts == 1:
                        log.info("subscriber.waiting_for_keys", reason=exc.reason, kid=exc.kid)
                    self._waiting.append(kept)
                    return None
                detail = f"the check {exc.reason} still failed after {self._key_retry.window:g} s"
            else:
                detail = f"the message failed the check {exc.reason}"
            failure: Exception = exc
        except UnreadableDelivery as exc:
            detail, failure = exc.detail, exc
        await self._settle(kept, dead_letter=True)
        log.warning("subscriber.dead_lettered", detail=detail)
        raise UnreadableDelivery(f"{detail}; it was dead-lettered") from failure

    async def _finish(self, kept: _Kept, delivery: Delivery) -> None:
        """Record the handled delivery in the inbox, then acknowledge it (rule 5)."""
        await self._inbox.record(delivery.delivery_id, handled_at=self._clock())
        await self._settle(kept, dead_letter=False)

    async def _settle(self, kept: _Kept, *, dead_letter: bool) -> None:
        kept.settled = True
        try:
            if dead_letter:
                await kept.message.reject(requeue=False)
            else:
                await kept.message.ack()
        except CONNECTION_EXCEPTIONS:
            # The channel went with its connection: the broker has the message back and delivers
            # it again (then dead-letters it again, or the inbox skips it).
            log.warning("subscriber.settle_lost", dead_letter=dead_letter)

    async def acknowledge(
        self,
        delivery: DeliveredNotification,
        action: AckAction | str,
        *,
        by: str,
        note_ref: str | None = None,
    ) -> None:
        """Tell the hub that ``by`` (a user or system id of this agency) did ``action``.

        Signed as the agency and sealed to the hub; returns once RabbitMQ has confirmed it,
        else raises :class:`~hub.BrokerUnavailable`. ``by`` and ``note_ref`` are opaque
        references, never names or free text (else ``ValueError``).
        """
        acknowledgement = Acknowledgement(
            delivery_id=delivery.delivery_id, action=AckAction(action), by=by, note_ref=note_ref
        )
        message_id = acknowledgement.message_id
        envelope = self._keys.seal_source(
            self.agency_id,
            acknowledgement.model_dump_json().encode(),
            message_id=message_id,
            now=self._clock(),
        )
        await self._broker.publish_acknowledgement(
            OutgoingMessage(
                body=envelope,
                message_id=message_id,
                type="acknowledgement",
                correlation_id=None,
                content_type=ACKNOWLEDGEMENT_CONTENT_TYPE,
                headers={"sehub-publisher": self.agency_id},
            )
        )
