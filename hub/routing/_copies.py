"""The sealed copies of a decision: one per recipient's view, and the held ones, each ladder
step and each statutory clock's alert, sealed now and released by the relay when due.

Rules:

1. Every copy is sealed to its recipient and signed as the hub when the notification is decided,
   so the hub never keeps a readable copy; a copy to a recipient whose key cannot be used is not
   made, and the recipient is refused for that copy alone.
2. A ladder step of a view waits for the view's delivery (``held_for``) until its ``due_at``; an
   acknowledgement of that delivery, or of a step of it, cancels the steps still waiting.
3. A step back to the agency that was told carries its view again, addressed to the team the
   ladder names; a step to another agency, and the notice to the sender, carry ids only: which
   notification, to whom, since when, the rule, the ladder and the step.
4. A clock's alerts wait for the clock's key (the clock and the episode's pseudonym) until the
   clock is due, which may be at once. A notification that stops the clock cancels them, and a
   new start of the same clock for the same episode replaces the alerts of the earlier one.
5. Each held copy has an event key and a delivery id of its own, derived from the
   notification's, so it is stored, published, de-duplicated and acknowledged like any copy.
6. What a held copy's release means is audited with its publication (``on_release``): a step's
   ``delivery.escalated``, an alert's ``clock.fired``.
7. Every copy with a deadline has a deadline marker, held for it until the deadline: nothing
   to publish, only ``deadline.missed`` on release, so that a missed deadline is on record at
   the moment it is missed, with a ladder or without; an acknowledgement cancels it too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from hub._exceptions import NoUsableKey
from hub.audit import AuditAction
from hub.crypto import InvalidMessage, KeyMaterial
from hub.messages import (
    DEADLINE,
    DELIVERY_CONTENT_TYPE,
    DeliveredNotification,
    OutboxCopy,
    OutgoingMessage,
    delivery_id,
)
from hub.ports import Clock
from hub.pseudonyms import Pseudonymiser
from hub.sharing import (
    HUB_SOURCE,
    ClockStart,
    Decision,
    EpisodeRef,
    EscalationStep,
    View,
)

__all__ = ["ESCALATION_TYPE", "Copies", "Sealed", "Unusable"]

ESCALATION_TYPE: Final = "uk.sehub.delivery.escalated.v1"


def _derived_key(*parts: str) -> str:
    """A 64-hex key derived from others (event keys, clock ids): unlinkable like its parts."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Unusable:
    """A copy not made because its recipient's key cannot be used (rule 1)."""

    recipient: str
    rule_id: str
    kind: str  # notification, escalation or alert
    check: str


@dataclass
class Sealed:
    """What :meth:`Copies.of_decision` made: the copies to commit, the recipients refused for
    an unusable key, and the clock keys whose waiting alerts are to be cancelled."""

    copies: list[OutboxCopy] = field(default_factory=list)
    unusable: list[Unusable] = field(default_factory=list)
    cancel_clocks: list[str] = field(default_factory=list)
    started: list[tuple[ClockStart, list[str]]] = field(default_factory=list)  # delivery ids


