"""What a dead letter is, read from the bookkeeping RabbitMQ adds: metadata, never the body.

RabbitMQ (3.10, quorum queues, at-least-once dead-lettering included) sets on a message it
dead-letters:

- ``x-death``: a list of tables, one per (queue, reason), the most recent first, each with
  ``queue``, ``reason`` (``rejected``, ``delivery_limit``, ``expired``, ``maxlen``), ``count``
  (how often it died there for that reason), ``time`` (whole seconds), ``exchange`` and
  ``routing-keys`` (where it had been published to before it died);
- ``x-first-death-queue``, ``-reason`` and ``-exchange``, once, at the first death.

Rules:

1. :meth:`DeadLetter.of` is total: a header that is missing or of an unexpected type reads as
   unknown (``None``, ``0``, empty), never as an error, so that a dead letter can always be
   listed, audited and shown.
2. "The death" is the most recent ``x-death`` entry: its queue, reason and count, and its
   exchange and routing key, which is where :class:`~hub.delivery.DeadLetterQueue` republishes.
3. A dead letter's id is its ``sehub-delivery-id`` header (one copy of a delivery), else its
   ``message_id`` (an ingress notification's id), else ``sha256:`` and the first 16 hex digits
   of the body's SHA-256.
4. Nothing here reads the body beyond its length and its hash: payloads are sealed and stay so.
5. A republished dead letter keeps every header but RabbitMQ's own (``x-*``: they belong to the
   broker, which no longer reads them from a publisher since 4.0); ``sehub-requeues`` counts
   the requeues instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from hub.delivery._topology import agency_of_queue

__all__ = ["REQUEUES_HEADER", "DeadLetter", "Death", "republished_headers"]

REQUEUES_HEADER = "sehub-requeues"
DELIVERY_ID_HEADER = "sehub-delivery-id"


@dataclass(frozen=True, slots=True)
class Death:
    """One ``x-death`` entry: a queue the message died in, why, how often, and where from."""

    queue: str | None
    reason: str | None
    count: int
    time: datetime | None
    exchange: str | None
    routing_keys: tuple[str, ...]

    @classmethod
    def of(cls, table: object) -> Death:
        entry: Mapping[str, Any] = table if isinstance(table, Mapping) else {}
        keys = entry.get("routing-keys")
        return cls(
            queue=_text(entry.get("queue")),
            reason=_text(entry.get("reason")),
            count=_count(entry.get("count")),
            time=_time(entry.get("time")),
            exchange=_text(entry.get("exchange")),
            routing_keys=tuple(
                key for key in (_text(k) for k in (keys if isinstance(keys, list) else [])) if key
            ),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "reason": self.reason,
            "count": self.count,
            "time": _iso(self.time),
            "exchange": self.exchange,
            "routing_keys": list(self.routing_keys),
        }


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """The metadata of one message on a dead queue (rules 1-4)."""

    id: str
    deaths: tuple[Death, ...]
    first_death_queue: str | None
    first_death_reason: str | None
    message_id: str | None
    type: str | None
    correlation_id: str | None
    content_type: str | None
    delivery_id: str | None
    requeues: int
    size: int
    body_sha256: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> DeadLetter:
        """Read a dead letter's metadata from the message RabbitMQ delivered (rule 1)."""
        headers: Mapping[str, Any] = message.headers or {}
        deaths_header = headers.get("x-death")
        deaths = tuple(
            Death.of(table) for table in (deaths_header if isinstance(deaths_header, list) else [])
        )
        digest = hashlib.sha256(message.body).hexdigest()
        delivery = _text(headers.get(DELIVERY_ID_HEADER))
        message_id = _text(message.message_id)
        return cls(
            id=delivery or message_id or f"sha256:{digest[:16]}",
            deaths=deaths,
            first_death_queue=_text(headers.get("x-first-death-queue")),
            first_death_reason=_text(headers.get("x-first-death-reason")),
            message_id=message_id,
            type=_text(message.type),
            correlation_id=_text(message.correlation_id),
            content_type=_text(message.content_type),
            delivery_id=delivery,
            requeues=_count(headers.get(REQUEUES_HEADER)),
            size=len(message.body),
            body_sha256=digest,
            headers={
                name: text
                for name, value in sorted(headers.items())
                if not name.startswith("x-") and (text := _text(value)) is not None
            },
        )

    @property
    def death(self) -> Death | None:
        """The most recent death (rule 2), or None for a message no queue dead-lettered."""
        return self.deaths[0] if self.deaths else None

    @property
    def queue(self) -> str | None:
        return None if self.death is None else self.death.queue

    @property
    def reason(self) -> str | None:
        return None if self.death is None else self.death.reason

    @property
    def count(self) -> int:
        return 0 if self.death is None else self.death.count

    @property
    def recipient(self) -> str | None:
        """The agency whose queue the message died in, if it died in one."""
        return None if self.queue is None else agency_of_queue(self.queue)

    @property
    def dead_lettered_at(self) -> datetime | None:
        """When it died most recently (RabbitMQ keeps whole seconds)."""
        return None if self.death is None else self.death.time

    @property
    def first_death_at(self) -> datetime | None:
        """When it first died: the entry of the first death's queue and reason, else the oldest."""
        for death in self.deaths:
            if (death.queue, death.reason) == (self.first_death_queue, self.first_death_reason):
                return death.time
        return self.deaths[-1].time if self.deaths else None

    @property
    def origin(self) -> tuple[str, str] | None:
        """The exchange and routing key it was published with before it died, if known."""
        death = self.death
        if death is None or death.exchange is None or not death.routing_keys:
            return None
        return death.exchange, death.routing_keys[0]

    def as_json(self) -> dict[str, Any]:
        """Everything known about it, as JSON-ready plain data (metadata only: rule 4)."""
        return {
            "id": self.id,
            "queue": self.queue,
            "reason": self.reason,
            "count": self.count,
            "recipient": self.recipient,
            "dead_lettered_at": _iso(self.dead_lettered_at),
            "first_death_at": _iso(self.first_death_at),
            "first_death_queue": self.first_death_queue,
            "first_death_reason": self.first_death_reason,
            "message_id": self.message_id,
            "type": self.type,
            "correlation_id": self.correlation_id,
            "content_type": self.content_type,
            "delivery_id": self.delivery_id,
            "requeues": self.requeues,
            "size": self.size,
            "body_sha256": self.body_sha256,
            "headers": dict(self.headers),
            "deaths": [death.as_json() for death in self.deaths],
        }


def republished_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The headers a requeued dead letter is published with (rule 5)."""
    kept = {name: value for name, value in (headers or {}).items() if not name.startswith("x-")}
    kept[REQUEUES_HEADER] = _count(kept.get(REQUEUES_HEADER)) + 1
    return kept


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def _count(value: object) -> int:
    # bool is an int in Python; a header that says True is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
