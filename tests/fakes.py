"""Fakes of the ports (:mod:`hub.ports`), for unit tests of pure logic; never shipped.

Integration tests use the real RabbitMQ and database instead (see ``tests/integration``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub._exceptions import BrokerUnavailable, StoreUnavailable
from hub.audit import AuditEntry
from hub.crypto import HUB_AGENCY, KeyMaterial, provision_keys
from hub.messages import OutgoingMessage
from hub.sharing import ActivePlacement, PlacementChange, RoutingState

__all__ = ["FakeAuditLog", "FakePublisher", "FakeRoutingStore", "FixedClock", "provisioned_keys"]


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

    async def mark_sent(self, event_key: str, recipient: str, now: datetime) -> None:
        self.outbox.get(event_key, {}).pop(recipient, None)


TEST_KEYS_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def provisioned_keys(keys_dir: Path, agencies: Iterable[str]) -> KeyMaterial:
    """Fresh keys for the hub and ``agencies`` under ``keys_dir``, loaded with every ring.

    They are valid from 2026-01-01 for ten years, so tests with fixed clocks can use them.
    """
    everyone = (HUB_AGENCY, *agencies)
    provision_keys(keys_dir, everyone, TEST_KEYS_FROM, lifetime=timedelta(days=3650))
    return KeyMaterial(keys_dir, everyone)
