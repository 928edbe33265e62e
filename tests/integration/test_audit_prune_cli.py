"""``hub audit prune`` as an operator runs it: the real command, the real protocol and clock."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.audit import Checkpoint
from hub.ports import utc_now
from tests.integration.conftest import REPO
from tests.integration.prune_support import Log, entry, open_log

OLD = datetime(2019, 6, 1, 9, 0, tzinfo=UTC)  # more than the protocol's six years ago
OLD_RECORDS = 4
RULE = "missing-child-from-council-to-police"  # retention P6Y in protocols/northumberland.yaml


@pytest.fixture
async def log(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Log]:
    """Old records under a six-year rule, then recent ones, on each real database."""
    old = [entry(n, RULE, at=OLD + timedelta(minutes=n)) for n in range(OLD_RECORDS)]
    recent = utc_now() - timedelta(days=1)
    entries = [*old, entry(9, RULE, at=recent), entry(10, None, at=recent)]
    async with open_log(fresh_database_url, tmp_path, entries) as opened:
        yield opened


def _cli(log: Log, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url or log.url,
        "HUB_KEYS_DIR": str(log.keys_dir),
        "HUB_PROTOCOL_PATH": str(REPO / "protocols" / "northumberland.yaml"),
    }
    return subprocess.run(  # noqa: S603  # our own module, fixed arguments
        [sys.executable, "-m", "hub", "audit", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _run(log: Log, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(_cli, log, *args, url=url)


async def test_pruning_by_protocol_exports_an_anchor_that_verifies(
    log: Log, tmp_path: Path
) -> None:
    """The old records go, the summary is one line, and the exported anchor verifies."""
    path = tmp_path / "anchor.checkpoint.json"

    pruned = await _run(log, "prune", "--by-protocol", "--export", str(path))
    verified = await _run(log, "verify", "--checkpoint", str(path))

    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.count("\n") == 1
    assert f"pruned {OLD_RECORDS} records, through seq {OLD_RECORDS}" in pruned.stdout
    assert Checkpoint.from_json(path.read_text(encoding="utf-8")).seq == OLD_RECORDS
    assert await log.seqs() == [OLD_RECORDS + 1, OLD_RECORDS + 2, OLD_RECORDS + 3]
    assert verified.returncode == 0, verified.stderr
    assert "intact: 3 records, 2 checkpoints" in verified.stdout  # kept, and the file
    assert f"pruned through seq {OLD_RECORDS}" in verified.stdout


async def test_a_dry_run_changes_nothing(log: Log) -> None:
    """``--dry-run`` says what would go and leaves records, anchors and checkpoints alone."""
    before = await log.seqs()

    dry = await _run(log, "prune", "--by-protocol", "--dry-run")

    assert dry.returncode == 0, dry.stderr
    assert f"would prune {OLD_RECORDS} records, through seq {OLD_RECORDS}" in dry.stdout
    assert await log.seqs() == before
    assert await log.audit.prune_anchors() == []
    assert await log.audit.checkpoints() == []


async def test_pruning_before_a_date_and_then_nothing_more(log: Log) -> None:
    """``--before`` cuts the records before the date; run again, it finds nothing to prune."""
    first = await _run(log, "prune", "--before", "2019-06-01T09:02:30")
    again = await _run(log, "prune", "--before", "2019-06-01T09:02:30")

    assert first.returncode == 0, first.stderr
    assert "pruned 3 records, through seq 3" in first.stdout
    assert again.returncode == 0, again.stderr
    assert "nothing to prune" in again.stdout
    assert [a.through_seq for a in await log.audit.prune_anchors()] == [3]


async def test_a_broken_log_is_not_pruned_and_exits_1(log: Log) -> None:
    """An edited record refuses the prune (exit 1, the seq named) and nothing is deleted."""
    await log.as_owner("UPDATE audit_records SET rule_id = 'forged' WHERE seq = 2")

    refused = await _run(log, "prune", "--by-protocol")

    assert refused.returncode == 1
    assert "nothing pruned" in refused.stderr
    assert "broken at seq 2" in refused.stderr
    assert len(await log.seqs()) == OLD_RECORDS + 2


async def test_verify_exits_1_when_the_anchor_is_deleted(log: Log) -> None:
    """After a prune, deleting its anchor makes ``hub audit verify`` name the first record."""
    assert (await _run(log, "prune", "--by-protocol")).returncode == 0
    await log.as_owner("DELETE FROM audit_prunes")

    verified = await _run(log, "verify")

    assert verified.returncode == 1
    assert f"broken at seq {OLD_RECORDS + 1}" in verified.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "one of the arguments --before --by-protocol is required"),
        (("--by-protocol", "--before", "2020-01-01"), "not allowed with"),
        (("--before", "last tuesday"), "ISO 8601 date"),
        (("--before", "2999-01-01"), "in the future"),
        (("--by-protocol", "--dry-run", "--export", "x.json"), "a dry run signs nothing"),
    ],
)
async def test_bad_usage_exits_2_and_changes_nothing(
    log: Log, args: tuple[str, ...], says: str
) -> None:
    """Each misuse is refused with exit 2 and a reason, before anything is touched."""
    refused = await _run(log, "prune", *args)

    assert refused.returncode == 2
    assert says in refused.stderr
    assert len(await log.seqs()) == OLD_RECORDS + 2


async def test_a_database_that_does_not_answer_exits_2(log: Log) -> None:
    """With no database to reach, the command says so and exits 2."""
    unreachable = "postgresql+asyncpg://hub:hub@127.0.0.1:9/nowhere"

    refused = await _run(log, "prune", "--by-protocol", url=unreachable)

    assert refused.returncode == 2
    assert "nothing pruned" in refused.stderr
