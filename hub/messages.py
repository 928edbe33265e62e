"""What travels on the broker: the outgoing-message value and the delivery document.

Plain data, no broker client: :mod:`hub.delivery` turns an :class:`OutgoingMessage` into AMQP.

A delivery is what a recipient agency reads from its queue once it has opened the sealed
envelope: its minimised CloudEvent and the lawful-basis :class:`~hub.sharing.Receipt` that says
why it was told, the very receipt the decision made. ``docs/wire-format.md`` documents both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, StringConstraints

from hub.sharing import Receipt, View

__all__ = [
    "ACKNOWLEDGEMENT_CONTENT_TYPE",
    "DEADLINE",
    "DELIVERY_CONTENT_TYPE",
    "DELIVERY_DOCUMENT_CONTENT_TYPE",
    "NOTIFICATION_CONTENT_TYPE",
    "REPLAY_HEADER",
    "SOURCE_CONTENT_TYPE",
    "SUBJECTS_HEADER",
    "Acceptance",
    "AcceptedCopy",
    "AckAction",
    "AckOutcome",
    "AcknowledgedDelivery",
    "Acknowledgement",
    "DeliveredNotification",
    "DeliveryId",
    "InboxCopy",
    "OutboxCopy",
    "OutgoingMessage",
    "Reference",
    "ReplayCopy",
    "delivery_id",
    "reply_properties",
]

NOTIFICATION_CONTENT_TYPE = "application/cloudevents+json"
SOURCE_CONTENT_TYPE = "application/vnd.sehub.source-envelope+json"
DELIVERY_CONTENT_TYPE = "application/vnd.sehub.delivery-envelope+json"
# An opened delivery envelope: the recipient's DeliveredNotification (the HTTP inbox's ?open=true).
DELIVERY_DOCUMENT_CONTENT_TYPE = "application/vnd.sehub.delivery+json"
ACKNOWLEDGEMENT_CONTENT_TYPE = "application/vnd.sehub.acknowledgement-envelope+json"
# The kind of a deadline marker in the outbox: held until a copy's deadline, never published;
# its release is the record that the deadline was missed (hub.routing._copies).
DEADLINE = "deadline"
# Set ("true") on a copy the hub sends again because its recipient asked (hub.replay).
REPLAY_HEADER = "sehub-replay"
# On an ingress message: the subject's pseudonyms, comma-joined, by which the resolver keeps one
# subject's notifications in order (hub.routing._resolver). Pseudonyms only, never identifiers.
SUBJECTS_HEADER = "sehub-subjects"

DeliveryId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# A user or system id in the receiving agency's own directory, or a reference to its own note:
# an opaque reference, never a name, an e-mail address or free text (hence no "@" or spaces).
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")]


def delivery_id(event_key: str, recipient: str, step: str = "") -> str:
    """The stable id of one copy: the same for every publish, replay or redelivery of it.

    ``event_key`` is the notification's keyed pseudonym, so the id reveals nothing about it;
    ``step`` tells apart the escalations and alerts the hub sends about the same notification.
    """
    material = "\x00".join(("sehub-delivery-1", event_key, recipient, step)).encode()
    return hashlib.sha256(material).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A body and the AMQP properties the hub sets on everything it publishes."""

    body: bytes
    message_id: str
    type: str
    correlation_id: str | None
    content_type: str = NOTIFICATION_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class Acceptance(StrEnum):
    """What the intake outbox made of a post: new, a retry of one accepted, or a changed one."""

    NEW = "new"
    REPEATED = "repeated"
    CONFLICTING = "conflicting"


@dataclass(frozen=True, slots=True)
class AcceptedCopy:
    """An accepted notification, sealed to the hub, as it waits in the intake outbox for ingress.

    ``content`` is a keyed hash of its canonical bytes: a retried post has the same, a changed
    one another. ``event_key`` is the pseudonym of its ``source`` + ``id``.
    """

    event_key: str
    content: str
    publisher: str
    message: OutgoingMessage
    accepted_at: datetime
    attempts: int = 0  # failed publishes so far


