"""The routing core's async shell: consume ingress, decide, publish per recipient, audit, ack.

Acknowledgement is scoped (``async with message.process()``) and signalled by exceptions:

* a message that cannot be a notification (a peer's fault) is audited and dead-lettered at once;
* a transient failure of ours (broker or database) is requeued after a back-off, and RabbitMQ's
  ``x-delivery-limit`` dead-letters it if the failure outlasts the limit;
* the decision, its audit rows, the state change and every sealed copy (the outbox) are
  committed in one transaction before anything is published; the copies are then published
  and marked sent one by one, and the message is acknowledged only when all are confirmed. A
  redelivered message that was already decided only publishes what is still unsent, so a crash
  or an outage at any point loses nothing and repeats at most the copy in flight (same id);
* after ``x-delivery-limit`` attempts the failure is audited and the message dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import replace

import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from hub._exceptions import InvalidNotification, ServiceError
from hub._validation import field_problems
from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage, open_source, seal_delivery
from hub.delivery._topology import DELIVERY_LIMIT
from hub.delivery._wire import (
    DELIVERY_CONTENT_TYPE,
    DeliveredNotification,
    DeliveryReceipt,
    OutgoingMessage,
)
from hub.keyring import HUB_AGENCY, KeyMaterial
from hub.logs import get_logger
from hub.ports import AuditLog, Clock, Publisher, RoutingStore
from hub.pseudonyms import Pseudonymiser
from hub.sharing import ActivePlacement, Decision, View, decide, placement_change
from hub.state import StateChange
from protocols import Protocol
from schemas import Notification, agency_id_from_source, parse_notification, source_for_agency

__all__ = ["Router"]

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 30.0
_TRANSIENT_REASONS = frozenset({"unknown_kid", "unknown_agency", "key_not_yet_valid"})


class Router:
    """Applies the protocol to each notification on ingress."""

    def __init__(
        self,
        protocol: Protocol,
        *,
        publisher: Publisher,
        audit: AuditLog,
        state: RoutingStore,
        pseudonyms: Pseudonymiser,
        keys: KeyMaterial,
        clock: Clock,
    ) -> None:
        self._protocol = protocol
        self._publisher = publisher
        self._audit = audit
        self._state = state
        self._pseudonyms = pseudonyms
        self._keys = keys
        self._clock = clock
        # Messages are consumed concurrently (prefetch), but a decision may depend on state an
        # earlier message changes (a placement starting), so one router decides in queue order.
        self._in_order = asyncio.Lock()

    async def route(self, body: bytes, correlation_id: str | None) -> Decision | None:
        """Open and verify, decide, seal and publish every view, then commit state and audit.

        Returns None for a notification already routed (same ``source`` + ``id``). Raises
        :class:`InvalidMessage` for an envelope that fails verification or decryption, and
        :class:`InvalidNotification` for verified contents that are not a notification.
        """
        source = self._keys.retrying(
            lambda: open_source(
                self._keys.ring(HUB_AGENCY), self._keys.registry, body, now=self._clock()
            )
        )
        try:
            notification = parse_notification(source.notification)
        except ValidationError as exc:
            raise InvalidNotification(
                "ingress message is not a canonical notification", field_problems(exc)
            ) from exc
        if (notification.source, notification.id) != (
            source_for_agency(source.agency),
            source.message_id,
        ):
            # The signature covers the notification, not the envelope; a relabelled one fails.
            raise InvalidMessage("bad_signature")
        async with self._in_order:
            return await self._route(notification, source.source_sig, correlation_id)

    async def _route(
        self, notification: Notification, source_sig: bytes, correlation_id: str | None
    ) -> Decision | None:
        event_key = self._pseudonyms.event(notification.source, notification.id)
        if await self._state.seen(event_key):
            # Decided and audited before; publish whatever a crash or outage left unsent.
            await self._publish_pending(event_key)
            await self._audit.record(self._duplicate_entry(notification, correlation_id))
            return None
        subjects = self._pseudonyms.subjects(notification)
        state = await self._state.load(subjects)
        now = self._clock()
        decision = decide(notification, self._protocol, now, state)
        deliveries = [
            (view.recipient, self._sealed_delivery(view, decision, source_sig, correlation_id))
            for view in decision.views
        ]
        await self._state.commit(
            event_key,
            subjects=subjects,
            change=self._state_change(notification, decision),
            entries=self._audit_entries(decision, correlation_id, source_sig),
            deliveries=deliveries,
            now=now,
        )
        await self._publish_pending(event_key)
        return decision

    async def _publish_pending(self, event_key: str) -> None:
        for recipient, message in await self._state.pending(event_key):
            await self._publisher.publish_delivery(recipient, message)
            await self._state.mark_sent(event_key, recipient, self._clock())

    def _sealed_delivery(
        self, view: View, decision: Decision, source_sig: bytes, correlation_id: str | None
    ) -> OutgoingMessage:
        plain = _delivery_document(view)
        envelope = self._keys.retrying(
            lambda: seal_delivery(
                self._keys.ring(HUB_AGENCY),
                self._keys.registry,
                view.recipient,
                plain,
                message_id=decision.notification_id,
                rule_id=view.receipt.rule_id,
                protocol_version=view.receipt.protocol_version,
                source_sig=source_sig,
                now=self._clock(),
            )
        )
        return OutgoingMessage(
            body=envelope,
            message_id=decision.notification_id,
            type=decision.notification_type,
            correlation_id=correlation_id,
            content_type=DELIVERY_CONTENT_TYPE,
            headers={"sehub-recipient": view.recipient, "sehub-rule": view.receipt.rule_id},
        )

    def _state_change(self, notification: Notification, decision: Decision) -> StateChange | None:
        """The placement state to remember, only from a publisher the protocol lets share it,
        and only for a placement that publisher is responsible for."""
        change = placement_change(notification)
        if change is None or not decision.authorised:
            return None
        if change.started is not None and change.started.placing_la != self._la_of(
            decision.publisher
        ):
            return None
        episode = self._pseudonyms.episode(notification.source, change.episode)
        if change.started is None:
            return StateChange(ended_episode=episode)
        started = ActivePlacement(episode, change.started.placing_la, change.started.host_la)
        return StateChange(started=started)

    def _la_of(self, party_id: str) -> str | None:
        try:
            return self._protocol.party(party_id).la_code
        except KeyError:
            return None

    def _duplicate_entry(
        self, notification: Notification, correlation_id: str | None
    ) -> AuditEntry:
        return AuditEntry(
            action=AuditAction.NOTIFICATION_DUPLICATE,
            recorded_at=self._clock(),
            correlation_id=correlation_id,
            notification_id=notification.id,
            notification_type=notification.type,
            actor=agency_id_from_source(notification.source),
            detail={"reason": "already routed: same source and id"},
        )

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """AMQP callback: route one ingress message with scoped acknowledgement."""
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=message.correlation_id,
            notification_id=message.message_id,
            protocol_version=self._protocol.version_tag,
        )
        async with message.process(requeue=False, ignore_processed=True):
            try:
                decision = await self.route(message.body, message.correlation_id)
            except InvalidMessage as exc:
                if exc.reason in _TRANSIENT_REASONS:
                    # A key not yet distributed or a clock a little ahead: try again later.
                    await self._retry_or_give_up(message, f"key check: {exc.reason}")
                    return
                # One opaque error outward; the reason and kid go to the audit log only.
                log.warning("routing.refused_unverifiable", reason=exc.reason)
                await self._audit_failure(
                    message, {"reason": "verification failed", "check": exc.reason, "kid": exc.kid}
                )
                raise
            except InvalidNotification as exc:
                log.warning("routing.refused_invalid", problems=len(exc.problems))
                await self._audit_failure(
                    message,
                    {
                        "reason": exc.detail,
                        "problems": [{"field": p.field, "rule": p.rule} for p in exc.problems],
                    },
                )
                raise
            except ServiceError as exc:
                await self._retry_or_give_up(message, type(exc).__name__)
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
        """Requeue after a back-off; on the last attempt, audit the failure and dead-letter."""
        attempts = _delivery_count(message)
        if attempts >= DELIVERY_LIMIT - 1:
            log.error("routing.gave_up", cause=cause, attempts=attempts)
            with contextlib.suppress(ServiceError):
                await self._audit_failure(
                    message, {"reason": f"gave up after {attempts + 1} attempts", "cause": cause}
                )
            await message.reject(requeue=False)
            return
        log.warning("routing.retrying", cause=cause, attempts=attempts)
        await asyncio.sleep(min(MAX_BACKOFF_SECONDS, 0.5 * 2**attempts))
        await message.nack(requeue=True)

    async def _audit_failure(
        self, message: AbstractIncomingMessage, detail: dict[str, object]
    ) -> None:
        await self._audit.record(
            AuditEntry(
                action=AuditAction.ROUTING_FAILED,
                recorded_at=self._clock(),
                correlation_id=message.correlation_id,
                notification_id=message.message_id,
                # The ids come from the message properties, not from verified contents.
                detail={**detail, "ids_verified": False},
            )
        )

    def _audit_entries(
        self, decision: Decision, correlation_id: str | None, source_sig: bytes
    ) -> list[AuditEntry]:
        base = AuditEntry(
            action=AuditAction.NOTIFICATION_SHARED,
            recorded_at=self._clock(),
            correlation_id=correlation_id,
            notification_id=decision.notification_id,
            notification_type=decision.notification_type,
            actor=decision.publisher,
            protocol_version=decision.protocol_version,
        )
        entries = [
            replace(
                base,
                recipient=view.recipient,
                rule_id=view.receipt.rule_id,
                detail={
                    "lawful_basis": list(view.receipt.lawful_basis),
                    "purpose": view.receipt.purpose,
                    "withheld": list(view.receipt.withheld),
                    "acknowledge_by": _iso(view),
                    "source_sig_sha256": hashlib.sha256(source_sig).hexdigest(),
                },
            )
            for view in decision.views
        ]
        entries.extend(
            replace(
                base,
                action=AuditAction.SHARING_REFUSED,
                recipient=refusal.recipient,
                rule_id=refusal.rule_id,
                detail={"reason": refusal.reason},
            )
            for refusal in decision.refusals
        )
        return entries


def _iso(view: View) -> str | None:
    deadline = view.receipt.acknowledge_by
    return None if deadline is None else deadline.isoformat()


def _delivery_count(message: AbstractIncomingMessage) -> int:
    count = (message.headers or {}).get("x-delivery-count", 0)
    return count if isinstance(count, int) else 0


def _delivery_document(view: View) -> bytes:
    document = DeliveredNotification(
        recipient=view.recipient,
        event=dict(view.event),
        receipt=DeliveryReceipt(
            rule_id=view.receipt.rule_id,
            protocol_version=view.receipt.protocol_version,
            lawful_basis=view.receipt.lawful_basis,
            purpose=view.receipt.purpose,
            withheld=view.receipt.withheld,
            acknowledge_by=view.receipt.acknowledge_by,
        ),
    )
    return document.model_dump_json().encode()
