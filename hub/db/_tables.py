"""Every table the hub keeps, in one metadata. The schema itself is owned by the migrations.

Only pseudonyms, ids, LA codes, hashes and sealed envelopes are stored: no identifier, name or
date of birth of a person, and nothing a notification said in plain text.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)

__all__ = [
    "acknowledgements",
    "audit_checkpoints",
    "audit_prunes",
    "audit_records",
    "audit_subjects",
    "intake_outbox",
    "metadata",
    "outbox",
    "processed_notifications",
    "replay_outbox",
    "request_nonces",
    "subject_episodes",
    "subject_keys",
    "subject_placements",
    "subject_risk_told",
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
    # The writer's MAC over record_hash (hub.audit._macs); none on records from before 0013.
    Column("mac_kid", String(64), nullable=True),
    Column("mac", String(64), nullable=True),
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
    Column("placing_la", String(9), nullable=False),
    Column("host_la", String(9), nullable=True),  # null: a confidential placement
    Column("started_at", DateTime(timezone=True), nullable=False),
    Index("ix_subject_placements_episode_key", "episode_key"),
)

# One missing episode, as reported by each source, under the hub's one reference for it.
subject_episodes = Table(
    "subject_episodes",
    metadata,
    Column("subject_key", String(64), primary_key=True),
    Column("source_key", String(64), primary_key=True),
    Column("reference", String(64), nullable=False),
    Column("started_on", Date(), nullable=False),
    Column("ended_on", Date(), nullable=True),
    Column("publishers", Text(), nullable=True),  # the agency ids that reported it, comma-joined
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_subject_episodes_reference", "reference"),
)

# The risk level each recipient of a withdrawing rule was last told about a subject.
subject_risk_told = Table(
    "subject_risk_told",
    metadata,
    Column("subject_key", String(64), primary_key=True),
    Column("recipient", String(64), primary_key=True),
    Column("rule_id", String(64), nullable=False),
    Column("level", Integer(), nullable=True),
    Column("on_rmg", Boolean(), nullable=False),
    Column("told_at", DateTime(timezone=True), nullable=False),
)

# Sealed delivery envelopes decided and audited, waiting to be (or already) published. The body
# is ciphertext only; the recipient is an agency id. A held copy (an escalation step, a statutory
# clock's alert) waits for ``release_at`` and is cancelled by what it waits on (``held_for``: the
# delivery an acknowledgement stops, or the clock a later notification stops).
outbox = Table(
    "outbox",
    metadata,
    Column("event_key", String(64), primary_key=True),
    Column("recipient", String(64), primary_key=True),
    Column("delivery_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False, server_default="notification"),
    Column("body", LargeBinary, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("release_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("held_for", String(64), nullable=True),
    Column("acknowledge_by", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Index("ux_outbox_delivery_id", "delivery_id", unique=True),
    Index("ix_outbox_recipient_created_at", "recipient", "created_at"),
    Index("ix_outbox_held_for", "held_for"),
)

# What the relays look for every second: unsent, not cancelled, by when it falls due.
Index(
    "ix_outbox_due",
    func.coalesce(outbox.c.release_at, outbox.c.created_at),
    postgresql_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
    sqlite_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
)

# Each accepted notification, sealed to the hub, committed with its ``notification.accepted``
# record before the 202 (hub.intake); the relay publishes it to ingress if the first publish
# did not. ``content_sha256`` tells a retried post from a changed one.
intake_outbox = Table(
    "intake_outbox",
    metadata,
    Column("event_key", String(64), primary_key=True),
    Column("content_sha256", String(64), nullable=False),
    Column("publisher", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Index(
        "ix_intake_outbox_unpublished",
        "accepted_at",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

# Business acknowledgements: a named user or system at the receiving agency said it received,
# actioned or declined a delivery. One row per (delivery, action); the agency is the recipient.
acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("delivery_id", String(32), primary_key=True),
    Column("action", String(16), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("by", String(64), nullable=False),
    Column("note_ref", String(64), nullable=True),
    Column("channel", String(8), nullable=False),
    Column("acknowledged_at", DateTime(timezone=True), nullable=False),
)

# The nonce of each signed request an agency made, while a replay of it could still be in its
# window: the primary key is what refuses the second use, whichever API process sees it.
request_nonces = Table(
    "request_nonces",
    metadata,
    Column("agency", String(64), primary_key=True),
    Column("nonce", String(128), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_request_nonces_expires_at", "expires_at"),
)

# Each copy an agency asked for again (hub.replay), committed with the ``delivery.replayed``
# record before the answer; the router's replay relay publishes it to the agency's queue. One
# row per copy per request, keyed by its own id: a copy asked for twice is sent twice. The body
# is the very sealed envelope first published; once sent, the row keeps only ids and times.
replay_outbox = Table(
    "replay_outbox",
    metadata,
    Column("replay_id", String(32), primary_key=True),
    Column("recipient", String(64), nullable=False),
    Column("delivery_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Index(
        "ix_replay_outbox_unsent",
        "requested_at",
        postgresql_where=text("sent_at IS NULL"),
        sqlite_where=text("sent_at IS NULL"),
    ),
)

# Which ordering component each subject pseudonym belongs to (hub.routing: the resolver). Two
# pseudonyms named by one notification share a component; a notification that names pseudonyms
# of two components merges them into the smaller id. The component picks the ingress shard.
subject_links = Table(
    "subject_links",
    metadata,
    Column("subject_key", String(64), primary_key=True),
    Column("component", String(64), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Index("ix_subject_links_component", "component"),
)

# A marker the resolver sent down one ingress shard before a merge moved a component off it:
# the shard's router sets ``passed_at`` once every message before the marker is routed.
routing_barriers = Table(
    "routing_barriers",
    metadata,
    Column("barrier_id", String(32), primary_key=True),
    Column("shard", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("passed_at", DateTime(timezone=True), nullable=True),
)
