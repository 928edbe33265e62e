"""The relays: they publish what the hub has committed to its outboxes, whatever became of the
request or message that committed it.

Three outboxes, one discipline. The intake outbox holds each accepted notification until
ingress has it (:class:`IngressRelay`); the delivery outbox holds each recipient's sealed copy
until its queue has it (:class:`OutboxRelay`); the replay outbox holds each copy an agency asked
for again until its queue has it once more (:class:`ReplayRelay`). The request or router that
committed an intake or delivery row publishes it at once; a relay is what makes that a
guarantee. Every process runs the ingress relay; only a router (role ``router`` or ``all``)
runs the other two, since only the router's broker user may publish to the agencies' queues.

Rules:

1. A relay claims due rows for a lease, oldest first; of several relays only one holds a row,
   and a relay that dies lets its lease run out, so another takes the row.
2. Each row is published on its own: one recipient whose publish fails never holds back
   another. The delivery relay and the router publish a batch of copies with their confirms
   awaited together (one recipient's copies in turn, so its queue has them in order). A
   failed row is counted and left for a back-off that grows with its attempts, capped at
   :data:`MAX_RETRY_SECONDS`; it is retried for as long as it takes, never dropped.
3. A confirmed delivery is marked sent and audited (``delivery.published``, after what the
   release of a held copy means: a missed deadline, an escalation, a fired clock) in the same
   transaction, once; the copies of one batch confirmed together share that transaction. A
   confirmed ingress row is marked published.
4. A database or broker outage pauses a relay, which tries again after a back-off; nothing it
   claimed is lost, since an unpublished row stays in its outbox.
5. A row published but not yet marked (a crash, an outage between the two) is published again
   under the same ids; the router and the subscribers de-duplicate by them.
6. A copy for an agency that receives only over its HTTP inbox (directory ``delivery: http``)
   is not published: :class:`InboxOnlyPublisher` confirms it at once, and it is marked sent and
   audited like any other, its ``delivery.published`` saying ``channel: inbox``. Its queue is
   left empty, not filled for nobody; the inbox (:mod:`hub.inbox`) serves it from the outbox.
7. A replayed copy was audited (``delivery.replayed``) when it was committed; the replay relay
   publishes it, marked replayed, and marks it sent, auditing nothing more. Rules 1, 2, 4 and 5
   hold for it: a second publish after a crash is a second replayed copy, which the subscriber
   library hands again (a replay is handed even if its inbox has it). Nothing is published for
   an inbox-only agency (rule 6); it reads its copies from its inbox, replay or not.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

from hub._exceptions import ServiceError
from hub.audit import AuditAction, AuditEntry
from hub.crypto import delivery_header
from hub.logs import get_logger
from hub.messages import DEADLINE, AcceptedCopy, OutboxCopy, OutgoingMessage, ReplayCopy
from hub.ports import Clock, IntakeStore, Publisher, ReplayStore, RoutingStore

__all__ = [
    "LEASE",
    "MAX_RETRY_SECONDS",
    "InboxOnlyPublisher",
    "IngressRelay",
    "OutboxRelay",
    "ReplayRelay",
    "release_entries",
    "retry_seconds",
]

log = get_logger(__name__)

MAX_RETRY_SECONDS: Final = 60.0
LEASE: Final = timedelta(seconds=30)

Sleep = Callable[[float], Awaitable[None]]


class _Attempted(Protocol):
    """A claimed outbox row: how often its publish has failed."""

    @property
    def attempts(self) -> int: ...


_Row = TypeVar("_Row", bound=_Attempted)


def retry_seconds(attempts: int) -> float:
    """How long a row whose publish failed ``attempts`` times waits before the next try."""
    return min(MAX_RETRY_SECONDS, 0.5 * 2.0 ** min(attempts, 16))


def _about(
    copy: OutboxCopy, now: datetime, rule_id: str | None, protocol_version: str | None = None
) -> AuditEntry:
    """A record about ``copy``: its notification, publisher and recipient, now."""
    notification_id, notification_type = copy.notification
    return AuditEntry(
        action=AuditAction.DELIVERY_PUBLISHED,
        recorded_at=now,
        correlation_id=copy.message.correlation_id,
        notification_id=notification_id,
        notification_type=notification_type,
        actor=copy.publisher or None,
        recipient=copy.recipient,
        rule_id=rule_id,
        protocol_version=protocol_version,
    )


def _missed(copy: OutboxCopy, now: datetime) -> list[AuditEntry]:
    """A deadline marker's release: ``deadline.missed``, for the copy it was held for."""
    base = _about(copy, now, copy.message.headers.get("sehub-rule"))
    return [
        replace(
            base,
            action=AuditAction(action),
            detail={**detail, "subjects": list(copy.subjects)},
        )
        for action, detail in copy.on_release
    ]


