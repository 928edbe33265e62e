"""The routing consumer: what happens to an ingress message on the broker, whatever the router did.

The router (:mod:`._router`) signals with exceptions; this module turns each into an AMQP
outcome, inside scoped acknowledgement (``async with message.process()``).

Rules:

1. Routed (or a duplicate already routed): acknowledged.
2. A peer's fault (an envelope that fails verification, contents that are not a notification):
   audited with the reason, never the contents, and dead-lettered at once. Retrying cannot help.
   So is an unexpected error (a bug of ours), audited by its type only. If the audit log does
   not answer, the message is retried as in rule 3 instead, so that no refusal goes unrecorded.
3. A passing key state (a kid or agency not yet distributed, a key not yet valid because of a
   little clock skew) and any failure of ours (broker, database): requeued after an exponential
   back-off, capped at :data:`MAX_BACKOFF_SECONDS`. A requeued message goes behind those that
   arrived after it, so order is kept among the messages routed, not across a retry.
4. The last attempt the delivery limit allows is not requeued: its failure is audited (as far
   as the audit log answers) and the message dead-lettered, so a poisoned message cannot loop.
   Attempts are counted from RabbitMQ's ``x-delivery-count`` header.
5. The audit rows of rules 2 and 4 carry ``ids_verified: false``: the ids come from the
   message's properties, not from verified contents.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog
from aio_pika.abc import AbstractIncomingMessage

from hub._exceptions import InvalidNotification, ServiceError
from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage
from hub.delivery import DELIVERY_LIMIT
from hub.logs import get_logger
from hub.ports import AuditLog, Clock
from hub.routing._router import Router

__all__ = ["MAX_BACKOFF_SECONDS", "TRANSIENT_KEY_REASONS", "RoutingConsumer", "backoff_seconds"]

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
TRANSIENT_KEY_REASONS = frozenset({"unknown_kid", "unknown_agency", "key_not_yet_valid"})

Sleep = Callable[[float], Awaitable[None]]


def backoff_seconds(attempts: int) -> float:
    """How long to wait before requeueing a message that has failed ``attempts`` times."""
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2.0**attempts)


class RoutingConsumer:
    """Consumes ingress: routes each message and acknowledges, requeues or dead-letters it."""

    def __init__(
        self,
        router: Router,
        *,
        audit: AuditLog,
        clock: Clock,
        delivery_limit: int = DELIVERY_LIMIT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._router = router
        self._audit = audit
        self._clock = clock
        self._delivery_limit = delivery_limit
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: route one ingress message with scoped acknowledgement."""
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=message.correlation_id,
            notification_id=message.message_id,
            protocol_version=self._router.protocol_version,
        )
        async with message.process(requeue=False, ignore_processed=True):
            try:
                decision = await self._router.route(message.body, message.correlation_id)
            except InvalidMessage as exc:
                if exc.reason in TRANSIENT_KEY_REASONS:
                    await self._retry_or_give_up(message, f"key check: {exc.reason}")
                    return
                # One opaque error outward; the reason and kid go to the audit log only.
                log.warning("routing.refused_unverifiable", reason=exc.reason)
                await self._dead_letter(
                    message, {"reason": "verification failed", "check": exc.reason, "kid": exc.kid}
                )
                return
            except InvalidNotification as exc:
                log.warning("routing.refused_invalid", problems=len(exc.problems))
                await self._dead_letter(
                    message,
                    {
                        "reason": exc.detail,
                        "problems": [{"field": p.field, "rule": p.rule} for p in exc.problems],
                    },
                )
                return
            except ServiceError as exc:
                await self._retry_or_give_up(message, type(exc).__name__)
                return
            except Exception as exc:  # noqa: BLE001  # a bug of ours must still be audited
                # By type only: an exception's message can carry values from the notification.
                log.error("routing.unexpected_error", error=type(exc).__name__)  # noqa: TRY400
                await self._dead_letter(
                    message, {"reason": "unexpected error", "error": type(exc).__name__}
                )
                return
            if decision is None:
                log.info("notification.duplicate")
                return
            log.info(
                "notification.routed",
                notification_type=decision.notification_type,
                recipients=[view.recipient for view in decision.views],
                refusals=len(decision.refusals),
            )

    async def _retry_or_give_up(self, message: AbstractIncomingMessage, cause: str) -> None:
        """Requeue after a back-off (rule 3); on the last attempt, audit and dead-letter (4)."""
        attempts = _delivery_count(message)
        if attempts >= self._delivery_limit - 1:
            log.error("routing.gave_up", cause=cause, attempts=attempts)
            with contextlib.suppress(ServiceError):
                await self._audit_failure(
                    message, {"reason": f"gave up after {attempts + 1} attempts", "cause": cause}
                )
            await message.reject(requeue=False)
            return
        log.warning("routing.retrying", cause=cause, attempts=attempts)
        await self._sleep(backoff_seconds(attempts))
        await message.nack(requeue=True)

    async def _dead_letter(
        self, message: AbstractIncomingMessage, detail: dict[str, object]
    ) -> None:
        """Audit why, then dead-letter (rule 2); retry instead if the audit log is down."""
        try:
            await self._audit_failure(message, detail)
        except ServiceError as exc:
            await self._retry_or_give_up(message, f"{type(exc).__name__} while auditing a refusal")
            return
        await message.reject(requeue=False)

    async def _audit_failure(
        self, message: AbstractIncomingMessage, detail: dict[str, object]
    ) -> None:
        await self._audit.record(
            AuditEntry(
                action=AuditAction.ROUTING_FAILED,
                recorded_at=self._clock(),
                correlation_id=message.correlation_id,
                notification_id=message.message_id,
                detail={**detail, "ids_verified": False},
            )
        )


def _delivery_count(message: AbstractIncomingMessage) -> int:
    count = (message.headers or {}).get("x-delivery-count", 0)
    # bool is an int in Python; a header that says True is not a count.
    return count if isinstance(count, int) and not isinstance(count, bool) else 0
