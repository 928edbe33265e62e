"""Ports: what the services need from the outside world, as ``typing.Protocol``s.

:mod:`hub.bootstrap` wires the real adapters (RabbitMQ in :mod:`hub.delivery`, SQL in
:mod:`hub.stores`); the unit tests wire fakes of the same ports (``tests/fakes.py``). This
module is pure: importing it loads no broker or database client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from hub.audit import AuditEntry, AuditQuery, ListedRecord, Position
from hub.messages import OutgoingMessage
from hub.sharing import PlacementChange, RoutingState

__all__ = [
    "AuditLog",
    "AuditReader",
    "Clock",
    "Publisher",
    "RoutingStore",
    "SubjectKeys",
    "utc_now",
]


class Clock(Protocol):
    """Says what time it is (aware, UTC); the one form of clock every service takes."""

    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class Publisher(Protocol):
    """Publishes with broker confirmation; raises ``BrokerUnavailable`` if it cannot."""

    async def publish_ingress(self, message: OutgoingMessage) -> None: ...

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None: ...


class AuditLog(Protocol):
    """Commits audit entries; raises ``StoreUnavailable`` if it cannot."""

    async def record(self, *entries: AuditEntry) -> None: ...


class RoutingStore(Protocol):
    """Routing state, de-duplication and the outbox; ``commit`` also writes the audit rows."""

    async def seen(self, event_key: str) -> bool: ...

    async def load(self, subjects: Iterable[str]) -> RoutingState: ...

    async def commit(
        self,
        event_key: str,
        *,
        subjects: Iterable[str],
        change: PlacementChange | None,
        entries: Iterable[AuditEntry],
        deliveries: Sequence[tuple[str, OutgoingMessage]],
        now: datetime,
    ) -> None: ...

    async def pending(self, event_key: str) -> list[tuple[str, OutgoingMessage]]: ...

    async def mark_sent(
        self, event_key: str, recipient: str, now: datetime, *, entry: AuditEntry
    ) -> bool:
        """Mark a confirmed copy sent and append ``entry`` (its ``delivery.published``) in one
        transaction; False, and nothing appended, if the copy was marked sent already."""
        ...


class SubjectKeys(Protocol):
    """Per-subject keys (:mod:`hub.audit._subjects`): the audit tokens of subject pseudonyms."""

    async def tokens(self, pseudonyms: Iterable[str], now: datetime) -> frozenset[str]:
        """The audit tokens of ``pseudonyms``, creating a key for any that has none."""
        ...

    async def token(self, pseudonym: str) -> str | None:
        """The audit token of ``pseudonym``, or None if it has no key (never seen, or erased)."""
        ...


class AuditReader(Protocol):
    """The auditors' reads of the audit log (:mod:`hub.audit._query`)."""

    async def page(
        self, query: AuditQuery, *, after: Position | None = None, limit: int = 100
    ) -> list[ListedRecord]: ...

    def stream(self, query: AuditQuery) -> AsyncIterator[ListedRecord]: ...

    async def of_notifications(
        self, notifications: Iterable[tuple[str | None, str]]
    ) -> list[ListedRecord]: ...