@dataclass(frozen=True, slots=True)
class OutboxCopy:
    """One sealed copy in the outbox, as the relay publishes it.

    ``kind`` is ``notification`` (a recipient's view), ``escalation`` (a ladder step) or ``alert``
    (a statutory clock). A held copy waits for ``release_at`` and is cancelled by what it is
    ``held_for`` (the delivery whose acknowledgement stops a ladder, or the clock a later
    notification stops). ``publisher`` is the agency whose notification it came from.
    """

    event_key: str
    recipient: str
    delivery_id: str
    message: OutgoingMessage
    publisher: str
    kind: str = "notification"
    release_at: datetime | None = None
    held_for: str | None = None
    acknowledge_by: datetime | None = None
    # What its release means, audited with its ``delivery.published``: (action, detail) pairs,
    # metadata only (a ladder's step and team, a clock's id), never contents.
    on_release: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    attempts: int = 0  # failed publishes so far
    # The notification (id, type) a held copy is about, when its own message is another (an
    # escalation's, an alert's); and the subject's audit tokens, for the records of what
    # becomes of the copy (acknowledged, missed, escalated, fired).
    about: tuple[str, str] | None = None
    subjects: tuple[str, ...] = ()

    @property
    def notification(self) -> tuple[str, str]:
        """The (id, type) of the notification this copy is about."""
        return self.about or (self.message.message_id, self.message.type)


@dataclass(frozen=True, slots=True)
class ReplayCopy:
    """A copy its recipient asked for again, as it waits in the replay outbox (:mod:`hub.replay`):
    the very sealed envelope first published, marked ``sehub-replay``. ``replay_id`` is the
    row's own: one per copy per request, so a copy asked for twice is sent twice."""

    replay_id: str
    recipient: str
    delivery_id: str
    message: OutgoingMessage
    attempts: int = 0  # failed publishes so far


@dataclass(frozen=True, slots=True)
class InboxCopy:
    """A copy released to its recipient, as its HTTP inbox serves it: the outbox copy, when it
    was released (published, or marked sent to an inbox-only agency), and whether the agency
    has acknowledged it (any action)."""

    copy: OutboxCopy
    released_at: datetime
    acknowledged: bool = False


class DeliveredNotification(BaseModel):
    """One recipient's view of a notification, as it sits (sealed) on that agency's queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    recipient: str
    event: dict[str, Any]
    receipt: Receipt

    @classmethod
    def of(cls, view: View, delivery: str) -> DeliveredNotification:
        """The delivery document of one recipient's view, under its stable ``delivery`` id."""
        return cls(
            delivery_id=delivery,
            recipient=view.recipient,
            event=dict(view.event),
            receipt=view.receipt,
        )

    @property
    def notification_id(self) -> str:
        return str(self.event["id"])

    @property
    def notification_type(self) -> str:
        return str(self.event["type"])

    @property
    def acknowledge_by(self) -> datetime | None:
        return self.receipt.acknowledge_by


class AckAction(StrEnum):
    """What the receiving agency says it did with a delivery."""

    RECEIVED = "received"
    ACTIONED = "actioned"
    DECLINED = "declined"


class Acknowledgement(BaseModel):
    """A business acknowledgement: a named user or system at the recipient acted on a delivery.

    Over HTTP the agency's credential says who sent it; as a reply message on the broker it is
    sealed to the hub and signed with the agency's own key, like a source envelope, and the
    hub checks that the delivery was addressed to that agency.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: DeliveryId
    action: AckAction
    by: Reference
    note_ref: Reference | None = None

    @property
    def message_id(self) -> str:
        """The message id a reply message carrying this must have: it names the delivery and
        the action, so a signed acknowledgement cannot be relabelled as another."""
        return f"ack-{self.delivery_id}-{self.action.value}"


_ACK_MESSAGE_ID: Final = re.compile(r"^ack-[0-9a-f]{32}-(?:received|actioned|declined)$")
_UUID: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def reply_properties(
    message_id: str | None, correlation_id: str | None
) -> tuple[str | None, str | None]:
    """The message id and correlation id of a reply message an agency put on the broker, as far
    as they may be recorded: an acknowledgement's own id shape and a UUID, else None. An agency
    sets these AMQP properties itself, outside the seal, so anything else could carry a case
    reference or a person's identifier into the audit log."""
    return (
        message_id if message_id is not None and _ACK_MESSAGE_ID.match(message_id) else None,
        correlation_id if correlation_id is not None and _UUID.match(correlation_id) else None,
    )


class AckOutcome(StrEnum):
    """What the hub made of an acknowledgement."""

    NEW = "new"
    REPEATED = "repeated"  # the same action, by the same user, with the same note
    CONFLICTING = "conflicting"  # the same action, by someone else or with another note
    UNKNOWN = "unknown"  # no such delivery for this agency


@dataclass(frozen=True, slots=True)
class AcknowledgedDelivery:
    """The delivery an acknowledgement is about, as the hub knows it (ids only), and how many
    held copies (the rest of its ladder) the acknowledgement cancelled."""

    delivery_id: str
    recipient: str
    publisher: str
    notification_id: str
    notification_type: str
    correlation_id: str | None
    kind: str
    held_for: str | None
    stopped: int
    subjects: tuple[str, ...] = ()