def release_entries(
    copy: OutboxCopy, *, retry: bool, now: datetime, channel: str = "amqp"
) -> list[AuditEntry]:
    """What publishing ``copy`` is audited as (rule 3): ``delivery.published``, described by
    its envelope's clear header (the rule and protocol, the keys), never its contents; after
    what the release of a held copy means (its ``on_release``). ``channel`` is where it went:
    ``amqp``, its queue, or ``inbox``, its HTTP inbox only (rule 6)."""
    message = copy.message
    header = delivery_header(message.body)
    base = _about(copy, now, header["rule_id"], header["protocol_version"])
    released = [
        replace(
            base,
            action=AuditAction(action),
            detail={"delivery_id": copy.delivery_id, **detail, "subjects": list(copy.subjects)},
        )
        for action, detail in copy.on_release
    ]
    published = replace(
        base,
        detail={
            "message_id": message.message_id,
            "delivery_id": copy.delivery_id,
            "kind": copy.kind,
            "envelope_sha256": hashlib.sha256(message.body).hexdigest(),
            "enc_kid": header["enc_kid"],
            "hub_kid": header["hub_kid"],
            "retry": retry,
            "channel": channel,
        },
    )
    return [*released, published]


class InboxOnlyPublisher:
    """A publisher that publishes no delivery to the agencies in ``inbox_only`` (rule 6)."""

    def __init__(self, publisher: Publisher, inbox_only: Collection[str]) -> None:
        self._publisher = publisher
        self.inbox_only = frozenset(inbox_only)

    @property
    def connected(self) -> bool:
        return self._publisher.connected

    def channel(self, agency_id: str) -> str:
        """Where a copy for ``agency_id`` goes: ``inbox`` or ``amqp``."""
        return "inbox" if agency_id in self.inbox_only else "amqp"

    async def publish_ingress(self, message: OutgoingMessage) -> None:
        await self._publisher.publish_ingress(message)

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None:
        if agency_id not in self.inbox_only:
            await self._publisher.publish_delivery(agency_id, message)


