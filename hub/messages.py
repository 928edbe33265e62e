"""What travels on the broker: the outgoing-message value and the delivery document.

Plain data, no broker client: :mod:`hub.delivery` turns an :class:`OutgoingMessage` into AMQP.

A delivery is what a recipient agency reads from its queue once it has opened the sealed
envelope: its minimised CloudEvent and the lawful-basis :class:`~hub.sharing.Receipt` that says
why it was told, the very receipt the decision made. ``docs/wire-format.md`` documents both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from hub.sharing import Receipt, View

__all__ = [
    "DELIVERY_CONTENT_TYPE",
    "NOTIFICATION_CONTENT_TYPE",
    "SOURCE_CONTENT_TYPE",
    "DeliveredNotification",
    "OutgoingMessage",
]

NOTIFICATION_CONTENT_TYPE = "application/cloudevents+json"
SOURCE_CONTENT_TYPE = "application/vnd.sehub.source-envelope+json"
DELIVERY_CONTENT_TYPE = "application/vnd.sehub.delivery-envelope+json"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A body and the AMQP properties the hub sets on everything it publishes."""

    body: bytes
    message_id: str
    type: str
    correlation_id: str | None
    content_type: str = NOTIFICATION_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class DeliveredNotification(BaseModel):
    """One recipient's view of a notification, as it sits (sealed) on that agency's queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipient: str
    event: dict[str, Any]
    receipt: Receipt

    @classmethod
    def of(cls, view: View) -> DeliveredNotification:
        """The delivery document of one recipient's view."""
        return cls(recipient=view.recipient, event=dict(view.event), receipt=view.receipt)

    @property
    def notification_id(self) -> str:
        return str(self.event["id"])

    @property
    def notification_type(self) -> str:
        return str(self.event["type"])

    @property
    def acknowledge_by(self) -> datetime | None:
        return self.receipt.acknowledge_by
