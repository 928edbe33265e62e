"""Business acknowledgements on SQL: recorded, and the ladder they stop cancelled, with their
audit record, in one transaction.

Rules:

1. Only the recipient of a delivery may acknowledge it; for anyone else, and for an id that is
   not a delivery, the answer is the same (:attr:`AckOutcome.UNKNOWN`), so that the ids of other
   agencies' deliveries cannot be probed.
2. One row per (delivery, action). The same action again by the same user with the same note is
   the same acknowledgement (:attr:`AckOutcome.REPEATED`), audited once; by anyone else, or with
   another note, it is :attr:`AckOutcome.CONFLICTING` and changes nothing.
3. An acknowledgement of a delivery, or of an escalation of it, cancels every held copy still
   waiting on that delivery: the rest of its ladder, and its deadline marker, so that neither
   an escalation nor a ``deadline.missed`` follows. ``stopped`` counts the escalations only.
4. Only the agency that was told can stop its ladder: acknowledging a step sent to another
   agency, or the sender's notice, records that acknowledgement and stops what waits on that
   step alone, never the steps of the copy it is about.
5. A held copy a relay has claimed is released: it is on its way, and an acknowledgement
   committed after the claim no longer stops it (nor counts it as stopped).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.audit import AuditEntry
from hub.db import acknowledgements, outbox
from hub.messages import DEADLINE, AcknowledgedDelivery, Acknowledgement, AckOutcome
from hub.stores._audit_rows import append_audit
from hub.stores._group_commit import committing
from hub.stores._routing_store import outbox_copy

__all__ = ["SqlAcknowledgementStore"]


class SqlAcknowledgementStore:
    """The acknowledgement port on SQL, in the audit log's database and transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def acknowledge(
        self,
        ack: Acknowledgement,
        *,
        agency: str,
        channel: str,
        now: datetime,
        audit: Callable[[AcknowledgedDelivery], AuditEntry],
    ) -> tuple[AckOutcome, AcknowledgedDelivery | None]:
        """Record ``ack`` by ``agency``, cancel the ladder and append ``audit(...)`` atomically."""
        outcome = AckOutcome.UNKNOWN
        acknowledged: AcknowledgedDelivery | None = None

        async def work(connection: AsyncConnection) -> None:
            nonlocal outcome, acknowledged
            delivery = await _delivery(connection, ack.delivery_id, agency)
            if delivery is None:
                outcome = AckOutcome.UNKNOWN
                return
            earlier = (
                await connection.execute(
                    select(acknowledgements.c.by, acknowledgements.c.note_ref).where(
                        acknowledgements.c.delivery_id == ack.delivery_id,
                        acknowledgements.c.action == ack.action.value,
                    )
                )
            ).first()
            if earlier is not None:
                same = (earlier.by, earlier.note_ref) == (ack.by, ack.note_ref)
                outcome = AckOutcome.REPEATED if same else AckOutcome.CONFLICTING
                acknowledged = delivery
                return
            await connection.execute(
                insert(acknowledgements),
                [
                    {
                        "delivery_id": ack.delivery_id,
                        "action": ack.action.value,
                        "agency": agency,
                        "by": ack.by,
                        "note_ref": ack.note_ref,
                        "channel": channel,
                        "acknowledged_at": now.astimezone(UTC),
                    }
                ],
            )
            stopped = await _cancel_ladder(connection, delivery, now)
            acknowledged = AcknowledgedDelivery(
                delivery_id=delivery.delivery_id,
                recipient=delivery.recipient,
                publisher=delivery.publisher,
                notification_id=delivery.notification_id,
                notification_type=delivery.notification_type,
                correlation_id=delivery.correlation_id,
                kind=delivery.kind,
                held_for=delivery.held_for,
                stopped=stopped,
                subjects=delivery.subjects,
            )
            await append_audit(connection, (audit(acknowledged),))
            outcome = AckOutcome.NEW

        await committing(self._engine, work, failure="could not record the acknowledgement")
        return outcome, acknowledged


async def _delivery(
    connection: AsyncConnection, delivery_id: str, agency: str
) -> AcknowledgedDelivery | None:
    """The delivery ``delivery_id`` if ``agency`` is its recipient (rule 1)."""
    row = (
        (await connection.execute(select(outbox).where(outbox.c.delivery_id == delivery_id)))
        .mappings()
        .first()
    )
    if row is None or row["recipient"] != agency:
        return None
    copy = outbox_copy(row)
    notification_id, notification_type = copy.notification
    return AcknowledgedDelivery(
        delivery_id=delivery_id,
        recipient=agency,
        publisher=copy.publisher,
        notification_id=notification_id,
        notification_type=notification_type,
        correlation_id=copy.message.correlation_id,
        kind=copy.kind,
        held_for=copy.held_for,
        stopped=0,
        subjects=copy.subjects,
    )


async def _cancel_ladder(
    connection: AsyncConnection, delivery: AcknowledgedDelivery, now: datetime
) -> int:
    """Cancel what waits on this delivery, or on the one it escalates (rule 3); how many
    escalations that was."""
    waited_on = [delivery.delivery_id]
    if delivery.held_for is not None and delivery.kind == "escalation":
        escalated = await connection.scalar(
            select(outbox.c.recipient).where(outbox.c.delivery_id == delivery.held_for)
        )
        if escalated == delivery.recipient:  # rule 4: only the agency that was told stops it
            waited_on.append(delivery.held_for)
    stopped = 0
    for kind in ("escalation", DEADLINE):
        result = await connection.execute(
            update(outbox)
            .where(
                outbox.c.held_for.in_(waited_on),
                outbox.c.kind == kind,
                outbox.c.sent_at.is_(None),
                outbox.c.cancelled_at.is_(None),
                # Claimed by a relay: released, on its way; too late to stop (rule 5).
                outbox.c.next_attempt_at.is_(None),
            )
            .values(cancelled_at=now.astimezone(UTC))
        )
        if kind == "escalation":
            stopped = int(result.rowcount or 0)
    return stopped
