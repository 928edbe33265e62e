"""Fakes of the ports (:mod:`hub.ports`), for unit tests of pure logic; never shipped.

Integration tests use the real RabbitMQ and database instead (see ``tests/integration``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hub import BrokerUnavailable, StoreUnavailable
from hub.audit import SUBJECT_KEY_BYTES, AuditEntry, subject_token
from hub.crypto import HUB_AGENCY, KeyMaterial, provision_keys
from hub.messages import OutgoingMessage
from hub.ports import AuditLog, Clock, Publisher, RoutingStore, SubjectKeys
from hub.sharing import ActivePlacement, Decision, PlacementChange, RoutingState

__all__ = [
    "FakeAuditLog",
    "FakeIncomingMessage",
    "FakePublisher",
    "FakeRoutingStore",
    "FixedClock",
    "RecordingSleep",
    "ScriptedRouter",
    "provisioned_keys",
]


@dataclass
class FakePublisher:
    """Records what would have been published; ``fail=True`` simulates a broker outage."""

    fail: bool = False
    fail_for: set[str] = field(default_factory=set)  # recipients whose deliveries fail
    ingress: list[OutgoingMessage] = field(default_factory=list)
    deliveries: list[tuple[str, OutgoingMessage]] = field(default_factory=list)

    async def publish_ingress(self, message: OutgoingMessage) -> None:
        if self.fail:
            raise BrokerUnavailable("fake broker is down")
        self.ingress.append(message)

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None:
        if self.fail or agency_id in self.fail_for:
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
    """Routing state in memory; ``commit`` hands the audit rows to ``audit``, like the real one."""

    audit: FakeAuditLog
    processed: set[str] = field(default_factory=set)
    outbox: dict[str, dict[str, OutgoingMessage]] = field(default_factory=dict)
    placements: dict[str, dict[str, ActivePlacement]] = field(default_factory=dict)

    async def seen(self, event_key: str) -> bool:
        return event_key in self.processed

    async def load(self, subjects: Iterable[str]) -> RoutingState:
        found: dict[str, ActivePlacement] = {}
        for subject in subjects:
            found.update(self.placements.get(subject, {}))
        return RoutingState(placements=tuple(found.values()))

    async def commit(
        self,
        event_key: str,
        *,
        subjects: Iterable[str],
        change: PlacementChange | None,
        entries: Iterable[AuditEntry],
        deliveries: Sequence[tuple[str, OutgoingMessage]],
        now: datetime,
    ) -> None:
        await self.audit.record(*entries)
        self.processed.add(event_key)
        self.outbox[event_key] = dict(deliveries)
        if change is None:
            return
        for by_episode in self.placements.values():
            by_episode.pop(change.episode, None)
        if change.started is not None:
            for subject in subjects:
                self.placements.setdefault(subject, {})[change.started.episode] = change.started

    async def pending(self, event_key: str) -> list[tuple[str, OutgoingMessage]]:
        return sorted(self.outbox.get(event_key, {}).items())

    async def mark_sent(
        self, event_key: str, recipient: str, now: datetime, *, entry: AuditEntry
    ) -> bool:
        if self.outbox.get(event_key, {}).pop(recipient, None) is None:
            return False
        await self.audit.record(entry)
        return True


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


def provisioned_keys(keys_dir: Path, agencies: Iterable[str]) -> KeyMaterial:
    """Fresh keys for the hub and ``agencies`` under ``keys_dir``, loaded with every ring.

    They are valid from 2026-01-01 for ten years, so tests with fixed clocks can use them.
    """
    everyone = (HUB_AGENCY, *agencies)
    provision_keys(keys_dir, everyone, TEST_KEYS_FROM, lifetime=timedelta(days=3650))
    return KeyMaterial(keys_dir, everyone)


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
    type: str | None = None
    content_type: str | None = None

    @property
    def processed(self) -> bool:
        return self.outcome is not None

    def _settle(self, outcome: str) -> None:
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
    """An ``asyncio.sleep`` stand-in that returns at once and remembers how long it was asked."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class ScriptedRouter:
    """Stands in for the Router: returns or raises what it is told, counting the calls."""

    outcome: Decision | BaseException | None
    protocol_version: str = "test-protocol+000000000000"
    calls: list[tuple[bytes, str | None]] = field(default_factory=list)

    async def route(self, body: bytes, correlation_id: str | None) -> Decision | None:
        self.calls.append((body, correlation_id))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def _conforms(
    publisher: FakePublisher,
    audit: FakeAuditLog,
    store: FakeRoutingStore,
    clock: FixedClock,
    subject_keys: FakeSubjectKeys,
) -> tuple[Publisher, AuditLog, RoutingStore, Clock, SubjectKeys]:
    """Never called: mypy checks here that each fake has the shape of its port."""
    return publisher, audit, store, clock, subject_keys
