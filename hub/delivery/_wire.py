"""What travels on the broker: the outgoing-message value and the delivery document.

A delivery is what a recipient agency reads from its queue: the minimised CloudEvent and the
lawful-basis receipt that says why it was told. The format is JSON with the content type
``application/vnd.sehub.delivery+json``; ``docs/wire-format.md`` documents it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aio_pika
from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = [
    "DELIVERY_CONTENT_TYPE",
    "NOTIFICATION_CONTENT_TYPE",
    "SOURCE_CONTENT_TYPE",
    "DeliveredNotification",
    "DeliveryReceipt",
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

    def to_amqp(self) -> aio_pika.Message:
        return aio_pika.Message(
            self.body,
            message_id=self.message_id,
            type=self.type,
            correlation_id=self.correlation_id,
            content_type=self.content_type,
            headers=dict(self.headers),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )


class DeliveryReceipt(BaseModel):
    """Why this recipient was told: the lawful-basis receipt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    protocol_version: str
    lawful_basis: tuple[str, ...]
    purpose: str
    withheld: tuple[str, ...]
    acknowledge_by: AwareDatetime | None


class DeliveredNotification(BaseModel):
    """One recipient's view of a notification, as it sits on that agency's queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipient: str
    event: dict[str, Any]
    receipt: DeliveryReceipt

    @property
    def notification_id(self) -> str:
        return str(self.event["id"])

    @property
    def notification_type(self) -> str:
        return str(self.event["type"])

    @property
    def acknowledge_by(self) -> datetime | None:
        return self.receipt.acknowledge_by
