"""Ports: what the services need from the outside world, as ``typing.Protocol``s.

:mod:`hub.bootstrap` wires the real adapters (RabbitMQ in :mod:`hub.delivery`, SQL in
:mod:`hub.stores`); the unit tests wire fakes of the same ports (``tests/fakes.py``). This
module is pure: importing it loads no broker or database client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from hub.audit import AuditEntry, AuditQuery, ListedRecord, Position
from hub.messages import (
    Acceptance,
    AcceptedCopy,
    AcknowledgedDelivery,
    Acknowledgement,
    AckOutcome,
    InboxCopy,
    OutboxCopy,
    OutgoingMessage,
    ReplayCopy,
)
from hub.sharing import EpisodeChange, PlacementChange, RiskTold, RoutingState

__all__ = [
    "AcknowledgementStore",
    "AuditLog",
    "AuditReader",
    "Clock",
    "InboxStore",
    "IntakeStore",
    "Linked",
    "NonceStore",
    "Publisher",
    "ReplayStore",
    "RoutingStore",
    "SubjectKeys",
    "SubjectLinks",
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

    @property
    def connected(self) -> bool:
        """False while the broker is known to be unreachable."""
        ...

    async def publish_ingress(self, message: OutgoingMessage) -> None: ...

    async def publish_delivery(self, agency_id: str, message: OutgoingMessage) -> None: ...


class AuditLog(Protocol):
    """Commits audit entries; raises ``StoreUnavailable`` if it cannot."""

    async def record(self, *entries: AuditEntry) -> None: ...


class IntakeStore(Protocol):
    """The intake outbox: accepted notifications, sealed, until ingress has confirmed them."""

    async def accept(self, copy: AcceptedCopy, entry: AuditEntry) -> tuple[Acceptance, bool]:
        """Commit ``copy`` with its ``notification.accepted`` ``entry``, unless its event key
        is there already: then nothing is written, and the answer says whether with the same
        content. The flag says whether ingress has the notification already."""
        ...

    async def mark_published(self, event_key: str, now: datetime) -> None: ...

    async def unpublished(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[AcceptedCopy]:
        """Claim, for ``lease``, up to ``limit`` acceptances ingress has not confirmed."""
        ...

    async def retry_later(self, event_key: str, at: datetime) -> None:
        """Count a failed publish and leave the acceptance until ``at``."""
        ...


class NonceStore(Protocol):
    """The nonces of signed requests, each usable once while a replay could still be on time."""

    async def first_use(self, agency: str, nonce: str, *, expires_at: datetime) -> bool:
        """Record ``agency``'s ``nonce`` until ``expires_at``: False if it is held already;
        ``StoreUnavailable`` if the database cannot answer."""
        ...

    async def prune(self, now: datetime) -> int:
        """Forget nonces that expired before ``now``; how many."""
        ...


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
        copies: Sequence[OutboxCopy],
        now: datetime,
        cancel_held: Sequence[str] = (),
        episode: EpisodeChange | None = None,
        told: Sequence[RiskTold] = (),
    ) -> bool: ...

    async def pending(self, event_key: str, now: datetime) -> list[OutboxCopy]:
        """The event's copies due now and not yet confirmed by the broker."""
        ...

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxCopy]:
        """Claim, for ``lease``, up to ``limit`` copies of any event that are due and unsent."""
        ...

    async def retry_later(self, copy: OutboxCopy, at: datetime) -> None:
        """Count a failed publish and leave the copy until ``at``."""
        ...

    async def sent_to(
        self,
        recipient: str,
        *,
        since: datetime | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[tuple[OutboxCopy, datetime]]:
        """``recipient``'s copies published at least once, with when each was made, oldest
        first: made at or after ``since``, or after the (made, delivery id) position ``after``."""
        ...

    async def mark_sent(
        self, copy: OutboxCopy, now: datetime, *, entries: Sequence[AuditEntry]
    ) -> bool:
        """Mark a confirmed copy sent and append ``entries`` (its ``delivery.published``, and
        for a held copy what its release means) in one transaction; False, and nothing
        appended, if the copy was marked sent already."""
        ...

    async def mark_sent_all(
        self, marks: Sequence[tuple[OutboxCopy, Sequence[AuditEntry]]], now: datetime
    ) -> int:
        """:meth:`mark_sent` for several confirmed copies, in one transaction: each copy still
        unsent is marked and its entries appended; how many were marked."""
        ...


class ReplayStore(Protocol):
    """The replay outbox: copies an agency asked for again, until its queue has them."""

    async def request(self, copies: Sequence[ReplayCopy], entry: AuditEntry) -> None:
        """Commit ``copies`` with their ``delivery.replayed`` ``entry``, in one transaction, or
        neither; ``StoreUnavailable`` if the database cannot."""
        ...

    async def waiting(self, recipient: str) -> int:
        """How many of ``recipient``'s copies are not yet sent."""
        ...

    async def due(self, now: datetime, *, limit: int, lease: timedelta) -> list[ReplayCopy]:
        """Claim, for ``lease``, up to ``limit`` unsent copies, oldest request first."""
        ...

    async def retry_later(self, copy: ReplayCopy, at: datetime) -> None:
        """Count a failed publish and leave the copy until ``at``."""
        ...

    async def mark_sent(self, copy: ReplayCopy, now: datetime) -> None:
        """Record that the agency's queue confirmed ``copy`` (or that it has none)."""
        ...


class SubjectKeys(Protocol):
    """Per-subject keys (:mod:`hub.audit._subjects`): the audit tokens of subject pseudonyms."""

    async def tokens(self, pseudonyms: Iterable[str], now: datetime) -> frozenset[str]:
        """The audit tokens of ``pseudonyms``, creating a key for any that has none."""
        ...

    async def token(self, pseudonym: str) -> str | None:
        """The audit token of ``pseudonym``, or None if it has no key (never seen, or erased)."""
        ...


@dataclass(frozen=True, slots=True)
class Linked:
    """The ordering component a notification's pseudonyms now share, and those merged into it."""

    component: str
    merged: tuple[str, ...] = ()


class SubjectLinks(Protocol):
    """Ordering components of subject pseudonyms, and barriers down ingress shards
    (:mod:`hub.routing._resolver`)."""

    async def plan(self, keys: Iterable[str]) -> Linked:
        """What :meth:`link` would make of ``keys`` now, writing nothing."""
        ...

    async def link(self, keys: Iterable[str], now: datetime) -> Linked:
        """Put ``keys`` into one component, merging any they already span."""
        ...

    async def open_barrier(self, shard: int, now: datetime) -> str:
        """A new barrier for ``shard``: its id, to put on the marker sent down it."""
        ...

    async def pass_barrier(self, barrier: str, now: datetime) -> None:
        """Mark ``barrier`` passed: its shard has routed everything sent before it."""
        ...

    async def passed(self, barrier: str) -> bool:
        """Whether ``barrier`` was passed (and, if so, forget it)."""
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


class AcknowledgementStore(Protocol):
    """Business acknowledgements, committed with the ladder steps they cancel and their record."""

    async def acknowledge(
        self,
        ack: Acknowledgement,
        *,
        agency: str,
        channel: str,
        now: datetime,
        audit: Callable[[AcknowledgedDelivery], AuditEntry],
    ) -> tuple[AckOutcome, AcknowledgedDelivery | None]:
        """Record ``ack`` by ``agency`` if it is the delivery's recipient, cancel its ladder and
        append ``audit(delivery)``, in one transaction; or say why not."""
        ...


class InboxStore(Protocol):
    """An agency's released copies, for its HTTP inbox (:mod:`hub.inbox`)."""

    async def pending(
        self, recipient: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[InboxCopy]:
        """``recipient``'s released copies it has not acknowledged, oldest release first, after
        the (released at, delivery id) position ``after``; never a held, cancelled or deadline
        row."""
        ...

    async def copy(self, recipient: str, delivery_id: str) -> InboxCopy | None:
        """The released copy ``delivery_id`` if ``recipient`` is its recipient; else None,
        alike for another agency's copy and for no copy at all."""
        ...
