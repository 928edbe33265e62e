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
from hub.audit._disclosure import ABOUT_A_SUBJECT, NotificationDisclosure, disclosures
from hub.audit._entry import AuditAction, AuditEntry
from hub.audit._query import (
    RECORD_FIELDS,
    AuditQuery,
    ListedRecord,
    Position,
    decode_cursor,
    encode_cursor,
)
from hub.audit._subjects import SUBJECT_KEY_BYTES, subject_token

__all__ = [
    "ABOUT_A_SUBJECT",
    "CHAINED_FIELDS",
    "CHECKPOINT_VERSION",
    "GENESIS",
    "RECORD_FIELDS",
    "SUBJECT_KEY_BYTES",
    "AuditAction",
    "AuditEntry",
    "AuditQuery",
    "ChainBreak",
    "ChainVerifier",
    "Checkpoint",
    "CheckpointUnreadable",
    "ListedRecord",
    "NotificationDisclosure",
    "Position",
    "canonical_record",
    "checkpoint_signing_input",
    "decode_cursor",
    "disclosures",
    "encode_cursor",
    "link",
    "record_hash",
    "subject_token",
]
