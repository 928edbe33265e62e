"""Tables for routing state and de-duplication (in the audit store's database and metadata).

Only pseudonyms, LA codes and sealed envelopes are stored: no identifier, name or date of birth.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, String, Table

from hub.audit._tables import metadata

__all__ = ["outbox", "processed_notifications", "subject_placements"]

processed_notifications = Table(
    "processed_notifications",
    metadata,
    Column("event_key", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

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
