"""The audit log's records and their hash chain: plain data and pure functions (no SQL here).

:class:`hub.ports.AuditLog` is the port that commits records; :mod:`hub.stores` holds the SQL
one, which chains every record it appends (:mod:`._chain`).
"""

from hub.audit._chain import (
    CHAINED_FIELDS,
    GENESIS,
    ChainBreak,
    ChainVerifier,
    canonical_record,
    link,
    record_hash,
)
from hub.audit._checkpoint import (
    CHECKPOINT_VERSION,
    Checkpoint,
    CheckpointUnreadable,
    checkpoint_signing_input,
)
from hub.audit._entry import AuditAction, AuditEntry

__all__ = [
    "CHAINED_FIELDS",
    "CHECKPOINT_VERSION",
    "GENESIS",
    "AuditAction",
    "AuditEntry",
    "ChainBreak",
    "ChainVerifier",
    "Checkpoint",
    "CheckpointUnreadable",
    "canonical_record",
    "checkpoint_signing_input",
    "link",
    "record_hash",
]
