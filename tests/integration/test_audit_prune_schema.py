"""Migration 0008 on the real databases: what its triggers let through, and upgrading to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import SQLAlchemyError

from hub.audit import RecordedBefore
from hub.checkpoints import prune_log, sign_head, verify_log
from hub.db import alembic_config, audit_prunes, create_engine_for
from hub.stores import SqlAuditLog
from tests.fakes import FixedClock, audit_mac_keys, provisioned_keys
from tests.integration.conftest import POSTGRES_URL, dialect_of, drop_all_tables
from tests.integration.prune_support import LATER, RECORDS, T0, Log, open_log

ANCHOR = 3  # an anchor row the owner inserts by hand, before deleting behind it
OLD_RECORDS = 1205  # more than one of the migrations' batches of 1,000


@pytest.fixture
async def log(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Log]:
    """The standard prune log on each real database, with an anchor row at seq 3 added."""
    async with open_log(fresh_database_url, tmp_path) as opened:
        await opened.insert(
            audit_prunes,
            {
                "through_seq": ANCHOR,
                "record_hash": "0" * 64,
                "signed_at": T0,
                "kid": "k",
                "signature": b"s",
                "pruned_at": T0,
                "records": ANCHOR,
            },
        )
        yield opened


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_records WHERE seq = 4",  # the first past the anchor at 3
        "DELETE FROM audit_subjects WHERE seq = 4",
        "DELETE FROM audit_records",
        "UPDATE audit_records SET rule_id = 'forged' WHERE seq = 3",
        "UPDATE audit_subjects SET subject = 'forged' WHERE seq = 3",
        "UPDATE audit_prunes SET records = 0",
        "DELETE FROM audit_prunes",
    ],
)
async def test_the_triggers_refuse_all_but_deleting_behind_the_anchor(
    log: Log, statement: str
) -> None:
    """Even the owner, triggers on, may not update anything nor delete past the anchor."""
    with pytest.raises(SQLAlchemyError, match="append-only"):
        await log.sql(statement)

    assert await log.seqs() == list(range(1, RECORDS + 1))
    assert len(await log.audit.prune_anchors()) == 1


async def test_records_behind_the_anchor_may_be_deleted(log: Log) -> None:
    """With the anchor in place, the owner deletes records and index rows up to it."""
    await log.sql(
        f"DELETE FROM audit_subjects WHERE seq <= {ANCHOR}",  # noqa: S608
        f"DELETE FROM audit_records WHERE seq <= {ANCHOR}",  # noqa: S608
    )

    assert await log.seqs() == list(range(ANCHOR + 1, RECORDS + 1))
    assert await log.seqs("audit_subjects") == list(range(ANCHOR + 1, RECORDS + 1))


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_records", "audit_prunes"])
async def test_truncate_is_still_refused_on_postgresql(tmp_path: Path, table: str) -> None:
    """TRUNCATE, which no row trigger sees, is refused for the records and the anchors."""
    await drop_all_tables(POSTGRES_URL)
    async with open_log(POSTGRES_URL, tmp_path) as opened:
        with pytest.raises(SQLAlchemyError, match="append-only"):
            await opened.sql(f"TRUNCATE {table}")
        left = await opened.seqs()

    assert len(left) == RECORDS


def _old_table() -> sa.TableClause:
    return sa.table(
        "audit_records",
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("action"),
        sa.column("notification_id"),
        sa.column("detail", sa.JSON()),
    )


async def test_an_existing_log_upgraded_to_0008_prunes_and_verifies(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """A log written at revision 0003 is chained, indexed, then pruned, and verifies."""
    url = fresh_database_url
    rows = [
        {"recorded_at": T0 + timedelta(minutes=n), "action": "notification.shared",
         "notification_id": f"old-{n}", "detail": {"subjects": [f"token-{n}"]}}
        for n in range(OLD_RECORDS)
    ]  # fmt: skip
    engine = create_engine_for(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0003"))
            await connection.execute(sa.insert(_old_table()), rows)
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
    finally:
        await engine.dispose()
    keys = provisioned_keys(tmp_path / "keys", ())
    macs = audit_mac_keys(tmp_path / "keys")
    audit = SqlAuditLog.from_url(url, macs=macs)
    cutoff = T0 + timedelta(minutes=1000)
    try:
        # The records from before MACs (0013) are adopted once, by the key holder.
        adopted = await sign_head(audit, keys, FixedClock(LATER), macs=macs, adopt_unvouched=True)
        pruned = await prune_log(audit, keys, FixedClock(LATER), RecordedBefore(cutoff), macs=macs)
        report = await verify_log(audit, keys, macs=macs)
    finally:
        await audit.close()

    assert adopted is not None
    assert adopted.seq == OLD_RECORDS
    assert (pruned.through, pruned.records) == (1000, 1000)
    assert report.intact, report.problem
    assert report.checked == OLD_RECORDS - 1000 + 1
    assert report.pruned_through == 1000


async def test_downgrading_to_0007_restores_the_old_triggers(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Back at 0007 the anchors are gone and every DELETE of a record is refused again."""
    async with open_log(fresh_database_url, tmp_path) as opened:
        engine = create_engine_for(fresh_database_url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(
                    lambda sync: command.downgrade(alembic_config(sync), "0007")
                )
        finally:
            await engine.dispose()
        with pytest.raises(SQLAlchemyError, match="append-only"):
            await opened.sql("DELETE FROM audit_records WHERE seq = 1")
        tables = await opened.sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            if dialect_of(fresh_database_url) == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        await opened.audit.migrate()  # and up again
        verifier = await opened.audit.verify()

    assert "audit_prunes" not in tables
    assert verifier.broken is None
    assert verifier.checked == RECORDS
