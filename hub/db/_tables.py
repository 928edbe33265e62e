"""Every table the hub keeps, in one metadata. The schema itself is owned by the migrations.

Only pseudonyms, ids, LA codes, hashes and sealed envelopes are stored: no identifier, name or
date of birth of a person, and nothing a notification said in plain text.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

__all__ = [
    "audit_checkpoints",
    "audit_prunes",
    "audit_records",
    "audit_subjects",
    "metadata",
    "outbox",
    "processed_notifications",
    "subject_keys",
    "subject_placements",
]

metadata = MetaData()

audit_records = Table(
    "audit_records",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("correlation_id", String(128), nullable=True, index=True),
    Column("notification_id", String(128), nullable=True, index=True),
    Column("notification_type", String(128), nullable=True, index=True),
    Column("actor", String(64), nullable=True, index=True),
    Column("recipient", String(64), nullable=True, index=True),
    Column("rule_id", String(64), nullable=True),
    Column("protocol_version", String(128), nullable=True),
    Column("detail", JSON, nullable=False),
    # The hash chain (hub.audit._chain): each record commits to the one before it.
    Column("seq", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index("ux_audit_records_seq", "seq", unique=True),
    Index("ix_audit_records_recorded_at_seq", "recorded_at", "seq"),
)

# Which records name which subject (the tokens in detail.subjects), so that an auditor's query
# by subject reads an index, not every record. Derived from the records and written with them;
# not chained (the chain covers detail.subjects itself).
audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
)

# One random key per subject pseudonym; a subject's audit token is an HMAC under it. Deleting
# the row (crypto-shredding) leaves the records, and their chain, whole but unlinkable.
subject_keys = Table(
    "subject_keys",
    metadata,
    Column("pseudonym", String(64), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Signed checkpoints of the chain's head (hub.audit._checkpoint); copies belong off the database.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record_hash", String(64), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("kid", String(128), nullable=False),
    Column("signature", LargeBinary, nullable=False),
)

# Where each prune cut the audit log (hub audit prune): the record every deleted one led up to,
# its hash, and the hub's signature over that head (hub.audit._checkpoint, rule 4).
audit_prunes = Table(
    "audit_prunes",
    metadata,
    Column("through_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record_hash", String(64), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("kid", String(128), nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("pruned_at", DateTime(timezone=True), nullable=False),
    Column("records", BigInteger, nullable=False),
)

# De-duplication: one row per (source, id) routed, keyed by its pseudonym.
processed_notifications = Table(
    "processed_notifications",
    metadata,
    Column("event_key", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# Active out-of-area placements, by subject and episode pseudonyms.
subject_placements = Table(
    "subject_placements",
    metadata,
    Column("subject_key", String(64), primary_key=True),
    Column("episode_key", String(64), primary_key=True),
    Column("placing_la", String(3), nullable=False),
    Column("host_la", String(3), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Index("ix_subject_placements_episode_key", "episode_key"),
)

# Sealed delivery envelopes decided and audited, waiting to be (or already) published. The body
# is ciphertext only; the recipient is an agency id.
outbox = Table(
    "outbox",
    metadata,
    Column("event_key", String(64), primary_key=True),
    Column("recipient", String(64), primary_key=True),
    Column("body", LargeBinary, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)
