"""PostgreSQL roles: the hub's role can only append to the audit log, the auditors' only read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import StoreUnavailable
from hub.audit import AuditAction, AuditEntry, RecordedBefore
from hub.checkpoints import prune_log
from hub.db import create_engine_for, grant_roles
from hub.messages import OutboxCopy, OutgoingMessage, delivery_id
from hub.stores import SqlAuditLog, SqlRoutingStore
from tests.fakes import FixedClock, audit_mac_keys, provisioned_keys
from tests.integration.conftest import POSTGRES_URL, drop_all_tables

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Created by scripts/services/postgres.sh for the tests; a deployment names its own.
WRITER_URL = POSTGRES_URL.replace("hub:hub@", "hub_writer:hub_writer@")
AUDITOR_URL = POSTGRES_URL.replace("hub:hub@", "hub_auditor:hub_auditor@")


@pytest.fixture
async def granted(tmp_path: Path) -> None:
    """A freshly migrated database whose owner has granted the two roles their rights."""
    await drop_all_tables(POSTGRES_URL)
    owner = SqlAuditLog.from_url(POSTGRES_URL, macs=audit_mac_keys(tmp_path / "keys"))
    await owner.migrate()
    await owner.record(AuditEntry(AuditAction.NOTIFICATION_ACCEPTED, T0, notification_id="a"))
    await owner.close()
    engine = create_engine_for(POSTGRES_URL)
    try:
        await grant_roles(engine, writer="hub_writer", auditor="hub_auditor")
        await grant_roles(engine, writer="hub_writer", auditor="hub_auditor")  # idempotent
    finally:
        await engine.dispose()


async def _run(url: str, statement: str) -> None:
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def test_the_hubs_role_appends_and_routes(granted: None) -> None:
    """As the writer, the hub starts (migrations at head), audits, routes and marks sent."""
    log = SqlAuditLog.from_url(WRITER_URL)
    store_engine = create_engine_for(WRITER_URL)
    store = SqlRoutingStore(store_engine)
    try:
        await log.migrate()
        await log.record(AuditEntry(AuditAction.NOTIFICATION_ACCEPTED, T0, notification_id="b"))
        await store.commit(
            "event-1",
            subjects=["s"],
            change=None,
            entries=[AuditEntry(AuditAction.NOTIFICATION_SHARED, T0, notification_id="b")],
            copies=[_copy("event-1", "b")],
            now=T0,
        )
        published = AuditEntry(
            AuditAction.DELIVERY_PUBLISHED, T0, notification_id="b", recipient="northumbria-police"
        )
        marked = await store.mark_sent(_copy("event-1", "b"), T0, entries=[published])
        verifier = await log.verify()
    finally:
        await log.close()
        await store_engine.dispose()

    assert marked is True
    assert verifier.broken is None
    assert verifier.checked == 4


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET rule_id = 'forged'",
        "DELETE FROM audit_records",
        "TRUNCATE audit_records",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE audit_records DISABLE TRIGGER USER",
        "DELETE FROM audit_prunes",
        "INSERT INTO audit_prunes (through_seq, record_hash, signed_at, kid, signature,"
        " pruned_at, records) VALUES (1, 'h', now(), 'k', 'x', now(), 1)",
    ],
)
async def test_the_hubs_role_cannot_change_the_audit_log(granted: None, statement: str) -> None:
    """The writer is refused by the database itself, before any trigger runs."""
    with pytest.raises(SQLAlchemyError, match=r"permission denied|must be owner"):
        await _run(WRITER_URL, statement)


async def test_the_auditors_role_reads_the_log_and_nothing_else(granted: None) -> None:
    """The auditor verifies the chain, cannot write it, and cannot see routing state or outbox."""
    log = SqlAuditLog.from_url(AUDITOR_URL)
    try:
        verifier = await log.verify()
    finally:
        await log.close()

    assert verifier.broken is None
    for statement in (
        "INSERT INTO audit_records (recorded_at, action, detail, seq, prev_hash, record_hash)"
        " VALUES (now(), 'x', '{}', 99, 'p', 'h')",
        "SELECT * FROM outbox",
        "SELECT * FROM subject_placements",
    ):
        with pytest.raises(SQLAlchemyError, match="permission denied"):
            await _run(AUDITOR_URL, statement)


async def test_the_hubs_role_cannot_delete_even_records_behind_a_prune_anchor(
    granted: None,
) -> None:
    """Where the triggers would let the owner delete (behind an anchor), the writer still can't."""
    await _run(
        POSTGRES_URL,
        "INSERT INTO audit_prunes (through_seq, record_hash, signed_at, kid, signature,"
        " pruned_at, records) VALUES (1, 'h', now(), 'k', 'x', now(), 1)",
    )
    for statement in (
        "DELETE FROM audit_records WHERE seq <= 1",
        "DELETE FROM audit_subjects WHERE seq <= 1",
    ):
        with pytest.raises(SQLAlchemyError, match="permission denied"):
            await _run(WRITER_URL, statement)

    await _run(POSTGRES_URL, "DELETE FROM audit_records WHERE seq <= 1")  # the owner may


async def test_the_hubs_role_cannot_prune(granted: None, tmp_path: Path) -> None:
    """``prune_log`` as the writer is refused by the database, and nothing is deleted."""
    keys = provisioned_keys(tmp_path / "keys", ())
    macs = audit_mac_keys(tmp_path / "keys")
    log = SqlAuditLog.from_url(WRITER_URL, macs=macs)
    policy = RecordedBefore(T0 + timedelta(hours=1))
    try:
        with pytest.raises(StoreUnavailable, match="owner of the audit tables"):
            await prune_log(log, keys, FixedClock(T0 + timedelta(days=1)), policy, macs=macs)
        count, anchors = await log.count(), await log.prune_anchors()
    finally:
        await log.close()

    assert (count, anchors) == (1, [])


def _copy(event_key: str, message_id: str) -> OutboxCopy:
    """A copy for the police whose body stands in for a sealed envelope."""
    return OutboxCopy(
        event_key=event_key,
        recipient="northumbria-police",
        delivery_id=delivery_id(event_key, "northumbria-police"),
        message=OutgoingMessage(b"sealed", message_id, "t", None),
        publisher="northumberland-childrens",
    )