class Copies:
    """Seals a decision's copies (rules 1-6)."""

    def __init__(self, keys: KeyMaterial, pseudonyms: Pseudonymiser, clock: Clock) -> None:
        self._keys = keys
        self._pseudonyms = pseudonyms
        self._clock = clock

    def clock_key(self, clock_id: str, episode: EpisodeRef) -> str:
        """What a clock's alerts wait for: the clock and the episode's pseudonym."""
        return _derived_key(
            "clock", clock_id, self._pseudonyms.episode(episode.source, episode.episode)
        )

    def of_decision(
        self,
        event_key: str,
        decision: Decision,
        source_sig: bytes,
        correlation_id: str | None,
        subjects: Iterable[str] = (),
    ) -> Sealed:
        """Every copy of ``decision``; ``subjects`` (audit tokens) go with each, for the records
        of what becomes of it."""
        sealed = Sealed()
        context = _Context(event_key, decision, source_sig, correlation_id, tuple(sorted(subjects)))
        for view in decision.views:
            delivery = delivery_id(event_key, view.recipient)
            copy = self._seal(sealed, context, view, delivery, kind="notification")
            if copy is None:
                continue
            sealed.copies.append(copy)
            deadline = view.receipt.acknowledge_by
            if deadline is not None:
                sealed.copies.append(_deadline(context, view, delivery, deadline))
            for step in view.escalations:
                sealed.copies.extend(self._escalations(sealed, context, view, delivery, step))
        for stop in decision.clocks_stopped:
            sealed.cancel_clocks.append(self.clock_key(stop.clock_id, stop.episode))
        for start in decision.clocks_started:
            key = self.clock_key(start.clock_id, start.episode)
            sealed.cancel_clocks.append(key)  # a restart replaces the earlier alerts (rule 4)
            alerts = [self._alert(sealed, context, start, key, alert) for alert in start.alerts]
            made = [alert for alert in alerts if alert is not None]
            sealed.copies.extend(made)
            sealed.started.append((start, [alert.delivery_id for alert in made]))
        return sealed

    def _escalations(
        self,
        sealed: Sealed,
        context: _Context,
        view: View,
        delivery: str,
        step: EscalationStep,
    ) -> list[OutboxCopy]:
        """The step's copy, and its notice to the sender (rules 2 and 3)."""
        decision = context.decision
        about = {
            "ladder": step.ladder,
            "step": step.step,
            "addressed_to": step.addressed_to,
            "about_recipient": step.about_recipient,
            "unacknowledged_delivery_id": delivery,
            "deadline": _iso(view.receipt.acknowledge_by),
        }
        made = []
        targets = [(step.recipient, step.key, step.resends_view, step.addressed_to)]
        if step.notify_sender:
            targets.append((decision.publisher, step.sender_key, False, "sender"))
        for recipient, key, resend, addressed in targets:
            escalation = delivery_id(context.event_key, recipient, key)
            data: dict[str, Any] = {
                **about,
                "addressed_to": addressed,
                "notification_id": decision.notification_id,
                "notification_type": decision.notification_type,
                "publisher": decision.publisher,
                "rule_id": view.receipt.rule_id,
            }
            if resend:
                data["notification"] = dict(view.event)
            document = {
                "specversion": "1.0",
                "id": f"esc-{escalation}",
                "source": HUB_SOURCE,
                "type": ESCALATION_TYPE,
                "time": step.due_at.isoformat(),
                "datacontenttype": "application/json",
                "data": data,
            }
            receipt = view.receipt.model_copy(
                update={
                    "purpose": f"escalation step {step.step} of {step.ladder}: "
                    f"{view.receipt.purpose}",
                    "acknowledge_by": None,
                }
            )
            held = View(recipient=recipient, event=document, shared=(), receipt=receipt)
            released = [
                (AuditAction.DELIVERY_ESCALATED.value, {**about, "addressed_to": addressed})
            ]
            copy = self._seal(
                sealed,
                context,
                held,
                escalation,
                kind="escalation",
                event_key=_derived_key("held", context.event_key, key, recipient),
                release=step,
                held_for=delivery,
                on_release=released,
                about=True,
            )
            if copy is not None:
                made.append(copy)
        return made

    def _alert(
        self, sealed: Sealed, context: _Context, start: ClockStart, key: str, alert: View
    ) -> OutboxCopy | None:
        """One recipient's alert of a clock, held until it is due (rule 4)."""
        return self._seal(
            sealed,
            context,
            alert,
            delivery_id(context.event_key, alert.recipient, f"clock:{start.clock_id}"),
            kind="alert",
            event_key=_derived_key("alert", context.event_key, start.clock_id, alert.recipient),
            release=start,
            held_for=key,
            on_release=[
                (
                    AuditAction.CLOCK_FIRED.value,
                    {"clock_id": start.clock_id, "due_at": start.due_at.isoformat()},
                )
            ],
            about=True,
        )

    def _seal(
        self,
        sealed: Sealed,
        context: _Context,
        view: View,
        delivery: str,
        *,
        kind: str,
        event_key: str | None = None,
        release: EscalationStep | ClockStart | None = None,
        held_for: str | None = None,
        on_release: Sequence[tuple[str, Mapping[str, Any]]] = (),
        about: bool = False,
    ) -> OutboxCopy | None:
        """``view`` sealed to its recipient as ``delivery``; None, noted, if its key is unusable."""
        message_id = str(view.event["id"])
        message_type = str(view.event["type"])
        try:
            envelope = self._keys.seal_delivery(
                view.recipient,
                DeliveredNotification.of(view, delivery).model_dump_json().encode(),
                message_id=message_id,
                rule_id=view.receipt.rule_id,
                protocol_version=view.receipt.protocol_version,
                source_sig=context.source_sig,
                now=self._clock(),
            )
        except (InvalidMessage, NoUsableKey) as exc:
            check = exc.reason if isinstance(exc, InvalidMessage) else "no_usable_key"
            sealed.unusable.append(Unusable(view.recipient, view.receipt.rule_id, kind, check))
            return None
        return OutboxCopy(
            event_key=event_key or context.event_key,
            recipient=view.recipient,
            delivery_id=delivery,
            message=OutgoingMessage(
                body=envelope,
                message_id=message_id,
                type=message_type,
                correlation_id=context.correlation_id,
                content_type=DELIVERY_CONTENT_TYPE,
                headers={
                    "sehub-recipient": view.recipient,
                    "sehub-rule": view.receipt.rule_id,
                    "sehub-delivery-id": delivery,
                },
            ),
            publisher=context.decision.publisher,
            kind=kind,
            release_at=None if release is None else release.due_at,
            held_for=held_for,
            acknowledge_by=view.receipt.acknowledge_by,
            on_release=tuple(on_release),
            about=context.about if about else None,
            subjects=context.subjects,
        )


def _deadline(context: _Context, view: View, delivery: str, deadline: datetime) -> OutboxCopy:
    """The marker of a copy's deadline (rule 7): nothing is published; its release, unless an
    acknowledgement cancelled it, is the audit record that the deadline was missed."""
    return OutboxCopy(
        event_key=_derived_key("deadline", context.event_key, view.recipient),
        recipient=view.recipient,
        delivery_id=delivery_id(context.event_key, view.recipient, "deadline"),
        message=OutgoingMessage(
            body=b"",
            message_id=context.decision.notification_id,
            type=context.decision.notification_type,
            correlation_id=context.correlation_id,
            headers={"sehub-rule": view.receipt.rule_id},
        ),
        publisher=context.decision.publisher,
        kind=DEADLINE,
        release_at=deadline,
        held_for=delivery,
        acknowledge_by=deadline,
        on_release=(
            (
                AuditAction.DEADLINE_MISSED.value,
                {
                    "unacknowledged_delivery_id": delivery,
                    "deadline": deadline.isoformat(),
                    "rule_id": view.receipt.rule_id,
                    "protocol_version": view.receipt.protocol_version,
                    "ladder": view.escalations[0].ladder if view.escalations else None,
                },
            ),
        ),
        subjects=context.subjects,
    )


@dataclass(frozen=True, slots=True)
class _Context:
    event_key: str
    decision: Decision
    source_sig: bytes
    correlation_id: str | None
    subjects: tuple[str, ...]

    @property
    def about(self) -> tuple[str, str]:
        return self.decision.notification_id, self.decision.notification_type


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
