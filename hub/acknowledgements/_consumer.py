"""The reply-message consumer: business acknowledgements that agencies send on the broker.

Rules:

1. Recorded (or the same one again): acknowledged on the broker.
2. An envelope that fails verification, or names a delivery that is not the signer's, or
   conflicts with an earlier acknowledgement: audited (by :mod:`._acknowledging`, or here as
   ``routing.failed`` for an unverifiable envelope) and dead-lettered. Retrying cannot help.
3. An outage of ours (database): held and retried in place, by time, never requeued, as the
   routing consumer does; if the broker drops the channel, the message is let go and comes again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import ChannelInvalidStateError

from hub._exceptions import Conflict, InvalidMessage, NotFound, ServiceError
from hub.acknowledgements._acknowledging import Acknowledgements
from hub.audit import AuditAction, AuditEntry
from hub.logs import get_logger
from hub.messages import reply_properties
from hub.ports import AuditLog, Clock

__all__ = ["AcknowledgementConsumer"]

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0

Sleep = Callable[[float], Awaitable[None]]


class AcknowledgementConsumer:
    """Consumes ``sehub.acks``: each reply message recorded, or dead-lettered with a reason."""

    def __init__(
        self,
        acknowledgements: Acknowledgements,
        *,
        audit: AuditLog,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._acknowledgements = acknowledgements
        self._audit = audit
        self._clock = clock
        self._sleep = sleep

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: record one acknowledgement with scoped acknowledgement."""
        try:
            async with message.process(requeue=False, ignore_processed=True):
                await self._settle(message)
        except ChannelInvalidStateError:
            log.warning("acknowledgements.channel_closed")  # it comes again

    async def _settle(self, message: AbstractIncomingMessage) -> None:
        attempts = 0
        while True:
            try:
                await self._acknowledgements.acknowledge_message(message.body)
            except InvalidMessage as exc:
                log.warning("acknowledgements.refused_unverifiable", reason=exc.reason)
                if await self._audited(message, exc.reason):
                    await message.reject(requeue=False)
                    return
            except (NotFound, Conflict) as exc:
                log.warning("acknowledgements.refused", error=type(exc).__name__)
                await message.reject(requeue=False)
                return
            except ServiceError as exc:
                log.warning("acknowledgements.retrying", error=type(exc).__name__)
            else:
                return
            if message.channel.is_closed:
                return
            attempts += 1
            await self._sleep(min(MAX_BACKOFF_SECONDS, 0.5 * 2.0**attempts))

    async def _audited(self, message: AbstractIncomingMessage, check: str) -> bool:
        """Record an unverifiable reply message; False if the audit log is down (rule 3). Its
        properties are the agency's own, so only well-shaped ids are kept of them."""
        message_id, correlation_id = reply_properties(message.message_id, message.correlation_id)
        try:
            await self._audit.record(
                AuditEntry(
                    action=AuditAction.ROUTING_FAILED,
                    recorded_at=self._clock(),
                    correlation_id=correlation_id,
                    detail={
                        "reason": "acknowledgement failed verification",
                        "check": check,
                        "message_id": message_id,
                        "ids_verified": False,
                    },
                )
            )
        except ServiceError:
            return False
        return True
