"""Signed checkpoints catch what the chain alone cannot: a cut or rewritten tail.

The owner of the database is assumed able to do anything there, checkpoints in the database
included; only the checkpoint exported to a file, out of their reach, is trusted.
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
from sqlalchemy import text

from hub import AuditLogTampered
from hub.audit import AuditAction, AuditEntry, Checkpoint, CheckpointUnreadable, record_hash
from hub.checkpoints import Checkpointer, sign_head, verify_log
from hub.crypto import AuditMacKeys, KeyMaterial
from hub.db import create_engine_for
from hub.stores import SqlAuditLog
from tests.fakes import FixedClock, audit_mac_keys, provisioned_keys
from tests.integration.conftest import REPO, dialect_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RECORDS = 6


@dataclass
class Logged:
    url: str
    dialect: str
    audit: SqlAuditLog
    keys: KeyMaterial
    keys_dir: Path
    macs: AuditMacKeys

    async def as_owner(self, *statements: str) -> None:
        """Run SQL with the append-only triggers off, as a database owner can."""
        if self.dialect == "postgresql":
            off = [
                "ALTER TABLE audit_records DISABLE TRIGGER USER",
                "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER",
            ]
            on = [s.replace("DISABLE", "ENABLE") for s in off]
        else:
            off = [
                f"DROP TRIGGER {table}_no_{event}"
                for table in ("audit_records", "audit_checkpoints")
                for event in ("update", "delete")
            ]
            on = []
        engine = create_engine_for(self.url)
        try:
            async with engine.begin() as connection:
                for statement in (*off, *statements, *on):
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        AuditAction.NOTIFICATION_ACCEPTED, T0 + timedelta(seconds=n), notification_id=f"n-{n}"
    )


@pytest.fixture
async def logged(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Logged]:
    """A log of a few records on each real database, and the hub's keys."""
    url = fresh_database_url
    keys_dir = tmp_path / "keys"
    keys = provisioned_keys(keys_dir, ())
    macs = audit_mac_keys(keys_dir)
    audit = SqlAuditLog.from_url(url, macs=macs)
    await audit.migrate()
    for n in range(RECORDS):
        await audit.record(_entry(n))
    try:
        yield Logged(url, dialect_of(url), audit, keys, keys_dir, macs)
    finally:
        await audit.close()


async def _exported(logged: Logged) -> Checkpoint:
    checkpoint = await sign_head(
        logged.audit, logged.keys, FixedClock(T0 + timedelta(hours=1)), macs=logged.macs
    )
    assert checkpoint is not None
    return Checkpoint.from_json(checkpoint.to_json())  # as it comes back from its file


async def test_a_signed_head_holds_against_the_untouched_log(logged: Logged) -> None:
    """The exported checkpoint and the one kept in the database both hold; no false alarm."""
    exported = await _exported(logged)

    report = await verify_log(logged.audit, logged.keys, outside=[exported])

    assert report.intact, report.problem
    assert (report.checked, report.checkpoints) == (RECORDS, 2)
    assert exported.seq == RECORDS


async def test_records_cut_from_the_end_are_caught_by_the_exported_checkpoint(
    logged: Logged,
) -> None:
    """An owner who deletes the last records and the kept checkpoints is caught by the file."""
    exported = await _exported(logged)
    await logged.as_owner(
        "DELETE FROM audit_records WHERE seq > 4", "DELETE FROM audit_checkpoints"
    )

    alone = await verify_log(logged.audit, logged.keys)
    held = await verify_log(logged.audit, logged.keys, outside=[exported])

    assert alone.intact  # the chain alone cannot see a clean cut: that is what the file is for
    assert held.problem is not None
    assert "the log ends at seq 4" in held.problem
    assert f"covers seq {RECORDS}" in held.problem


async def test_a_rewritten_tail_is_caught_by_the_exported_checkpoint(logged: Logged) -> None:
    """An owner who edits the last record and recomputes its hash is caught by the file."""
    exported = await _exported(logged)
    last = (await logged.audit.entries())[-1]
    forged = {
        "recorded_at": last.recorded_at,
        "action": last.action.value,
        "correlation_id": None,
        "notification_id": "forged",
        "notification_type": None,
        "actor": None,
        "recipient": None,
        "rule_id": None,
        "protocol_version": None,
        "detail": {},
    }
    verifier = await logged.audit.verify(watch=frozenset({RECORDS - 1}))
    prev = verifier.hashes_at[RECORDS - 1]
    digest = record_hash(forged, seq=RECORDS, prev=prev)
    await logged.as_owner(
        f"UPDATE audit_records SET notification_id = 'forged', record_hash = '{digest}'"  # noqa: S608
        f" WHERE seq = {RECORDS}",
        "DELETE FROM audit_checkpoints",
    )

    alone = await verify_log(logged.audit, logged.keys)
    held = await verify_log(logged.audit, logged.keys, outside=[exported])

    assert alone.intact
    assert held.problem is not None
    assert f"broken at seq {RECORDS}: not the record the exported checkpoint signed" in held.problem


