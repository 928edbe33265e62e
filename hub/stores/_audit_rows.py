"""Audit entries to table rows and back, for every store that writes or reads the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from hub.audit import AuditAction, AuditEntry

__all__ = ["audit_rows", "entry_from_row"]

_COLUMNS = (
    "recorded_at",
    "correlation_id",
    "notification_id",
    "notification_type",
    "actor",
    "recipient",
    "rule_id",
    "protocol_version",
    "detail",
)


def audit_rows(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Table rows for ``entries``."""
    return [
        {
            # SQLite keeps no offset, so every time is written in UTC and read back as UTC.
            "recorded_at": entry.recorded_at.astimezone(UTC),
            "action": entry.action.value,
            "correlation_id": entry.correlation_id,
            "notification_id": entry.notification_id,
            "notification_type": entry.notification_type,
            "actor": entry.actor,
            "recipient": entry.recipient,
            "rule_id": entry.rule_id,
            "protocol_version": entry.protocol_version,
            "detail": entry.detail,
        }
        for entry in entries
    ]


def entry_from_row(row: Mapping[Any, Any]) -> AuditEntry:
    """The entry a table row holds."""
    values = {name: row[name] for name in _COLUMNS}
    if values["recorded_at"].tzinfo is None:
        values["recorded_at"] = values["recorded_at"].replace(tzinfo=UTC)
    return AuditEntry(action=AuditAction(row["action"]), **values)
