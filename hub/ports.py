"""Ports: what the services need from the outside world, as ``typing.Protocol``s.

:mod:`hub.bootstrap` wires the real adapters (RabbitMQ, SQL); :mod:`hub.testing` has fakes for
unit tests of pure logic. Production code never imports :mod:`hub.testing`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from hub.audit import AuditEntry
from hub.delivery._wire import OutgoingMessage
from hub.sharing import RoutingState
from hub.state import StateChange

__all__ = ["AuditLog", "Clock", "Publisher", "RoutingStore"]

Clock = Callable[[], datetime]


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
        change: StateChange | None,
        entries: Iterable[AuditEntry],
        deliveries: Sequence[tuple[str, OutgoingMessage]],
        now: datetime,
    ) -> None: ...

    async def pending(self, event_key: str) -> list[tuple[str, OutgoingMessage]]: ...

    async def mark_sent(self, event_key: str, recipient: str, now: datetime) -> None: ...