async def test_a_checkpoint_not_signed_by_the_hub_is_refused(logged: Logged) -> None:
    """A checkpoint whose signature does not verify is a problem, not a reassurance."""
    exported = await _exported(logged)
    forged = Checkpoint(exported.seq, exported.record_hash, exported.signed_at, exported.kid,
                        bytes(64))  # fmt: skip

    report = await verify_log(logged.audit, logged.keys, outside=[forged])

    assert report.problem is not None
    assert "not signed by the hub" in report.problem


async def test_the_checkpointer_signs_after_enough_records(logged: Logged) -> None:
    """The head is signed once enough records were added, and not again until more come."""
    checkpointer = Checkpointer(
        logged.audit, logged.keys, FixedClock(T0), logged.macs, every_records=4, every_seconds=3600
    )

    first = await checkpointer.tick(monotonic=10.0)
    again = await checkpointer.tick(monotonic=11.0)
    await logged.audit.record(_entry(100))
    too_few = await checkpointer.tick(monotonic=12.0)
    late = await checkpointer.tick(monotonic=4000.0)

    assert first is not None
    assert first.seq == RECORDS
    assert again is None
    assert too_few is None
    assert late is not None
    assert late.seq == RECORDS + 1
    assert [c.seq for c in await logged.audit.checkpoints()] == [RECORDS, RECORDS + 1]


def test_a_file_that_is_not_a_checkpoint_is_refused_without_echo() -> None:
    """A damaged checkpoint file is named unreadable, and its contents are not repeated."""
    with pytest.raises(CheckpointUnreadable) as refused:
        Checkpoint.from_json('{"v": "sehub-audit-checkpoint-1", "seq": "CANARY-77"}')

    assert "CANARY" not in str(refused.value)


def _cli(logged: Logged, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own module, fixed arguments
        [sys.executable, "-m", "hub", "audit", *args],
        cwd=REPO,
        env={**os.environ, "HUB_DATABASE_URL": logged.url, "HUB_KEYS_DIR": str(logged.keys_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_commands_export_a_checkpoint_and_verify_against_it(
    logged: Logged, tmp_path: Path
) -> None:
    """``hub audit checkpoint --export`` then ``verify --checkpoint`` catches a cut tail."""
    path = tmp_path / "head.checkpoint.json"
    signed = await asyncio.to_thread(_cli, logged, "checkpoint", "--export", str(path))
    await logged.as_owner(
        "DELETE FROM audit_records WHERE seq = 6", "DELETE FROM audit_checkpoints"
    )
    verified = await asyncio.to_thread(_cli, logged, "verify", "--checkpoint", str(path))

    assert signed.returncode == 0, signed.stderr
    assert Checkpoint.from_json(path.read_text(encoding="utf-8")).seq == RECORDS
    assert verified.returncode == 1
    assert "the log ends at seq 5" in verified.stderr


async def test_a_broken_chain_is_never_signed(logged: Logged) -> None:
    """Signing verifies first: an edited log gets no checkpoint to vouch for it."""
    await logged.as_owner("UPDATE audit_records SET notification_id = 'forged' WHERE seq = 3")

    with pytest.raises(AuditLogTampered, match="broken at seq 3"):
        await sign_head(logged.audit, logged.keys, FixedClock(T0), macs=logged.macs)

    assert await logged.audit.checkpoints() == []


async def test_the_checkpointer_refuses_a_cut_or_rewritten_tail(logged: Logged) -> None:
    """After signing, a checkpointer signs only what follows, unchanged, from its last head."""
    checkpointer = Checkpointer(
        logged.audit, logged.keys, FixedClock(T0), logged.macs, every_records=1, every_seconds=3600
    )
    assert await checkpointer.tick(monotonic=1.0) is not None
    await logged.as_owner(f"DELETE FROM audit_records WHERE seq = {RECORDS}")  # noqa: S608
    await logged.audit.record(_entry(200), _entry(201))  # the log grows again past the cut

    with pytest.raises(AuditLogTampered, match=f"seq {RECORDS}, signed before"):
        await checkpointer.tick(monotonic=2.0)

    assert [c.seq for c in await logged.audit.checkpoints()] == [RECORDS]
