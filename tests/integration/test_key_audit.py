"""``hub keys generate|rotate|retire`` and ``hub demo init`` record each key change in the audit
log of the real database (SQLite and PostgreSQL), with public metadata only."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.audit import AuditAction, AuditEntry
from hub.cli import main
from hub.crypto import KeyStore
from hub.db import audit_records, create_engine_for
from hub.stores import SqlAuditLog

POLICE = "northumbria-police"


@pytest.fixture
def audited(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hub's database for the commands: the fresh (not yet migrated) one."""
    monkeypatch.setenv("HUB_DATABASE_URL", fresh_database_url)
    return fresh_database_url


async def _hub(*argv: str) -> int:
    # main() runs its own event loop, so it runs in a thread of its own here.
    return await asyncio.to_thread(main, list(argv))


async def _entries(database_url: str) -> list[AuditEntry]:
    audit = SqlAuditLog.from_url(database_url)
    try:
        assert (await audit.verify()).broken is None
        return await audit.entries()
    finally:
        await audit.close()


async def test_generate_rotate_and_retire_are_each_recorded(audited: str, tmp_path: Path) -> None:
    """Each command appends its record, naming the agency, kids, uses, algorithms and times."""
    keys = str(tmp_path / "keys")
    assert await _hub("keys", "generate", "--agency", POLICE, "--dir", keys) == 0
    first = KeyStore(tmp_path / "keys").read_private(POLICE).keys
    assert await _hub("keys", "rotate", "--agency", POLICE, "--use", "enc", "--overlap", "2d",
                      "--dir", keys) == 0  # fmt: skip
    document = KeyStore(tmp_path / "keys").read_private(POLICE)
    assert await _hub("keys", "retire", "--agency", POLICE, "--kid", first[0].kid,
                      "--dir", keys) == 0  # fmt: skip

    generated, rotated, retired = await _entries(audited)

    assert generated.action is AuditAction.KEYS_GENERATED
    assert generated.actor == POLICE
    assert [(k["kid"], k["use"], k["alg"]) for k in generated.detail["keys"]] == [
        (key.kid, key.use, key.alg) for key in first
    ]
    new = document.keys[-1]
    assert rotated.action is AuditAction.KEYS_ROTATED
    assert (rotated.detail["kid"], rotated.detail["use"], rotated.detail["alg"]) == (
        new.kid,
        "enc",
        new.alg,
    )
    assert rotated.detail["overlap_seconds"] == 2 * 86400
    assert [old["kid"] for old in rotated.detail["shortened"]] == [first[1].kid]
    assert retired.action is AuditAction.KEYS_RETIRED
    assert (retired.detail["kid"], retired.detail["use"]) == (first[0].kid, "sig")
    assert retired.detail["retired_at"] is not None


async def test_no_private_key_material_reaches_the_audit_rows(audited: str, tmp_path: Path) -> None:
    """Neither ``priv`` nor the private bytes, in any common encoding, appear in any row."""
    keys = str(tmp_path / "keys")
    assert await _hub("keys", "generate", "--agency", POLICE, "--pq", "--dir", keys) == 0
    assert await _hub("keys", "rotate", "--agency", POLICE, "--dir", keys) == 0
    private = KeyStore(tmp_path / "keys").read_private(POLICE)
    assert await _hub("keys", "retire", "--agency", POLICE, "--kid", private.keys[1].kid,
                      "--dir", keys) == 0  # fmt: skip

    engine = create_engine_for(audited)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(audit_records))).mappings().all()
    finally:
        await engine.dispose()
    dumped = json.dumps([dict(row) for row in rows], default=str)

    assert len(rows) == 4  # generated, rotated (sig, enc), retired
    assert '"priv"' not in dumped
    assert '"d"' not in dumped
    for key in private.keys:
        raw = key.private_bytes
        for encoded in (key.priv, raw.hex(), base64.b64encode(raw).decode()):
            assert encoded not in dumped
        assert key.kid in dumped


async def test_an_unreachable_database_leaves_the_change_made_but_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no database, the keys are saved, the command exits 1 and says the record is missing."""
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+asyncpg://hub:secret-pw@127.0.0.1:9/nowhere")
    keys = str(tmp_path / "keys")

    assert await _hub("keys", "generate", "--agency", POLICE, "--dir", keys) == 1
    err = capsys.readouterr().err
    assert KeyStore(tmp_path / "keys").has_private(POLICE)
    assert "MISSING" in err
    assert "keys.generated" in err
    assert "secret-pw" not in err

    assert await _hub("keys", "rotate", "--agency", POLICE, "--no-audit", "--dir", keys) == 0
    assert "--no-audit" in capsys.readouterr().err


async def test_demo_init_records_the_keys_it_generates_once(
    audited: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hub demo init`` records keys.generated per agency it made keys for; a rerun adds none."""
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(tmp_path / "demo" / "agencies.yaml"))
    monkeypatch.setenv("HUB_KEYS_DIR", str(tmp_path / "keys"))
    assert await _hub("demo", "init") == 0
    assert await _hub("demo", "init") == 0

    entries = await _entries(audited)
    agencies = sorted(
        document.agency for document in KeyStore(tmp_path / "keys").public_documents()
    )
    assert {entry.action for entry in entries} == {AuditAction.KEYS_GENERATED}
    assert sorted(entry.detail["agency"] for entry in entries) == agencies
    assert "hub" in agencies
