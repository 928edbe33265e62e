"""Fakes of the ports (:mod:`hub.ports`), for unit tests of pure logic; never shipped.

Integration tests use the real RabbitMQ and database instead (see ``tests/integration``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aio_pika.exceptions import ChannelInvalidStateError

from hub import BrokerUnavailable, StoreUnavailable
from hub.audit import SUBJECT_KEY_BYTES, AuditEntry, subject_token
from hub.crypto import AUDIT_MAC_FILE, HUB_AGENCY, AuditMacKeys, KeyMaterial, provision_keys
from hub.intake import Intake
from hub.messages import (
    Acceptance,
    AcceptedCopy,
    InboxCopy,
    OutboxCopy,
    OutgoingMessage,
    ReplayCopy,
)
from hub.ports import (
    AuditLog,
    Clock,
    IntakeStore,
    Publisher,
    RoutingStore,
    SubjectKeys,
)
from hub.pseudonyms import Pseudonymiser
from hub.sharing import (
    ActivePlacement,
    Decision,
    EpisodeChange,
    MissingEpisode,
    PlacementChange,
    RiskTold,
    RoutingState,
)

__all__ = [
    "FakeAuditLog",
    "FakeChannel",
    "FakeInboxStore",
    "FakeIncomingMessage",
    "FakeIntakeStore",
    "FakePublisher",
    "FakeReplayStore",
    "FakeRoutingStore",
    "FixedClock",
    "RecordingSleep",
    "ScriptedRouter",
    "fake_intake",
    "provisioned_keys",
]


@dataclass
class FakePublisher:
    """Records what would have been published; ``fail=True`` simulates a broker outage."""

    fail: bool = False
    fail_for: set[str] = field(default_factory=set)  # recipients whose deliveries fail
    unconfirmed: bool = False  # connected, but no publish is confirmed
    ingress: list[OutgoingMessage] = field(default_factory=list)
    deliveries: list[tuple[str, OutgoingMessage]] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return not self.fail

    async def publish_ingress(self, message: OutgoingMessage) -> None:
        if self.fail or self.unconfirmed:
            raise BrokerUnavailable("fake broker is down")
        self.ingress.append(message)

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None:
        if self.fail or self.unconfirmed or agency_id in self.fail_for:
            raise BrokerUnavailable("fake broker is down")
        self.deliveries.append((agency_id, message))


@dataclass
class FakeAuditLog:
    """Keeps entries in memory; ``fail=True`` simulates a database outage."""

    fail: bool = False
    entries: list[AuditEntry] = field(default_factory=list)

    async def record(self, *entries: AuditEntry) -> None:
        if self.fail:
            raise StoreUnavailable("fake store is down")
        self.entries.extend(entries)

    async def ping(self) -> None:
        if self.fail:
            raise StoreUnavailable("fake store is down")


@dataclass
class FixedClock:
    """A clock that says what it is told."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeRoutingStore:
    """Routing state in memory; ``commit`` hands the audit rows to ``audit``, like the real one.

    ``outbox`` holds the copies not yet sent, by event key and recipient; ``sent`` those sent.
    """

    audit: FakeAuditLog
    processed: set[str] = field(default_factory=set)
    outbox: dict[str, dict[str, OutboxCopy]] = field(default_factory=dict)
    sent: list[OutboxCopy] = field(default_factory=list)
    retries: dict[str, datetime] = field(default_factory=dict)  # delivery id -> next attempt
    made: dict[str, datetime] = field(default_factory=dict)  # delivery id -> committed at
    placements: dict[str, dict[str, ActivePlacement]] = field(default_factory=dict)
    episodes: dict[str, dict[str, MissingEpisode]] = field(default_factory=dict)
    told: dict[str, dict[str, RiskTold]] = field(default_factory=dict)

    async def seen(self, event_key: str) -> bool:
        return event_key in self.processed

    async def load(self, subjects: Iterable[str]) -> RoutingState:
        found: dict[str, ActivePlacement] = {}
        episodes: dict[str, MissingEpisode] = {}
        told: dict[str, RiskTold] = {}
        for subject in subjects:
            found.update(self.placements.get(subject, {}))
            episodes.update(self.episodes.get(subject, {}))
            told.update(self.told.get(subject, {}))
        return RoutingState(
            placements=tuple(found.values()),
            episodes=tuple(sorted(episodes.values(), key=lambda e: e.started_on)),
            told=tuple(told.values()),
        )

    async def commit(
        self,
        event_key: str,
        *,
        subjects: Iterable[str],
        change: PlacementChange | None,
        entries: Iterable[AuditEntry],
        copies: Sequence[OutboxCopy],
        now: datetime,
        cancel_held: Sequence[str] = (),
        episode: EpisodeChange | None = None,
        told: Sequence[RiskTold] = (),
    ) -> bool:
        if event_key in self.processed:
            return False
        subjects = tuple(subjects)
        self._remember(subjects, episode, told)
        await self.audit.record(*entries)
        self.processed.add(event_key)
        for by_recipient in self.outbox.values():
            for recipient, held in list(by_recipient.items()):
                if held.kind == "alert" and held.held_for in cancel_held:
                    del by_recipient[recipient]
        for copy in copies:
            self.outbox.setdefault(copy.event_key, {})[copy.recipient] = copy
            self.made[copy.delivery_id] = now
        if change is not None:
            for by_episode in self.placements.values():
                by_episode.pop(change.episode, None)
            if change.started is not None:
                for subject in subjects:
                    started = change.started
                    self.placements.setdefault(subject, {})[started.episode] = started
        return True

    def _remember(
        self, subjects: Sequence[str], episode: EpisodeChange | None, told: Sequence[RiskTold]
    ) -> None:
        """The episode (under every key that knows it) and what each recipient was told."""
        if episode is not None:
            known = episode.episode
            for by_reference in self.episodes.values():
                if known.reference in by_reference:
                    by_reference[known.reference] = known
            for subject in subjects:
                self.episodes.setdefault(subject, {})[known.reference] = known
        for subject in subjects:
            for what in told:
                self.told.setdefault(subject, {})[what.recipient] = what

    def _is_due(self, copy: OutboxCopy, now: datetime) -> bool:
        return copy.release_at is None or copy.release_at <= now

    async def pending(self, event_key: str, now: datetime) -> list[OutboxCopy]:
        copies = self.outbox.get(event_key, {}).values()
        return sorted((c for c in copies if self._is_due(c, now)), key=lambda c: c.recipient)

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxCopy]:
        due = [
            copy
            for by_recipient in self.outbox.values()
            for copy in by_recipient.values()
            if self._is_due(copy, now) and self.retries.get(copy.delivery_id, now) <= now
        ]
        for copy in due[:limit]:
            self.retries[copy.delivery_id] = now + lease
        return due[:limit]

    async def retry_later(self, copy: OutboxCopy, at: datetime) -> None:
        self.retries[copy.delivery_id] = at

    async def sent_to(
        self,
        recipient: str,
        *,
        since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[tuple[OutboxCopy, datetime]]:
        mine = [c for c in self.sent if c.recipient == recipient]
        return [(copy, self.made.get(copy.delivery_id, FAKE_EPOCH)) for copy in mine][:limit]

    async def mark_sent(
        self, copy: OutboxCopy, now: datetime, *, entries: Sequence[AuditEntry]
    ) -> bool:
        if self.outbox.get(copy.event_key, {}).pop(copy.recipient, None) is None:
            return False
        self.sent.append(copy)
        await self.audit.record(*entries)
        return True

    async def mark_sent_all(
        self, marks: Sequence[tuple[OutboxCopy, Sequence[AuditEntry]]], now: datetime
    ) -> int:
        unsent = [
            (copy, entries)
            for copy, entries in marks
            if copy.recipient in self.outbox.get(copy.event_key, {})
        ]
        # As one transaction: the records first, so that an audit outage changes nothing.
        await self.audit.record(*(entry for _, entries in unsent for entry in entries))
        for copy, _ in unsent:
            self.outbox[copy.event_key].pop(copy.recipient)
            self.sent.append(copy)
        return len(unsent)


@dataclass
class FakeIntakeStore:
    """The intake outbox in memory; ``accept`` hands its audit entry to ``audit``, like the real
    one, in the same step; ``fail=True`` simulates a database outage."""

    audit: FakeAuditLog
    fail: bool = False
    rows: dict[str, AcceptedCopy] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    retries: dict[str, datetime] = field(default_factory=dict)

    async def accept(self, copy: AcceptedCopy, entry: AuditEntry) -> tuple[Acceptance, bool]:
        if self.fail:
            raise StoreUnavailable("fake store is down")
        existing = self.rows.get(copy.event_key)
        if existing is None:
            await self.audit.record(entry)
            self.rows[copy.event_key] = copy
            return Acceptance.NEW, False
        same = existing.content == copy.content
        outcome = Acceptance.REPEATED if same else Acceptance.CONFLICTING
        return outcome, copy.event_key in self.published

    async def mark_published(self, event_key: str, now: datetime) -> None:
        self.published.add(event_key)

    async def unpublished(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[AcceptedCopy]:
        due = [
            copy
            for key, copy in self.rows.items()
            if key not in self.published and self.retries.get(key, now) <= now
        ][:limit]
        for copy in due:
            self.retries[copy.event_key] = now + lease
        return due

    async def retry_later(self, event_key: str, at: datetime) -> None:
        self.retries[event_key] = at


@dataclass
class FakeReplayStore:
    """The replay outbox in memory; ``request`` hands its audit entry to ``audit``, like the
    real one, in the same step; ``fail=True`` simulates a database outage (nothing written)."""

    audit: FakeAuditLog
    fail: bool = False
    rows: dict[str, ReplayCopy] = field(default_factory=dict)  # replay id -> copy, in order
    sent: list[ReplayCopy] = field(default_factory=list)
    retries: dict[str, datetime] = field(default_factory=dict)  # replay id -> next attempt

    async def request(self, copies: Sequence[ReplayCopy], entry: AuditEntry) -> None:
        if self.fail:
            raise StoreUnavailable("fake store is down")
        await self.audit.record(entry)
        self.rows.update((copy.replay_id, copy) for copy in copies)

    async def waiting(self, recipient: str) -> int:
        return sum(copy.recipient == recipient for copy in self.rows.values())

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[ReplayCopy]:
        due = [c for key, c in self.rows.items() if self.retries.get(key, now) <= now][:limit]
        for copy in due:
            self.retries[copy.replay_id] = now + lease
        return due

    async def retry_later(self, copy: ReplayCopy, at: datetime) -> None:
        self.rows[copy.replay_id] = replace(copy, attempts=copy.attempts + 1)
        self.retries[copy.replay_id] = at

    async def mark_sent(self, copy: ReplayCopy, now: datetime) -> None:
        if self.rows.pop(copy.replay_id, None) is not None:
            self.sent.append(copy)


@dataclass
class FakeNonceStore:
    """Signed requests' nonces in memory, with their expiry, like the SQL store."""

    held: dict[tuple[str, str], datetime] = field(default_factory=dict)

    async def first_use(self, agency: str, nonce: str, *, expires_at: datetime) -> bool:
        if (agency, nonce) in self.held:
            return False
        self.held[agency, nonce] = expires_at
        return True

    async def prune(self, now: datetime) -> int:
        expired = [key for key, expires_at in self.held.items() if expires_at < now]
        for key in expired:
            del self.held[key]
        return len(expired)


def fake_intake(
    publisher: FakePublisher,
    audit: FakeAuditLog,
    clock: Clock,
    *,
    keys: KeyMaterial,
    max_body_bytes: int,
    store: FakeIntakeStore | None = None,
    nonces: FakeNonceStore | None = None,
) -> Intake:
    """An :class:`~hub.intake.Intake` on fakes: its outbox in memory, a fixed pseudonym key."""
    return Intake(
        publisher,
        audit,
        clock,
        store=store or FakeIntakeStore(audit),
        pseudonyms=Pseudonymiser(b"p" * 32),
        keys=keys,
        max_body_bytes=max_body_bytes,
        nonces=FakeNonceStore() if nonces is None else nonces,
    )


@dataclass
class FakeSubjectKeys:
    """Per-subject keys in memory, made from a counter so that runs repeat."""

    keys: dict[str, bytes] = field(default_factory=dict)

    async def tokens(self, pseudonyms: Iterable[str], now: datetime) -> frozenset[str]:
        for pseudonym in pseudonyms:
            if pseudonym not in self.keys:
                self.keys[pseudonym] = len(self.keys).to_bytes(SUBJECT_KEY_BYTES, "big")
        return frozenset(subject_token(self.keys[pseudonym]) for pseudonym in pseudonyms)

    async def token(self, pseudonym: str) -> str | None:
        key = self.keys.get(pseudonym)
        return None if key is None else subject_token(key)

    async def erase(self, pseudonyms: Iterable[str]) -> int:
        return sum(self.keys.pop(pseudonym, None) is not None for pseudonym in set(pseudonyms))


TEST_KEYS_FROM = datetime(2026, 1, 1, tzinfo=UTC)
FAKE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def audit_mac_keys(keys_dir: Path) -> AuditMacKeys:
    """The audit writer's MAC keys where the hub keeps them under ``keys_dir`` (made if need be)."""
    return AuditMacKeys.load_or_create(keys_dir / "private" / AUDIT_MAC_FILE, TEST_KEYS_FROM)


def provisioned_keys(keys_dir: Path, agencies: Iterable[str]) -> KeyMaterial:
    """Fresh keys for the hub and ``agencies`` under ``keys_dir``, loaded with every ring.

    They are valid from 2026-01-01 for ten years, so tests with fixed clocks can use them.
    """
    everyone = (HUB_AGENCY, *agencies)
    provision_keys(keys_dir, everyone, TEST_KEYS_FROM, lifetime=timedelta(days=3650))
    return KeyMaterial(keys_dir, everyone)


@dataclass
class FakeChannel:
    """The channel a message came on; ``is_closed`` once the broker has taken the message back."""

    is_closed: bool = False


@dataclass
class FakeIncomingMessage:
    """An ingress message as the consumer sees it, recording how it was settled.

    ``process()`` behaves like aio-pika's: a clean exit acknowledges, an exception rejects with
    the ``requeue`` given (and propagates), and with ``ignore_processed`` a message the block
    already settled is left alone.
    """

    body: bytes = b"{}"
    message_id: str | None = "fake-message-1"
    correlation_id: str | None = "fake-corr-1"
    headers: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None  # "acked", "requeued" or "dead-lettered"
    channel: FakeChannel = field(default_factory=FakeChannel)
    type: str | None = None
    content_type: str | None = None

    @property
    def processed(self) -> bool:
        return self.outcome is not None

    def _settle(self, outcome: str) -> None:
        if self.channel.is_closed:
            raise ChannelInvalidStateError
        if self.outcome is not None:
            raise RuntimeError(f"message already {self.outcome}")
        self.outcome = outcome

    async def ack(self) -> None:
        self._settle("acked")

    async def nack(self, *, requeue: bool = True) -> None:
        self._settle("requeued" if requeue else "dead-lettered")

    async def reject(self, *, requeue: bool = False) -> None:
        self._settle("requeued" if requeue else "dead-lettered")

    @asynccontextmanager
    async def process(
        self, *, requeue: bool = False, ignore_processed: bool = False
    ) -> AsyncIterator[FakeIncomingMessage]:
        try:
            yield self
        except BaseException:
            if not (ignore_processed and self.processed):
                await self.reject(requeue=requeue)
            raise
        if not (ignore_processed and self.processed):
            await self.ack()


@dataclass
class RecordingSleep:
    """An ``asyncio.sleep`` stand-in that returns at once and remembers how long it was asked;
    ``then`` is called once, after the ``after``-th wait (to end a simulated outage)."""

    waits: list[float] = field(default_factory=list)
    after: int | None = None
    then: Callable[[], object] | None = None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.then is not None and len(self.waits) == self.after:
            self.then()


@dataclass
class ScriptedRouter:
    """Stands in for the Router: returns or raises what it is told, counting the calls. Given
    a list, it plays the outcomes in turn and then repeats the last."""

    outcome: Decision | BaseException | list[Decision | BaseException | None] | None
    protocol_version: str = "test-protocol+000000000000"
    calls: list[tuple[bytes, str | None]] = field(default_factory=list)

    async def route(self, body: bytes, correlation_id: str | None) -> Decision | None:
        self.calls.append((body, correlation_id))
        outcome = self.outcome
        if isinstance(outcome, list):
            outcome = outcome[min(len(self.calls), len(outcome)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def _conforms(
    *,
    publisher: FakePublisher,
    audit: FakeAuditLog,
    store: FakeRoutingStore,
    clock: FixedClock,
    subject_keys: FakeSubjectKeys,
    intake_store: FakeIntakeStore,
) -> tuple[Publisher, AuditLog, RoutingStore, Clock, SubjectKeys, IntakeStore]:
    """Never called: mypy checks here that each fake has the shape of its port."""
    return publisher, audit, store, clock, subject_keys, intake_store


@dataclass
class FakeInboxStore:
    """Released copies in memory; ``acknowledged`` holds the delivery ids acknowledged."""

    copies: list[InboxCopy] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    reads: int = 0

    def _mine(self, recipient: str) -> list[InboxCopy]:
        mine = [c for c in self.copies if c.copy.recipient == recipient]
        return sorted(mine, key=lambda c: (c.released_at, c.copy.delivery_id))

    async def pending(
        self, recipient: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[InboxCopy]:
        self.reads += 1
        return [
            c
            for c in self._mine(recipient)
            if c.copy.delivery_id not in self.acknowledged
            and (after is None or (c.released_at, c.copy.delivery_id) > after)
        ][:limit]

    async def copy(self, recipient: str, delivery_id: str) -> InboxCopy | None:
        for held in self._mine(recipient):
            if held.copy.delivery_id == delivery_id:
                return InboxCopy(held.copy, held.released_at, delivery_id in self.acknowledged)
        return None
