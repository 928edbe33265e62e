"""The SQL stores behind the ports: the audit log, and routing state with its outbox (and the
HTTP inbox that reads it), the intake and replay outboxes.

Both write through the tables of :mod:`hub.db`, and share one engine so that a routing decision,
its audit rows and its outbox are committed in one transaction.
"""

from hub.stores._acknowledgement_store import SqlAcknowledgementStore
from hub.stores._audit_log import SqlAuditLog
from hub.stores._audit_queries import SqlAuditReader
from hub.stores._audit_rows import audit_rows, subject_index, vouching
from hub.stores._inbox_store import SqlInboxStore
from hub.stores._intake_store import SqlIntakeStore
from hub.stores._nonce_store import SqlNonceStore
from hub.stores._replay_store import SqlReplayStore
from hub.stores._routing_store import SqlRoutingStore
from hub.stores._subject_keys import SqlSubjectKeys
from hub.stores._subject_links import SqlSubjectLinks

__all__ = [
    "SqlAcknowledgementStore",
    "SqlAuditLog",
    "SqlAuditReader",
    "SqlInboxStore",
    "SqlIntakeStore",
    "SqlNonceStore",
    "SqlReplayStore",
    "SqlRoutingStore",
    "SqlSubjectKeys",
    "SqlSubjectLinks",
    "audit_rows",
    "subject_index",
    "vouching",
]
