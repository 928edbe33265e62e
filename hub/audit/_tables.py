"""SQLAlchemy table for the audit log. The schema is owned by the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table

__all__ = ["audit_records", "metadata"]

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
    Column("notification_type", String(128), nullable=True),
    Column("actor", String(64), nullable=True),
    Column("recipient", String(64), nullable=True),
    Column("rule_id", String(64), nullable=True),
    Column("protocol_version", String(128), nullable=True),
    Column("detail", JSON, nullable=False),
)
