"""The audit chain on the real databases: appended by the stores, tampered with directly in SQL.

Each tamper (edit, delete, insert, reorder) is done as an operator with full rights would: the
append-only triggers are dropped or disabled first. ``hub audit verify`` must name the record.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, text
from sqlalchemy.exc import SQLAlchemyError

from hub.audit import AuditAction, AuditEntry, link
from hub.db import alembic_config, audit_records, create_engine_for
from hub.messages import OutboxCopy, OutgoingMessage, delivery_id
from hub.sharing import ActivePlacement, PlacementChange
from hub.stores import SqlAuditLog, SqlRoutingStore
from tests.integration.conftest import POSTGRES_URL, REPO, dialect_of, drop_all_tables

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RECORDS = 8
OLD_RECORDS = 2005  # more than two of the migration's batches of 1,000


@dataclass
class Store:
    url: str
    log: SqlAuditLog
    dialect: str

    async def sql(self, *statements: str) -> None:
        engine = create_engine_for(self.url)
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()

    async def without_triggers(self, *statements: str) -> None:
        """Run ``statements`` as a database owner who first switches the protection off."""
        if self.dialect == "postgresql":
            off = ["ALTER TABLE audit_records DISABLE TRIGGER USER"]
            on = ["ALTER TABLE audit_records ENABLE TRIGGER USER"]
        else:
            off = ["DROP TRIGGER audit_records_no_update", "DROP TRIGGER audit_records_no_delete"]
            on = []
        await self.sql(*off, *statements, *on)


@pytest.fixture
async def store(fresh_database_url: str) -> AsyncIterator[Store]:
    """A migrated database on each real store, holding a short chain written by both stores."""
    url = fresh_database_url
    log = SqlAuditLog.from_url(url)
    await log.migrate()
    for n in range(RECORDS - 2):
        await log.record(_entry(n))
    routing_engine = create_engine_for(url)
    routing = SqlRoutingStore(routing_engine)
    placement = ActivePlacement("ep-key", "929", "391")
    await routing.commit(
        "event-key-1",
        subjects=["subject-key"],
        change=PlacementChange(episode="ep-key", started=placement),
        entries=[_entry(RECORDS - 2), _entry(RECORDS - 1)],
        copies=[_copy("event-key-1", "n-x")],
        now=T0,
    )
    await routing_engine.dispose()
    try:
        yield Store(url, log, dialect_of(url))
    finally:
        await log.close()


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        action=AuditAction.NOTIFICATION_SHARED,
        recorded_at=T0 + timedelta(seconds=n),
        notification_id=f"n-{n}",
        recipient="northumbria-police",
        rule_id="missing-child-to-police",
        detail={"withheld": ["data.person.nhs_number"], "n": n},
    )


async def _broken_at(store: Store) -> int | None:
    verifier = await store.log.verify(batch=3)  # several batches, so paging is exercised
    return None if verifier.broken is None else verifier.broken.seq


async def test_both_stores_append_to_one_chain_that_verifies(store: Store) -> None:
    """Records from the audit log and from a routing commit form one intact chain."""
    verifier = await store.log.verify(batch=3)

    assert verifier.broken is None
    assert verifier.checked == RECORDS == await store.log.count()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_records SET rule_id = 'forged' WHERE seq = 2", "DELETE FROM audit_records"],
)
async def test_records_cannot_be_updated_or_deleted(store: Store, statement: str) -> None:
    """The append-only triggers refuse UPDATE and DELETE, and nothing changes."""
    with pytest.raises(SQLAlchemyError, match="append-only"):
        await store.sql(statement)

    assert await _broken_at(store) is None
    assert await store.log.count() == RECORDS


async def test_an_edited_record_is_named(store: Store) -> None:
    """A record edited in place is the first bad record."""
    await store.without_triggers(
        "UPDATE audit_records SET recipient = 'durham-childrens' WHERE seq = 4"
    )

    assert await _broken_at(store) == 4


async def test_a_deleted_record_is_named_by_its_successor(store: Store) -> None:
    """A deleted record leaves a gap, reported at the record after it."""
    await store.without_triggers("DELETE FROM audit_records WHERE seq = 3")

    assert await _broken_at(store) == 4


async def test_an_inserted_record_is_caught_after_it(store: Store) -> None:
    """A record slipped into the middle, hashed correctly, does not link to the next one."""
    forged = link(
        [
            {
                "recorded_at": T0,
                "action": "notification.shared",
                "correlation_id": None,
                "notification_id": "forged",
                "notification_type": None,
                "actor": None,
                "recipient": "durham-childrens",
                "rule_id": "forged",
                "protocol_version": None,
                "detail": {},
            }
        ],
        head_seq=2,
        head_hash=await _hash_of(store, 2),
    )
    await store.without_triggers(
        "UPDATE audit_records SET seq = -seq WHERE seq > 2",
        "UPDATE audit_records SET seq = 1 - seq WHERE seq < 0",
    )
    engine = create_engine_for(store.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(audit_records), forged)
    finally:
        await engine.dispose()

    assert await _broken_at(store) == 4


async def test_reordered_records_are_named(store: Store) -> None:
    """Two records that swap places break the chain where the first of them now stands."""
    await store.without_triggers(
        "UPDATE audit_records SET seq = -1 WHERE seq = 5",
        "UPDATE audit_records SET seq = 5 WHERE seq = 6",
        "UPDATE audit_records SET seq = 6 WHERE seq = -1",
    )

    assert await _broken_at(store) == 5


def _forged_row(seq: int) -> dict[str, object]:
    return {
        "recorded_at": T0,
        "action": "notification.shared",
        "notification_id": "forged",
        "recipient": "evil-agency",
        "detail": {},
        "seq": seq,
        "prev_hash": "0" * 64,
        "record_hash": "0" * 64,
    }


async def _insert(store: Store, *rows: dict[str, object]) -> None:
    engine = create_engine_for(store.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(audit_records), list(rows))
    finally:
        await engine.dispose()


async def _outside(store: Store) -> str | None:
    broken = (await store.log.verify(batch=3)).broken
    return None if broken is None else broken.reason


@pytest.mark.parametrize("seq", [0, -1])
async def test_a_record_below_the_chain_is_not_overlooked(store: Store, seq: int) -> None:
    """A row slipped in with a sequence number of zero or below (no trigger needed) is caught."""
    await _insert(store, _forged_row(seq))

    reason = await _outside(store)

    assert reason is not None
    assert "1 record(s) outside the chain" in reason


async def test_a_repeated_sequence_number_is_not_overlooked(store: Store) -> None:
    """With the unique index dropped, a second record at a batch boundary's seq is caught."""
    await store.sql("DROP INDEX ux_audit_records_seq")
    await _insert(store, _forged_row(3))  # the last seq of verify's first batch of 3

    reason = await _outside(store)

    assert reason is not None
    assert "outside the chain" in reason


