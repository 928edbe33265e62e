"""The audit of dead letters: every message dead-lettered, whoever dead-lettered it, is recorded.

The routing consumer, a subscriber and the broker's delivery limit all dead-letter into the
fanout ``sehub.dead``, which gives a copy of each dead letter to ``sehub.dead.audit``. The
routers consume that queue with :class:`DeadLetterAuditor`.

Rules:

1. Each dead letter is recorded as ``message.dead_lettered`` with its metadata only (the queue
   it died in, the reason, how often, when, its message and delivery ids, its type, the
   recipient if it died in an agency's queue, how often an operator requeued it): never its
   body. Its ids come from the message's properties, so ``ids_verified`` is false. A letter
   that died in ``sehub.acks`` was put there by an agency, properties and all: only an
   acknowledgement's own id shape, a UUID correlation id and a delivery id are recorded of it
   (:func:`hub.messages.reply_properties`), never its type or free text.
2. The message is acknowledged only after the record is committed. If the audit log does not
   answer, or writing fails in any way, the record is retried by time, with the routing
   consumer's back-off (doubling, capped), for as long as it takes: the copy is never dropped,
   never requeued behind others and never dead-lettered (its queue dead-letters nowhere).
3. At least once: a router killed between the commit and the acknowledgement records that dead
   letter again when another router (or the same, restarted) takes it up.
4. An operator's requeue (``hub dlq requeue``) is recorded as ``dead_letter.requeued`` with the
   same metadata, the operator as ``actor`` and where the message was put back.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from hub.audit import AuditAction, AuditEntry
from hub.delivery import ACK_QUEUE, DeadLetter
from hub.logs import bind_message, get_logger
from hub.messages import reply_properties
from hub.ports import AuditLog, Clock
from hub.routing._consumer import Sleep, backoff_seconds

__all__ = ["DEAD_LETTER_PREFETCH", "DeadLetterAuditor", "dead_lettered_entry", "requeued_entry"]

log = get_logger(__name__)

DEAD_LETTER_PREFETCH = 10
_DELIVERY_ID = re.compile(r"^[0-9a-f]{32}$")


def _about(letter: DeadLetter, action: AuditAction, now: datetime, **detail: Any) -> AuditEntry:
    """A record about one dead letter: its ids and where it died, never its body (rule 1)."""
    message_id, correlation_id, kind = letter.message_id, letter.correlation_id, letter.type
    delivery = letter.delivery_id
    if letter.queue == ACK_QUEUE:
        message_id, correlation_id = reply_properties(message_id, correlation_id)
        kind = None
        delivery = delivery if delivery is not None and _DELIVERY_ID.match(delivery) else None
    return AuditEntry(
        action=action,
        recorded_at=now,
        correlation_id=correlation_id,
        notification_id=message_id,
        notification_type=kind,
        recipient=letter.recipient,
        detail={
            "queue": letter.queue,
            "reason": letter.reason,
            "count": letter.count,
            "message_id": message_id,
            "delivery_id": delivery,
            **detail,
            "ids_verified": False,
        },
    )


def dead_lettered_entry(letter: DeadLetter, now: datetime) -> AuditEntry:
    """``message.dead_lettered``: one dead letter, as the audit queue received it (rule 1)."""
    died = letter.dead_lettered_at
    return _about(
        letter,
        AuditAction.MESSAGE_DEAD_LETTERED,
        now,
        dead_lettered_at=None if died is None else died.isoformat(),
        requeues=letter.requeues,
    )


def requeued_entry(
    letter: DeadLetter, origin: tuple[str, str], *, actor: str, now: datetime
) -> AuditEntry:
    """``dead_letter.requeued``: an operator put a dead letter back where it died from."""
    exchange, routing_key = origin
    return replace(
        _about(
            letter,
            AuditAction.DEAD_LETTER_REQUEUED,
            now,
            dead_letter_id=letter.id,
            exchange=exchange,
            routing_key=routing_key,
            requeues=letter.requeues + 1,
        ),
        actor=actor,
    )


class DeadLetterAuditor:
    """Consumes ``sehub.dead.audit``: records each dead letter, then acknowledges it."""

    def __init__(self, audit: AuditLog, clock: Clock, *, sleep: Sleep = asyncio.sleep) -> None:
        self._audit = audit
        self._clock = clock
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: record one dead letter (rule 1), retrying until it is (rule 2)."""
        bind_message(message.message_id, message.correlation_id)
        letter = DeadLetter.of(message)
        attempts = 0
        while True:
            try:
                await self._audit.record(dead_lettered_entry(letter, self._clock()))
                break
            except Exception as exc:  # noqa: BLE001  # rule 2: whatever failed, retry by time
                # By type only: an exception's message could carry a value.
                log.warning(
                    "dead_letter.audit_retrying", error=type(exc).__name__, attempts=attempts
                )
                await self._sleep(backoff_seconds(attempts))
                attempts += 1
        log.info(
            "message.dead_lettered", queue=letter.queue, reason=letter.reason, count=letter.count
        )
        await message.ack()
