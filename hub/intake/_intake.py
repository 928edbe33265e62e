"""Intake: accept a notification from an authenticated agency, durably, or refuse it.

The order matters:

1. Media type, size, then shape: the body must be a valid canonical notification (422 otherwise).
2. The ``source`` must be the posting agency's own (403 otherwise): no agency posts as another.
3. Publish to ingress and wait for RabbitMQ's confirm: only a confirmed message is accepted.
4. Audit the acceptance; only then does the caller answer 202.

Every refusal is audited with the failing fields and rules, never with the values.
"""

from __future__ import annotations

from pydantic import ValidationError

from hub._exceptions import (
    ConfigurationError,
    Forbidden,
    InvalidNotification,
    PayloadTooLarge,
    PeerError,
    UnsupportedMediaType,
)
from hub.agencies import Agency
from hub.audit import AuditAction, AuditEntry
from hub.crypto import InvalidMessage, KeyMaterial
from hub.intake._native import adapt, parse_records
from hub.logs import get_logger
from hub.messages import SOURCE_CONTENT_TYPE, OutgoingMessage
from hub.ports import AuditLog, Clock, Publisher
from hub.validation import notification_problems
from schemas import Notification, notification_adapter, parse_notification

__all__ = ["ACCEPTED_CONTENT_TYPES", "Intake"]

log = get_logger(__name__)

ACCEPTED_CONTENT_TYPES = frozenset({"application/json", "application/cloudevents+json"})


class Intake:
    """The accept-a-notification use case, independent of HTTP."""

    def __init__(
        self,
        publisher: Publisher,
        audit: AuditLog,
        clock: Clock,
        *,
        keys: KeyMaterial,
        max_body_bytes: int,
    ) -> None:
        self._publisher = publisher
        self._audit = audit
        self._clock = clock
        self._keys = keys
        self._max_body_bytes = max_body_bytes

    async def accept(
        self, agency: Agency, body: bytes, correlation_id: str, *, content_type: str
    ) -> Notification:
        """Validate, publish with confirmation, audit; raise a :class:`HubError` otherwise."""
        try:
            notification = self._validate(body, correlation_id, content_type)
        except PeerError as refusal:
            await self.refuse(agency, refusal, correlation_id)
            raise
        await self.accept_notification(agency, notification, correlation_id)
        return notification

    async def accept_records(
        self,
        agency: Agency,
        body: bytes,
        correlation_id: str,
        *,
        content_type: str,
        record_type: str | None = None,
    ) -> list[Notification]:
        """Map native records with the agency's adapter, then accept each notification.

        Nothing is published unless every record maps. Each notification is then published and
        audited in turn; if the broker fails part-way, the caller gets 503 and re-posts, and the
        notifications already accepted keep their ids (adapters derive them from the records).
        """
        try:
            if len(body) > self._max_body_bytes:
                raise PayloadTooLarge(f"the body is over {self._max_body_bytes} bytes")
            records = parse_records(body, content_type, record_type)
            notifications = adapt(agency, records, self._clock())
        except PeerError as refusal:
            refusal.correlation_id = correlation_id
            await self.refuse(agency, refusal, correlation_id)
            raise
        for notification in notifications:
            await self.accept_notification(agency, notification, correlation_id)
        return notifications

    async def accept_notification(
        self, agency: Agency, notification: Notification, correlation_id: str
    ) -> None:
        """Check the source is the agency's own, publish with confirmation, audit acceptance."""
        if notification.source != agency.source:
            forbidden = Forbidden(
                "source does not match the authenticated agency", correlation_id=correlation_id
            )
            await self.refuse(agency, forbidden, correlation_id)
            raise forbidden
        # The time the hub took the post: before it is queued, so before any routing of it.
        taken_at = self._clock()
        await self._publisher.publish_ingress(
            OutgoingMessage(
                body=self._seal(agency, notification),
                message_id=notification.id,
                type=notification.type,
                correlation_id=correlation_id,
                content_type=SOURCE_CONTENT_TYPE,
                headers={"sehub-publisher": agency.id},
            )
        )
        await self._audit.record(
            AuditEntry(
                action=AuditAction.NOTIFICATION_ACCEPTED,
                recorded_at=taken_at,
                correlation_id=correlation_id,
                notification_id=notification.id,
                notification_type=notification.type,
                actor=agency.id,
            )
        )

    def _seal(self, agency: Agency, notification: Notification) -> bytes:
        """Sign the exact canonical bytes as the agency and seal them to the hub."""
        body = notification_adapter.dump_json(notification, exclude_none=True)
        try:
            return self._keys.seal_source(
                agency.id, body, message_id=notification.id, now=self._clock()
            )
        except InvalidMessage as exc:
            raise ConfigurationError(
                "no usable key to sign as the agency or seal to the hub"
            ) from exc

    def _validate(self, body: bytes, correlation_id: str, content_type: str) -> Notification:
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise UnsupportedMediaType(
                "send application/json or application/cloudevents+json",
                correlation_id=correlation_id,
            )
        if len(body) > self._max_body_bytes:
            raise PayloadTooLarge(
                f"the body is over {self._max_body_bytes} bytes", correlation_id=correlation_id
            )
        try:
            notification = parse_notification(body)
        except ValidationError as exc:
            problems = notification_problems(exc, body)
            raise InvalidNotification(
                f"{len(problems)} field(s) failed validation",
                problems,
                correlation_id=correlation_id,
            ) from exc
        return notification

    async def refuse(self, agency: Agency, refusal: PeerError, correlation_id: str) -> None:
        """Audit a refused post: the fields and rules that failed, never the values."""
        detail: dict[str, object] = {"status": refusal.status_hint, "reason": refusal.detail}
        if isinstance(refusal, InvalidNotification):
            detail["problems"] = [
                {"field": problem.field, "rule": problem.rule} for problem in refusal.problems
            ]
        log.info("notification.rejected", **detail)
        await self._audit.record(
            AuditEntry(
                action=AuditAction.NOTIFICATION_REJECTED,
                recorded_at=self._clock(),
                correlation_id=correlation_id,
                actor=agency.id,
                detail=detail,
            )
        )