@pytest.mark.postgres
async def test_a_record_without_a_sequence_number_is_not_overlooked(tmp_path: Path) -> None:
    """With NOT NULL dropped, a record with no seq (which sorts last) is caught."""
    await drop_all_tables(POSTGRES_URL)
    log = SqlAuditLog.from_url(POSTGRES_URL)
    await log.migrate()
    await log.record(_entry(0), _entry(1))
    store = Store(POSTGRES_URL, log, "postgresql")
    await store.sql("ALTER TABLE audit_records ALTER COLUMN seq DROP NOT NULL")
    await _insert(store, {**_forged_row(0), "seq": None})
    try:
        reason = await _outside(store)
    finally:
        await log.close()

    assert reason is not None
    assert "outside the chain" in reason


async def _hash_of(store: Store, seq: int) -> str:
    engine = create_engine_for(store.url)
    try:
        async with engine.connect() as connection:
            value = await connection.scalar(
                text("SELECT record_hash FROM audit_records WHERE seq = :seq"), {"seq": seq}
            )
    finally:
        await engine.dispose()
    return str(value)


@pytest.mark.postgres
async def test_parallel_writers_on_postgresql_never_fork_the_chain() -> None:
    """Five processes' worth of writers appending at once leave one chain that verifies."""
    await drop_all_tables(POSTGRES_URL)
    logs = [SqlAuditLog.from_url(POSTGRES_URL) for _ in range(5)]
    await logs[0].migrate()
    try:
        await asyncio.gather(*(log.record(_entry(n), _entry(n)) for log in logs for n in range(20)))
        verifier = await logs[0].verify()
    finally:
        for log in logs:
            await log.close()

    assert verifier.broken is None
    assert verifier.checked == 5 * 20 * 2


async def test_parallel_writers_on_sqlite_never_fork_the_chain(tmp_path: Path) -> None:
    """Several engines on one SQLite file (as several hub processes) keep one chain."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    logs = [SqlAuditLog.from_url(url) for _ in range(3)]
    await logs[0].migrate()
    try:
        await asyncio.gather(*(log.record(_entry(n)) for log in logs for n in range(15)))
        verifier = await logs[0].verify()
    finally:
        for log in logs:
            await log.close()

    assert verifier.broken is None
    assert verifier.checked == 45


async def test_an_existing_log_is_chained_when_upgraded(tmp_path: Path) -> None:
    """A log written before the chain existed is chained by the migration, in writing order."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine_for(url)
    old_rows = [
        {"recorded_at": T0 + timedelta(minutes=n), "action": "notification.accepted",
         "notification_id": f"old-{n}", "detail": {}}
        for n in range(OLD_RECORDS)
    ]  # fmt: skip
    before = sa.table(
        "audit_records",
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("action"),
        sa.column("notification_id"),
        sa.column("detail", sa.JSON()),
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0003"))
            await connection.execute(sa.insert(before), old_rows)
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
    finally:
        await engine.dispose()

    completed = await asyncio.to_thread(_verify_cli, url)
    assert completed.returncode == 0, completed.stderr
    assert f"intact: {OLD_RECORDS} records" in completed.stdout


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own module, fixed arguments
        [sys.executable, "-m", "hub", "audit", "verify"],
        cwd=REPO,
        # The chain alone, as an auditor without the writer's MAC key checks it.
        env={
            **os.environ,
            "HUB_DATABASE_URL": url,
            "HUB_AUDIT_MAC_KEY_PATH": "/nonexistent/no-mac-key.json",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_verify_command_names_the_first_bad_record(store: Store) -> None:
    """``hub audit verify`` exits 0 on the intact log, then 1 naming the record edited."""
    intact = await asyncio.to_thread(_verify_cli, store.url)
    await store.without_triggers("UPDATE audit_records SET rule_id = 'forged' WHERE seq = 6")
    broken = await asyncio.to_thread(_verify_cli, store.url)

    assert intact.returncode == 0, intact.stderr
    assert f"intact: {RECORDS} records" in intact.stdout
    assert broken.returncode == 1
    assert "broken at seq 6 (record id" in broken.stderr


def _copy(event_key: str, message_id: str) -> OutboxCopy:
    """A copy for the police whose body stands in for a sealed envelope."""
    return OutboxCopy(
        event_key=event_key,
        recipient="northumbria-police",
        delivery_id=delivery_id(event_key, "northumbria-police"),
        message=OutgoingMessage(b"sealed", message_id, "t", None),
        publisher="northumberland-childrens",
    )
