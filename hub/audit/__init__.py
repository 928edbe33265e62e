"""The audit log's records and their hash chain: plain data and pure functions (no SQL here).

:class:`hub.ports.AuditLog` is the port that commits records; :mod:`hub.stores` holds the SQL
one, which chains every record it appends (:mod:`._chain`). How far the log may be pruned is
:mod:`._retention`'s to say.
"""

from hub.audit._chain import (
    CHAINED_FIELDS,
    GENESIS,
    STORED_COLUMNS,
    ChainBreak,
    ChainVerifier,
    canonical_detail,
    canonical_record,
    link,
    record_hash,
    stored_record_hash,
)
from hub.audit._checkpoint import (
    CHECKPOINT_VERSION,
    PRUNE_VERSION,
    Checkpoint,
    CheckpointUnreadable,
    PruneAnchor,
    checkpoint_signing_input,
    prune_signing_input,
)
from hub.audit._disclosure import ABOUT_A_SUBJECT, FOLLOW_UPS, NotificationDisclosure, disclosures
from hub.audit._entry import AuditAction, AuditEntry, access_refused
from hub.audit._macs import RecordMacs
from hub.audit._query import (
    RECORD_FIELDS,
    AuditQuery,
    ListedRecord,
    Position,
    decode_cursor,
    encode_cursor,
)
from hub.audit._retention import ByRule, Period, PruneScan, RecordedBefore, RetentionPolicy
from hub.audit._subjects import SUBJECT_KEY_BYTES, subject_token

__all__ = [
    "ABOUT_A_SUBJECT",
    "CHAINED_FIELDS",
    "CHECKPOINT_VERSION",
    "FOLLOW_UPS",
    "GENESIS",
    "PRUNE_VERSION",
    "RECORD_FIELDS",
    "STORED_COLUMNS",
    "SUBJECT_KEY_BYTES",
    "AuditAction",
    "AuditEntry",
    "AuditQuery",
    "ByRule",
    "ChainBreak",
    "ChainVerifier",
    "Checkpoint",
    "CheckpointUnreadable",
    "ListedRecord",
    "NotificationDisclosure",
    "Period",
    "Position",
    "PruneAnchor",
    "PruneScan",
    "RecordMacs",
    "RecordedBefore",
    "RetentionPolicy",
    "access_refused",
    "canonical_detail",
    "canonical_record",
    "checkpoint_signing_input",
    "decode_cursor",
    "disclosures",
    "encode_cursor",
    "link",
    "prune_signing_input",
    "record_hash",
    "stored_record_hash",
    "subject_token",
]
