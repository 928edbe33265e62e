"""The routing consumer: what happens to an ingress message on the broker, whatever the router did.

The router (:mod:`._router`) signals with exceptions; this module turns each into an AMQP
outcome, inside scoped acknowledgement (``async with message.process()``).

Rules:

1. Routed (or a duplicate already routed): acknowledged.
2. A peer's fault (an envelope that fails verification, contents that are not a notification):
   audited with the reason, never the contents, and dead-lettered at once. Retrying cannot help.
   So is an unexpected error (a bug of ours), audited by its type only.
3. A failure of ours (broker, database): the message is held, unacknowledged, and routed again
   in place after a back-off that doubles up to :data:`MAX_BACKOFF_SECONDS`, for as long as the
   outage lasts. It is never requeued, so no outage counts towards the queue's delivery limit,
   whichever way a RabbitMQ version counts requeues. If the broker drops the channel meanwhile,
   the consumer lets go: the broker delivers the message again.
4. A passing key state (a kid or agency not yet distributed, a key not yet valid because of a
   little clock skew) is retried in place the same way, for :data:`KEY_PATIENCE_SECONDS` of
   back-off in all; a key that has still not come by then is audited and dead-lettered.
5. A refusal the audit log cannot record is held as in rule 3, so that none goes unrecorded.
6. The queue's delivery limit is a backstop for one case only: a message whose handling kills its
   process again and again. The broker dead-letters it, and the dead-letter audit records that.
7. The audit rows of rules 2 and 4 carry ``ids_verified: false``: the ids come from the
   message's properties, not from verified contents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from hub._exceptions import InvalidNotification, ServiceError
from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage
from hub.logs import bind_message, get_logger
from hub.ports import AuditLog, Clock
from hub.routing._router import Router

__all__ = [
    "KEY_PATIENCE_SECONDS",
    "MAX_BACKOFF_SECONDS",
    "TRANSIENT_KEY_REASONS",
    "RoutingConsumer",
    "Sleep",
    "backoff_seconds",
    "channel_open",
]

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
KEY_PATIENCE_SECONDS = 600.0
TRANSIENT_KEY_REASONS = frozenset({"unknown_kid", "unknown_agency", "key_not_yet_valid"})

Sleep = Callable[[float], Awaitable[None]]


def backoff_seconds(attempts: int) -> float:
    """How long to wait before trying again a message that has failed ``attempts`` times."""
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2.0**attempts)


class RoutingConsumer:
    """Consumes ingress: routes each message and acknowledges, holds or dead-letters it."""

    def __init__(
        self,
        router: Router,
        *,
        audit: AuditLog,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._router = router
        self._audit = audit
        self._clock = clock
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: route one ingress message with scoped acknowledgement."""
        bind_message(
            message.message_id,
            message.correlation_id,
            protocol_version=self._router.protocol_version,
        )
        try:
            await self._settle(message)
        except ChannelInvalidStateError:
            log.warning("routing.channel_closed")  # the broker delivers the message again

    async def _settle(self, message: AbstractIncomingMessage) -> None:
        async with message.process(requeue=False, ignore_processed=True):
            attempts = 0
            waited = 0.0
            while True:
                outcome = await self._attempt(
                    message, key_patience_left=waited < KEY_PATIENCE_SECONDS
                )
                if outcome is None:
                    return
                if not channel_open(message):
                    # The broker took the message back (rule 3); settling it would fail.
                    log.warning("routing.released", cause=outcome, attempts=attempts)
                    return
                wait = backoff_seconds(attempts)
                attempts += 1
                waited += wait
                log.warning("routing.retrying", cause=outcome, attempts=attempts)
                await self._sleep(wait)

    async def _attempt(
        self, message: AbstractIncomingMessage, *, key_patience_left: bool
    ) -> str | None:
        """Route once and settle the message; or, for rules 3-5, say why it must be tried again."""
        try:
            decision = await self._router.route(message.body, message.correlation_id)
        except InvalidMessage as exc:
            return await self._unverifiable(message, exc, key_patience_left=key_patience_left)
        except InvalidNotification as exc:
            log.warning("routing.refused_invalid", problems=len(exc.problems))
            return await self._dead_letter(
                message,
                {
                    "reason": exc.detail,
                    "problems": [{"field": p.field, "rule": p.rule} for p in exc.problems],
                },
            )
        except ServiceError as exc:
            return type(exc).__name__
        except Exception as exc:  # noqa: BLE001  # a bug of ours must still be audited
            # By type only: an exception's message can carry values from the notification.
            log.error("routing.unexpected_error", error=type(exc).__name__)  # noqa: TRY400
            return await self._dead_letter(
                message, {"reason": "unexpected error", "error": type(exc).__name__}
            )
        if decision is None:
            log.info("notification.duplicate")
        else:
            log.info(
                "notification.routed",
                notification_type=decision.notification_type,
                recipients=[view.recipient for view in decision.views],
                refusals=len(decision.refusals),
            )
        return None

    async def _unverifiable(
        self, message: AbstractIncomingMessage, exc: InvalidMessage, *, key_patience_left: bool
    ) -> str | None:
        """A passing key state is tried again while patience lasts (rule 4); the rest is dead."""
        if exc.reason in TRANSIENT_KEY_REASONS:
            if key_patience_left:
                return f"key check: {exc.reason}"
            return await self._dead_letter(
                message,
                {
                    "reason": f"the key never became usable ({KEY_PATIENCE_SECONDS:.0f} s)",
                    "check": exc.reason,
                    "kid": exc.kid,
                },
            )
        # One opaque error outward; the reason and kid go to the audit log only.
        log.warning("routing.refused_unverifiable", reason=exc.reason)
        return await self._dead_letter(
            message, {"reason": "verification failed", "check": exc.reason, "kid": exc.kid}
        )

    async def _dead_letter(
        self, message: AbstractIncomingMessage, detail: dict[str, object]
    ) -> str | None:
        """Audit why, then dead-letter (rules 2 and 4); or hold if the audit log is down (5)."""
        try:
            await self._audit.record(
                AuditEntry(
                    action=AuditAction.ROUTING_FAILED,
                    recorded_at=self._clock(),
                    correlation_id=message.correlation_id,
                    notification_id=message.message_id,
                    detail={**detail, "ids_verified": False},
                )
            )
        except ServiceError as exc:
            return f"{type(exc).__name__} while auditing a refusal"
        await message.reject(requeue=False)
        return None


def channel_open(message: AbstractIncomingMessage) -> bool:
    try:
        return not message.channel.is_closed
    except ChannelInvalidStateError:
        return False
