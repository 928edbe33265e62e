"""Records the writer vouches for: a well-hashed record appended straight into the database.

Anyone who may INSERT into ``audit_records`` can compute the next hash and append a record that
the chain accepts. Without the writer's MAC key they cannot make its MAC: ``hub audit verify``
(holding the key) names the record, and no checkpoint ever signs it.
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
from sqlalchemy import insert, text

from hub import AuditLogTampered
from hub.audit import AuditAction, AuditEntry, link
from hub.checkpoints import Checkpointer, sign_head, verify_log
from hub.crypto import AuditMacKeys, KeyMaterial
from hub.db import audit_records, create_engine_for
from hub.stores import SqlAuditLog, audit_rows
from tests.fakes import FixedClock, audit_mac_keys, provisioned_keys
from tests.integration.conftest import REPO, dialect_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RECORDS = 5


@dataclass
class Vouched:
    url: str
    audit: SqlAuditLog
    keys: KeyMaterial
    keys_dir: Path
    macs: AuditMacKeys

    async def append_directly(self, *, mac: tuple[str, str] | None = None) -> int:
        """Append a well-hashed record after the head, as anyone who may INSERT can; its seq."""
        head = await self.audit.head()
        assert head is not None
        entry = AuditEntry(AuditAction.NOTIFICATION_SHARED, T0 + timedelta(hours=1),
                           notification_id="forged", recipient="northumbria-police")  # fmt: skip
        row = link(audit_rows([entry]), head_seq=head[0], head_hash=head[1])[0]
        row["mac_kid"], row["mac"] = mac if mac is not None else (None, None)
        engine = create_engine_for(self.url)
        try:
            async with engine.begin() as connection:
                await connection.execute(insert(audit_records), [row])
        finally:
            await engine.dispose()
        return int(row["seq"])

    async def as_owner(self, statement: str) -> None:
        """Run SQL with the append-only triggers off, as the tables' owner can."""
        if dialect_of(self.url) == "postgresql":
            off, on = (
                ["ALTER TABLE audit_records DISABLE TRIGGER USER"],
                ["ALTER TABLE audit_records ENABLE TRIGGER USER"],
            )
        else:
            off, on = ["DROP TRIGGER audit_records_no_update"], []
        engine = create_engine_for(self.url)
        try:
            async with engine.begin() as connection:
                for one in (*off, statement, *on):
                    await connection.execute(text(one))
        finally:
            await engine.dispose()


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        AuditAction.NOTIFICATION_ACCEPTED, T0 + timedelta(seconds=n), notification_id=f"n-{n}"
    )


@pytest.fixture
async def vouched(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Vouched]:
    """A log of a few records written by the hub's writer, with its MAC keys, on each database."""
    keys_dir = tmp_path / "keys"
    keys = provisioned_keys(keys_dir, ())
    macs = audit_mac_keys(keys_dir)
    audit = SqlAuditLog.from_url(fresh_database_url, macs=macs)
    await audit.migrate()
    for n in range(RECORDS):
        await audit.record(_entry(n))
    try:
        yield Vouched(fresh_database_url, audit, keys, keys_dir, macs)
    finally:
        await audit.close()


def _verify_cli(vouched: Vouched, *, with_macs: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATABASE_URL": vouched.url, "HUB_KEYS_DIR": str(vouched.keys_dir)}
    if not with_macs:
        env["HUB_AUDIT_MAC_KEY_PATH"] = str(vouched.keys_dir / "auditor-has-none.json")
    return subprocess.run(  # our own module, fixed arguments
        [sys.executable, "-m", "hub", "audit", "verify"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_an_untampered_log_passes_with_its_macs_checked(vouched: Vouched) -> None:
    """Every record the writer appended carries a MAC that checks: no false alarm."""
    report = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)
    cli = await asyncio.to_thread(_verify_cli, vouched, with_macs=True)

    assert report.intact, report.problem
    assert report.macs_checked
    assert report.checked == RECORDS
    assert cli.returncode == 0, cli.stderr
    assert "writer's MACs checked" in cli.stdout


async def test_a_record_appended_in_the_database_is_named_by_verify(vouched: Vouched) -> None:
    """A well-hashed record without the writer's MAC is the first bad record, by seq and id."""
    seq = await vouched.append_directly()

    report = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)
    cli = await asyncio.to_thread(_verify_cli, vouched, with_macs=True)

    assert report.problem is not None
    assert f"broken at seq {seq} (record id " in report.problem
    assert "carries no MAC" in report.problem
    assert cli.returncode == 1
    assert f"broken at seq {seq}" in cli.stderr


async def test_a_record_with_a_made_up_mac_is_named(vouched: Vouched) -> None:
    """A MAC under the writer's kid, but not made with its key, does not check."""
    seq = await vouched.append_directly(mac=(vouched.macs.kid, "ab" * 32))

    report = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)

    assert report.problem is not None
    assert f"broken at seq {seq}" in report.problem
    assert "MAC does not check" in report.problem


async def test_a_record_appended_in_the_database_is_never_signed(vouched: Vouched) -> None:
    """Neither ``hub audit checkpoint``'s signing nor the running checkpointer signs it."""
    checkpointer = Checkpointer(
        vouched.audit, vouched.keys, FixedClock(T0), vouched.macs, every_records=1
    )
    assert await checkpointer.tick(monotonic=1.0) is not None  # the writer's records: signed
    seq = await vouched.append_directly()

    with pytest.raises(AuditLogTampered, match=f"broken at seq {seq}: it carries no MAC"):
        await checkpointer.tick(monotonic=2.0)
    with pytest.raises(AuditLogTampered, match=f"broken at seq {seq}"):
        await sign_head(vouched.audit, vouched.keys, FixedClock(T0), macs=vouched.macs)

    assert [c.seq for c in await vouched.audit.checkpoints()] == [RECORDS]


async def test_an_owner_who_strips_a_mac_after_the_last_checkpoint_is_caught(
    vouched: Vouched,
) -> None:
    """With the triggers off, the owner removes a record's MAC: it is no longer vouched for."""
    await vouched.as_owner(f"UPDATE audit_records SET mac = NULL WHERE seq = {RECORDS}")  # noqa: S608

    report = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)

    assert report.problem is not None
    assert f"broken at seq {RECORDS}" in report.problem


async def test_records_without_a_mac_are_accepted_behind_a_signed_checkpoint(
    vouched: Vouched,
) -> None:
    """What a signed checkpoint covers needs no MAC (a log from before MACs), what follows does."""
    await sign_head(vouched.audit, vouched.keys, FixedClock(T0), macs=vouched.macs)
    await vouched.as_owner(f"UPDATE audit_records SET mac = NULL WHERE seq <= {RECORDS}")  # noqa: S608
    covered = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)
    seq = await vouched.append_directly()

    after = await verify_log(vouched.audit, vouched.keys, macs=vouched.macs)

    assert covered.intact, covered.problem
    assert after.problem is not None
    assert f"broken at seq {seq}" in after.problem


async def test_without_the_key_verify_says_it_checked_chain_and_checkpoints_only(
    vouched: Vouched,
) -> None:
    """An auditor without the MAC key is told plainly that MACs were not checked."""
    await vouched.append_directly()

    report = await verify_log(vouched.audit, vouched.keys)
    cli = await asyncio.to_thread(_verify_cli, vouched, with_macs=False)

    assert report.intact  # the chain alone cannot tell: the record is well-hashed
    assert not report.macs_checked
    assert cli.returncode == 0, cli.stderr
    assert "MACs are not checked, only the chain and the checkpoints" in cli.stderr
    assert "MACs not checked" in cli.stdout
