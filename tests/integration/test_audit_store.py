"""Contract tests of the SQL audit log, run against SQLite and the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hub import StoreUnavailable
from hub.audit import AuditAction, AuditEntry
from hub.stores import SqlAuditLog

T0 = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)


@pytest.fixture
async def audit_log(fresh_database_url: str) -> AsyncIterator[SqlAuditLog]:
    """A freshly migrated audit log on each real database."""
    url = fresh_database_url
    log = SqlAuditLog.from_url(url)
    await log.migrate()
    try:
        yield log
    finally:
        await log.close()


async def test_migrating_twice_is_harmless(audit_log: SqlAuditLog) -> None:
    """Running the migrations again on an up-to-date database changes nothing."""
    await audit_log.record(AuditEntry(AuditAction.NOTIFICATION_ACCEPTED, T0, notification_id="a"))
    await audit_log.migrate()
    assert [e.notification_id for e in await audit_log.entries()] == ["a"]


async def test_entries_round_trip_in_order_with_aware_times(audit_log: SqlAuditLog) -> None:
    """Entries come back in write order, every field intact and times timezone-aware."""
    written = [
        AuditEntry(
            AuditAction.NOTIFICATION_SHARED,
            T0 + timedelta(seconds=n),
            correlation_id="c-1",
            notification_id="n-1",
            notification_type="uk.sehub.missing_episode.started.v1",
            actor="northumberland-childrens",
            recipient=f"agency-{n}",
            rule_id="rule-x",
            protocol_version="2026.11.0+abc",
            detail={"withheld": ["data.person.nhs_number"], "n": n},
        )
        for n in range(3)
    ]
    await audit_log.record(*written)
    read = await audit_log.entries(notification_id="n-1")
    assert read == written
    assert all(entry.recorded_at.tzinfo is not None for entry in read)


async def test_filters_by_action(audit_log: SqlAuditLog) -> None:
    """Filtering by action returns only that action's entries."""
    await audit_log.record(
        AuditEntry(AuditAction.NOTIFICATION_ACCEPTED, T0, notification_id="a"),
        AuditEntry(AuditAction.SHARING_REFUSED, T0, notification_id="a", detail={"reason": "r"}),
    )
    refused = await audit_log.entries(action=AuditAction.SHARING_REFUSED)
    assert [e.action for e in refused] == [AuditAction.SHARING_REFUSED]


async def test_ping_answers_on_a_live_database(audit_log: SqlAuditLog) -> None:
    """Readiness succeeds against the live database."""
    await audit_log.ping()


async def test_unreachable_database_maps_to_store_unavailable() -> None:
    """A database that cannot be reached surfaces as StoreUnavailable, not a driver error."""
    log = SqlAuditLog.from_url("postgresql+asyncpg://hub:hub@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(StoreUnavailable):
            await log.ping()
    finally:
        await log.close()


async def test_entries_come_in_the_order_they_happened(audit_log: SqlAuditLog) -> None:
    """A record written later about an earlier moment is listed in the order of the moments."""
    await audit_log.record(AuditEntry(AuditAction.NOTIFICATION_SHARED, T0 + timedelta(1)))
    await audit_log.record(AuditEntry(AuditAction.NOTIFICATION_ACCEPTED, T0))

    assert [e.action for e in await audit_log.entries()] == [
        AuditAction.NOTIFICATION_ACCEPTED,
        AuditAction.NOTIFICATION_SHARED,
    ]
    assert (await audit_log.verify()).broken is None
