"""The audit log: every step the hub takes, committed before the step is acknowledged."""

from hub.audit._entry import AuditAction, AuditEntry
from hub.audit._store import SqlAuditLog, create_engine_for

__all__ = ["AuditAction", "AuditEntry", "SqlAuditLog", "create_engine_for"]
