"""What one audit record says. Plain data: no SQLAlchemy here.

Actions are events, named in the past tense. ``detail`` holds field names, rule ids and reasons,
never values from a notification: the audit log is read by auditors, who see who was told what
about whom, but not what was said unless the protocol allows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["AuditAction", "AuditEntry", "access_refused"]


class AuditAction(StrEnum):
    """Every step the hub records."""

    NOTIFICATION_ACCEPTED = "notification.accepted"
    NOTIFICATION_REJECTED = "notification.rejected"
    NOTIFICATION_SHARED = "notification.shared"
    NOTIFICATION_DUPLICATE = "notification.duplicate"
    SHARING_REFUSED = "sharing.refused"
    ROUTING_FAILED = "routing.failed"
    PROTOCOL_LOADED = "protocol.loaded"
    AUTHENTICATION_FAILED = "authentication.failed"
    RATE_LIMITED = "rate.limited"
    DELIVERY_PUBLISHED = "delivery.published"
    DIRECTORY_LOADED = "directory.loaded"
    DIRECTORY_REFUSED = "directory.refused"
    KEYS_GENERATED = "keys.generated"
    KEYS_ROTATED = "keys.rotated"
    KEYS_RETIRED = "keys.retired"
    ADMIN_CALLED = "admin.called"
    ACCESS_REFUSED = "access.refused"
    AUDIT_QUERIED = "audit.queried"
    AUDIT_PRUNED = "audit.pruned"
    SUBJECT_ERASED = "subject.erased"
    NOTIFICATION_CONFLICTED = "notification.conflicted"
    DELIVERY_ACKNOWLEDGED = "delivery.acknowledged"
    DEADLINE_MISSED = "deadline.missed"
    DELIVERY_ESCALATED = "delivery.escalated"
    CLOCK_STARTED = "clock.started"
    CLOCK_STOPPED = "clock.stopped"
    CLOCK_FIRED = "clock.fired"
    DELIVERY_REPLAYED = "delivery.replayed"
    DELIVERY_DOWNLOADED = "delivery.downloaded"
    MESSAGE_DEAD_LETTERED = "message.dead_lettered"
    DEAD_LETTER_REQUEUED = "dead_letter.requeued"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited step."""

    action: AuditAction
    recorded_at: datetime
    correlation_id: str | None = None
    notification_id: str | None = None
    notification_type: str | None = None
    actor: str | None = None
    recipient: str | None = None
    rule_id: str | None = None
    protocol_version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def access_refused(
    actor: str, recorded_at: datetime, correlation_id: str | None, detail: dict[str, Any]
) -> AuditEntry:
    """The record that ``actor`` was refused: ``detail`` says what and why (a route, a reason,
    an id asked for), never whose the thing asked for was."""
    return AuditEntry(
        action=AuditAction.ACCESS_REFUSED,
        recorded_at=recorded_at,
        correlation_id=correlation_id,
        actor=actor,
        detail=detail,
    )
