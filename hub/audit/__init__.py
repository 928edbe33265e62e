"""The audit log's records: every step the hub takes, as plain data (no SQL here).

:class:`hub.ports.AuditLog` is the port that commits them; :mod:`hub.stores` holds the SQL one.
"""

from hub.audit._entry import AuditAction, AuditEntry

__all__ = ["AuditAction", "AuditEntry"]
