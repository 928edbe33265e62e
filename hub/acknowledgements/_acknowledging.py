"""Business acknowledgements: a named user or system at the receiving agency says it received,
actioned or declined a delivery.

The AMQP ack is transport; this is what counts. Rules:

1. Who acknowledges is verified: over HTTP by the agency's credential, as a reply message by the
   agency's own signature on an envelope sealed to the hub (``KeyMaterial.open_source``), whose
   message id must name the delivery and the action it carries.
2. Only the delivery's recipient may acknowledge it; anyone else, or an id that is no delivery,
   gets the same "not found", audited as ``access.refused`` with the reason (and, over HTTP,
   the route).
3. A new acknowledgement is recorded, its ladder's waiting steps cancelled, and
   ``delivery.acknowledged`` appended, in one transaction. The same one again (same action, user
   and note) is answered the same and not recorded twice; the same action by someone else or
   with another note is a conflict and changes nothing.
4. Audit details name the delivery, the action, the agency's own user or system reference and
   note reference, the channel and how many escalations were stopped, never a note's text.
"""

from __future__ import annotations

from pydantic import ValidationError

from hub._exceptions import Conflict, InvalidMessage, NotFound
from hub.audit import AuditAction, AuditEntry, access_refused
from hub.crypto import KeyMaterial
from hub.logs import get_logger
from hub.messages import AcknowledgedDelivery, Acknowledgement, AckOutcome
from hub.ports import AcknowledgementStore, AuditLog, Clock

__all__ = ["Acknowledgements"]

log = get_logger(__name__)


class Acknowledgements:
    """The acknowledge-a-delivery use case, for the HTTP API and the reply-message consumer."""

    def __init__(
        self, store: AcknowledgementStore, audit: AuditLog, clock: Clock, *, keys: KeyMaterial
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self._keys = keys

    async def acknowledge(
        self,
        agency: str,
        ack: Acknowledgement,
        *,
        channel: str,
        correlation_id: str | None = None,
        route: str | None = None,
    ) -> AcknowledgedDelivery:
        """Record ``ack`` by ``agency`` (rules 2-4); :class:`NotFound` or :class:`Conflict` else.

        ``route`` (over HTTP, the route template) is named in a refusal's record."""
        now = self._clock()

        def acknowledged(delivery: AcknowledgedDelivery) -> AuditEntry:
            return AuditEntry(
                action=AuditAction.DELIVERY_ACKNOWLEDGED,
                recorded_at=now,
                correlation_id=correlation_id or delivery.correlation_id,
                notification_id=delivery.notification_id,
                notification_type=delivery.notification_type,
                actor=agency,
                recipient=delivery.recipient,
                detail={
                    "delivery_id": delivery.delivery_id,
                    "action": ack.action.value,
                    "by": ack.by,
                    "note_ref": ack.note_ref,
                    "channel": channel,
                    "kind": delivery.kind,
                    "escalations_stopped": delivery.stopped,
                    "subjects": list(delivery.subjects),
                },
            )

        outcome, delivery = await self._store.acknowledge(
            ack, agency=agency, channel=channel, now=now, audit=acknowledged
        )
        if outcome is AckOutcome.UNKNOWN or delivery is None:
            await self._refused(
                agency,
                ack,
                channel,
                correlation_id,
                "acknowledged a delivery not its own, or none",
                route=route,
            )
            raise NotFound("no such delivery for this agency", correlation_id=correlation_id)
        if outcome is AckOutcome.CONFLICTING:
            await self._refused(
                agency,
                ack,
                channel,
                correlation_id,
                "already acknowledged so by another user",
                route=route,
            )
            raise Conflict(
                "this delivery was acknowledged with this action by another user or note",
                correlation_id=correlation_id,
            )
        log.info(
            "delivery.acknowledged",
            delivery_id=ack.delivery_id,
            action=ack.action.value,
            outcome=outcome.value,
            stopped=delivery.stopped,
        )
        return delivery

    async def acknowledge_message(self, envelope: bytes) -> AcknowledgedDelivery:
        """Verify a reply message (rule 1), then acknowledge as its signer.

        Raises :class:`InvalidMessage` for an envelope that fails verification or carries no
        acknowledgement, and what :meth:`acknowledge` raises.
        """
        source = self._keys.open_source(envelope, now=self._clock())
        try:
            ack = Acknowledgement.model_validate_json(source.notification)
        except ValidationError as exc:
            raise InvalidMessage("malformed") from exc
        if source.message_id != ack.message_id:
            # The signature covers the acknowledgement, not the envelope: a relabelled one fails.
            raise InvalidMessage("bad_signature")
        return await self.acknowledge(source.agency, ack, channel="amqp")

    async def _refused(
        self,
        agency: str,
        ack: Acknowledgement,
        channel: str,
        correlation_id: str | None,
        reason: str,
        *,
        route: str | None,
    ) -> None:
        detail = {"reason": reason, "delivery_id": ack.delivery_id, "channel": channel}
        if route is not None:
            detail["route"] = route
        await self._audit.record(access_refused(agency, self._clock(), correlation_id, detail))