class _Relay:
    """What both relays share: their publisher, clock and pace, and the loop that drains."""

    name = "relay"

    def __init__(
        self,
        publisher: Publisher,
        clock: Clock,
        *,
        batch: int = 100,
        interval: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._publisher = publisher
        self._clock = clock
        self._batch = batch
        self._interval = interval
        self._sleep = sleep

    async def drain_once(self) -> int:
        raise NotImplementedError

    async def _publish_each(
        self,
        rows: Sequence[_Row],
        publish: Callable[[_Row], Awaitable[None]],
        *,
        retry_later: Callable[[_Row, datetime], Awaitable[None]],
        mark: Callable[[_Row], Awaitable[None]],
        about: Callable[[_Row], dict[str, str]],
    ) -> int:
        """Publish each claimed row on its own (rule 2): a confirmed one is marked, a failed one
        left for its back-off, logged with the ids ``about`` gives; how many were published."""
        failed, relayed = f"{self.name}.publish_failed", f"{self.name}.relayed"
        published = 0
        for row in rows:
            try:
                await publish(row)
            except ServiceError as exc:
                log.warning(failed, **about(row), error=type(exc).__name__)
                later = self._clock() + timedelta(seconds=retry_seconds(row.attempts + 1))
                await retry_later(row, later)
                continue
            await mark(row)
            published += 1
        if published:
            log.info(relayed, published=published, claimed=len(rows))
        return published

    async def run(self) -> None:
        """Drain for ever, pausing when there is nothing more and after an outage (rule 4);
        cancel the task to stop it."""
        failures = 0
        while True:
            try:
                published = await self.drain_once()
            except ServiceError as exc:
                failures += 1
                log.warning(
                    "relay.paused", relay=self.name, error=type(exc).__name__, failures=failures
                )
                await self._sleep(retry_seconds(failures))
                continue
            failures = 0
            if published < self._batch:
                await self._sleep(self._interval)


class OutboxRelay(_Relay):
    """Drains the delivery outbox: every due copy, independently, until it is confirmed."""

    name = "outbox"

    def __init__(
        self, state: RoutingStore, publisher: Publisher, clock: Clock, **pace: Any
    ) -> None:
        super().__init__(publisher, clock, **pace)
        self._state = state

    async def publish(self, copy: OutboxCopy, *, retry: bool) -> bool:
        """Publish one copy; once confirmed, mark it sent and audit it (rule 3).

        A broker that does not confirm leaves the copy for later (rule 2) and returns False.
        A deadline marker is not published: its release is only its audit record.
        """
        return await self.publish_all([copy], retry=retry) == 1

    async def publish_all(self, copies: Sequence[OutboxCopy], *, retry: bool | None = None) -> int:
        """Publish ``copies`` with their confirms awaited together (one recipient's copies in
        turn, so that its queue has them in order), then mark every confirmed one sent, with
        its audit records, in one transaction (rule 3); how many were marked.

        A copy the broker does not confirm is left for later (rule 2). ``retry`` says whether
        these are retries; None: each copy's own (a held copy released is not one).
        """
        by_recipient: dict[str, list[OutboxCopy]] = {}
        for copy in copies:
            by_recipient.setdefault(copy.recipient, []).append(copy)
        sent = await asyncio.gather(*(self._send_in_turn(group) for group in by_recipient.values()))
        now = self._clock()
        marks = [
            (
                copy,
                _missed(copy, now)
                if copy.kind == DEADLINE
                else release_entries(
                    copy,
                    retry=copy.release_at is None if retry is None else retry,
                    now=now,
                    channel=self._channel(copy.recipient),
                ),
            )
            for group in sent
            for copy in group
        ]
        if not marks:
            return 0
        return await self._state.mark_sent_all(marks, now)

    async def _send_in_turn(self, copies: list[OutboxCopy]) -> list[OutboxCopy]:
        """Publish one recipient's copies in order; those confirmed (a deadline marker is not
        published: its release is only its audit record)."""
        confirmed = []
        for copy in copies:
            if copy.kind != DEADLINE:
                try:
                    await self._publisher.publish_delivery(copy.recipient, copy.message)
                except ServiceError as exc:
                    log.warning(
                        "outbox.publish_failed",
                        delivery_id=copy.delivery_id,
                        recipient=copy.recipient,
                        error=type(exc).__name__,
                    )
                    later = self._clock() + timedelta(seconds=retry_seconds(copy.attempts + 1))
                    await self._state.retry_later(copy, later)
                    continue
            confirmed.append(copy)
        return confirmed

    def _channel(self, recipient: str) -> str:
        if isinstance(self._publisher, InboxOnlyPublisher):
            return self._publisher.channel(recipient)
        return "amqp"

    async def drain_once(self) -> int:
        """Claim what is due and publish it together; how many were published."""
        copies = await self._state.due(self._clock(), limit=self._batch, lease=LEASE)
        published = await self.publish_all(copies) if copies else 0
        if published:
            log.info("outbox.relayed", published=published, claimed=len(copies))
        return published


class IngressRelay(_Relay):
    """Drains the intake outbox: every accepted notification ingress has not confirmed."""

    name = "ingress"

    def __init__(self, store: IntakeStore, publisher: Publisher, clock: Clock, **pace: Any) -> None:
        super().__init__(publisher, clock, **pace)
        self._store = store

    async def drain_once(self) -> int:
        """Claim unpublished acceptances and publish each on its own; how many were published."""
        rows = await self._store.unpublished(self._clock(), limit=self._batch, lease=LEASE)

        async def retry_later(row: AcceptedCopy, at: datetime) -> None:
            await self._store.retry_later(row.event_key, at)

        async def mark(row: AcceptedCopy) -> None:
            await self._store.mark_published(row.event_key, self._clock())

        return await self._publish_each(
            rows,
            lambda row: self._publisher.publish_ingress(row.message),
            retry_later=retry_later,
            mark=mark,
            about=lambda row: {},
        )


class ReplayRelay(_Relay):
    """Drains the replay outbox: every copy an agency asked for again, until its queue has it
    (rule 7)."""

    name = "replay"

    def __init__(self, store: ReplayStore, publisher: Publisher, clock: Clock, **pace: Any) -> None:
        super().__init__(publisher, clock, **pace)
        self._store = store

    async def drain_once(self) -> int:
        """Claim unsent replays and publish each on its own; how many were published."""
        copies = await self._store.due(self._clock(), limit=self._batch, lease=LEASE)

        async def mark(copy: ReplayCopy) -> None:
            await self._store.mark_sent(copy, self._clock())

        return await self._publish_each(
            copies,
            lambda copy: self._publisher.publish_delivery(copy.recipient, copy.message),
            retry_later=self._store.retry_later,
            mark=mark,
            about=lambda copy: {"delivery_id": copy.delivery_id, "recipient": copy.recipient},
        )
