"""What the prune tests share: a log on each real database, the hub's keys, and owner's SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, text

from hub.audit import AuditAction, AuditEntry, ByRule, Period
from hub.crypto import AuditMacKeys, KeyMaterial
from hub.db import create_engine_for
from hub.stores import SqlAuditLog
from tests.fakes import audit_mac_keys, provisioned_keys
from tests.integration.conftest import dialect_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SHORT, LONG = "r-short", "r-long"
POLICY = ByRule({SHORT: Period.parse("P1Y"), LONG: Period.parse("P6Y")})
LATER = T0 + timedelta(days=2 * 365)  # records under SHORT are past retention, LONG not
SHORT_RECORDS, LONG_RECORDS = 5, 3
RECORDS = SHORT_RECORDS + LONG_RECORDS
_TABLES = ("audit_records", "audit_subjects", "audit_checkpoints", "audit_prunes")


def entry(n: int, rule_id: str | None = SHORT, at: datetime | None = None) -> AuditEntry:
    """A shared-notification record naming one subject token (so the subject index has rows)."""
    return AuditEntry(
        AuditAction.NOTIFICATION_SHARED,
        T0 + timedelta(seconds=n) if at is None else at,
        notification_id=f"n-{n}",
        rule_id=rule_id,
        detail={"subjects": [f"token-{n}"]},
    )


@dataclass
class Log:
    url: str
    dialect: str
    audit: SqlAuditLog
    keys: KeyMaterial
    keys_dir: Path
    macs: AuditMacKeys

    async def sql(self, *statements: str) -> list[object]:
        """Run SQL as the tables' owner, triggers on; the first column of each result's row."""
        engine = create_engine_for(self.url)
        found: list[object] = []
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    result = await connection.execute(text(statement))
                    if result.returns_rows:
                        found.extend(row[0] for row in result)
        finally:
            await engine.dispose()
        return found

    async def as_owner(self, *statements: str) -> None:
        """Run SQL with every audit table's triggers off, as a database owner can."""
        if self.dialect == "postgresql":
            off = [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in _TABLES]
            on = [statement.replace("DISABLE", "ENABLE") for statement in off]
        else:
            off = [
                f"DROP TRIGGER {table}_no_{event}"
                for table in _TABLES
                for event in ("update", "delete")
            ]
            on = []
        await self.sql(*off, *statements, *on)

    async def insert(self, table: Table, *rows: dict[str, Any]) -> None:
        """Insert rows directly, as anyone who may INSERT can (no trigger stops it)."""
        engine = create_engine_for(self.url)
        try:
            async with engine.begin() as connection:
                await connection.execute(insert(table), list(rows))
        finally:
            await engine.dispose()

    async def seqs(self, table: str = "audit_records") -> list[int]:
        """The seqs the table holds, in order."""
        found = await self.sql(f"SELECT seq FROM {table} ORDER BY seq")  # noqa: S608
        return [int(str(seq)) for seq in found]


@asynccontextmanager
async def open_log(
    database_url: str, tmp_path: Path, entries: Sequence[AuditEntry] | None = None
) -> AsyncIterator[Log]:
    """A log of ``entries`` (by default short-retention records, then long-retention ones),
    and the hub's keys."""
    keys_dir = tmp_path / "keys"
    keys = provisioned_keys(keys_dir, ())
    macs = audit_mac_keys(keys_dir)
    audit = SqlAuditLog.from_url(database_url, macs=macs)
    await audit.migrate()
    if entries is None:
        entries = [entry(n, SHORT if n <= SHORT_RECORDS else LONG) for n in range(1, RECORDS + 1)]
    for one in entries:
        await audit.record(one)
    try:
        yield Log(database_url, dialect_of(database_url), audit, keys, keys_dir, macs)
    finally:
        await audit.close()
