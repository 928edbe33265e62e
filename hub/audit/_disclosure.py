"""The disclosure view: for one subject, who was told what, when, why, and who was refused.

Rendered from audit records only, never from a second computation: a ``notification.shared``
record says who was told which fields under which rule and lawful basis, and what was withheld;
``sharing.refused`` who was refused and why; ``notification.accepted`` when the hub took the
notification; ``delivery.published`` when the broker confirmed each copy. Field names only: the
audit log holds no values, so neither does the view.

Rules:

1. A notification is in the view when a ``notification.shared`` or ``sharing.refused`` record
   names the subject (:mod:`._subjects`); the other records of that notification are matched by
   its publisher and id.
2. Notifications are listed in the order they were decided; recipients by name.
3. What became of each copy (:data:`FOLLOW_UPS`) is matched by its delivery id: who
   acknowledged it (the action, the agency's user reference, when), whether its deadline was
   missed, each escalation step and the team addressed; and each statutory-clock alert the
   notification set off, with its recipient and when it went.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.audit._chain import utc_text
from hub.audit._entry import AuditAction
from hub.audit._query import ListedRecord

__all__ = ["ABOUT_A_SUBJECT", "FOLLOW_UPS", "NotificationDisclosure", "disclosures"]

ABOUT_A_SUBJECT = frozenset({AuditAction.NOTIFICATION_SHARED, AuditAction.SHARING_REFUSED})
FOLLOW_UPS = frozenset(
    {
        AuditAction.DELIVERY_ACKNOWLEDGED,
        AuditAction.DEADLINE_MISSED,
        AuditAction.DELIVERY_ESCALATED,
        AuditAction.CLOCK_FIRED,
    }
)


@dataclass(slots=True)
class NotificationDisclosure:
    """What became of one notification about the subject."""

    notification_id: str
    notification_type: str | None
    publisher: str | None
    protocol_version: str | None
    decided_at: str
    accepted_at: str | None = None
    told: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)  # every refusal, as decided
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "notification_type": self.notification_type,
            "publisher": self.publisher,
            "protocol_version": self.protocol_version,
            "accepted_at": self.accepted_at,
            "decided_at": self.decided_at,
            "told": [self.told[recipient] for recipient in sorted(self.told)],
            "refused": sorted(
                self.refused,
                key=lambda r: (r["recipient"] or "", r["rule_id"] or "", r["reason"] or ""),
            ),
            "alerts": self.alerts,
        }


def _told(record: ListedRecord) -> dict[str, Any]:
    entry, detail = record.entry, record.entry.detail
    return {
        "recipient": entry.recipient,
        "rule_id": entry.rule_id,
        "lawful_basis": detail.get("lawful_basis", []),
        "purpose": detail.get("purpose"),
        "shared": detail.get("shared", []),
        "withheld": detail.get("withheld", []),
        "acknowledge_by": detail.get("acknowledge_by"),
        "decided_at": utc_text(entry.recorded_at),
        "published_at": None,
        "delivery_id": detail.get("delivery_id"),
        "acknowledged": [],
        "deadline_missed_at": None,
        "escalations": [],
        "records": [record.seq],
    }


def disclosures(
    about: Iterable[ListedRecord], related: Iterable[ListedRecord]
) -> list[NotificationDisclosure]:
    """The view from the records naming the subject (``about``) and every other record of
    those notifications (``related``; records of other notifications are ignored)."""
    views: dict[tuple[str | None, str], NotificationDisclosure] = {}
    for record in sorted(about, key=lambda r: r.position):
        entry = record.entry
        if entry.action not in ABOUT_A_SUBJECT or entry.notification_id is None:
            continue
        key = (entry.actor, entry.notification_id)
        view = views.setdefault(
            key,
            NotificationDisclosure(
                notification_id=entry.notification_id,
                notification_type=entry.notification_type,
                publisher=entry.actor,
                protocol_version=entry.protocol_version,
                decided_at=utc_text(entry.recorded_at),
            ),
        )
        recipient = entry.recipient or "(none)"
        if entry.action is AuditAction.NOTIFICATION_SHARED:
            view.told[recipient] = _told(record)
        else:
            view.refused.append(
                {
                    "recipient": entry.recipient,
                    "rule_id": entry.rule_id,
                    "reason": entry.detail.get("reason"),
                    "decided_at": utc_text(entry.recorded_at),
                    "records": [record.seq],
                }
            )
    every = {record.seq: record for record in (*about, *related)}
    ordered = sorted(every.values(), key=lambda r: r.position)
    for record in ordered:
        entry = record.entry
        found = views.get((entry.actor, entry.notification_id or ""))
        if found is None:
            continue
        if entry.action is AuditAction.NOTIFICATION_ACCEPTED and found.accepted_at is None:
            found.accepted_at = utc_text(entry.recorded_at)
        elif entry.action is AuditAction.DELIVERY_PUBLISHED and entry.recipient in found.told:
            told = found.told[entry.recipient]
            if told["published_at"] is None:
                told["published_at"] = utc_text(entry.recorded_at)
                told["records"].append(record.seq)
        elif entry.action is AuditAction.CLOCK_FIRED:
            found.alerts.append(
                {
                    "clock_id": entry.detail.get("clock_id"),
                    "recipient": entry.recipient,
                    "fired_at": utc_text(entry.recorded_at),
                    "records": [record.seq],
                }
            )
    _follow_ups(views.values(), ordered)
    return list(views.values())


def _follow_ups(views: Iterable[NotificationDisclosure], records: list[ListedRecord]) -> None:
    """Attach acknowledgements, missed deadlines and escalations to their copies (rule 3)."""
    copies = {
        told["delivery_id"]: told
        for view in views
        for told in view.told.values()
        if told["delivery_id"] is not None
    }
    escalated: dict[str, str] = {}  # an escalation's delivery id -> the copy it escalates
    for record in records:
        entry, detail = record.entry, record.entry.detail
        missed = copies.get(detail.get("unacknowledged_delivery_id", ""))
        attached: dict[str, Any] | None = None
        if entry.action is AuditAction.DELIVERY_ESCALATED and missed is not None:
            escalated[detail.get("delivery_id", "")] = missed["delivery_id"]
            missed["escalations"].append(
                {
                    "step": detail.get("step"),
                    "recipient": entry.recipient,
                    "addressed_to": detail.get("addressed_to"),
                    "escalated_at": utc_text(entry.recorded_at),
                }
            )
            attached = missed
        elif entry.action is AuditAction.DEADLINE_MISSED and missed is not None:
            missed["deadline_missed_at"] = utc_text(entry.recorded_at)
            attached = missed
        elif entry.action is AuditAction.DELIVERY_ACKNOWLEDGED:
            delivery = detail.get("delivery_id", "")
            attached = copies.get(escalated.get(delivery, delivery))
            if attached is not None:
                attached["acknowledged"].append(
                    {
                        "action": detail.get("action"),
                        "by": detail.get("by"),
                        "agency": entry.actor,
                        "of": "escalation" if delivery in escalated else "copy",
                        "acknowledged_at": utc_text(entry.recorded_at),
                    }
                )
        if attached is not None:
            attached["records"].append(record.seq)
