"""Pruning the audit log behind a signed anchor, on the real databases, and what it still catches.

The owner of the database is assumed able to do anything there with the triggers off; what
they cannot do is sign as the hub, so every deletion not behind a hub-signed anchor shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub import AuditLogTampered
from hub.audit import AuditAction, Checkpoint, RecordedBefore, checkpoint_signing_input
from hub.checkpoints import Checkpointer, prune_log, sign_head, verify_log
from hub.crypto import HUB_AGENCY
from hub.db import audit_prunes, audit_records
from tests.fakes import FixedClock
from tests.integration.prune_support import (
    LATER,
    LONG,
    POLICY,
    RECORDS,
    SHORT,
    SHORT_RECORDS,
    T0,
    Log,
    entry,
    open_log,
)

K = SHORT_RECORDS  # the records under the short retention are the prefix past it at LATER


@pytest.fixture
async def log(fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Log]:
    """A log of short-retention records, then long-retention ones, on each real database."""
    async with open_log(fresh_database_url, tmp_path) as opened:
        yield opened


async def _pruned(log: Log) -> Checkpoint:
    """Prune at LATER and hand back the anchor's checkpoint as its exported file holds it."""
    report = await prune_log(log.audit, log.keys, FixedClock(LATER), POLICY, macs=log.macs)
    assert report.checkpoint is not None
    return Checkpoint.from_json(report.checkpoint.to_json())


async def test_a_pruned_log_verifies_from_its_anchor(log: Log) -> None:
    """After a prune the rest, the kept checkpoint at the anchor and the file all verify."""
    exported = await _pruned(log)

    report = await verify_log(log.audit, log.keys, outside=[exported])

    assert report.intact, report.problem
    assert report.pruned_through == K
    assert report.checked == RECORDS - K + 1  # the rest, and the audit.pruned record
    assert await log.seqs() == list(range(K + 1, RECORDS + 2))
    assert exported.seq == K


async def test_the_prune_deletes_the_subject_index_behind_it_and_records_itself(log: Log) -> None:
    """The index rows of pruned records go; the prune is recorded without personal data."""
    await _pruned(log)

    pruned = await log.audit.entries(action=AuditAction.AUDIT_PRUNED)
    anchors = await log.audit.prune_anchors()

    assert await log.seqs("audit_subjects") == list(range(K + 1, RECORDS + 1))
    assert [(a.through_seq, a.records) for a in anchors] == [(K, K)]
    assert len(pruned) == 1
    assert pruned[0].detail == {
        "through_seq": K,
        "records": K,
        "anchor_hash": anchors[0].record_hash,
    }
    assert [c.seq for c in await log.audit.checkpoints()] == [K]


async def test_a_record_within_retention_stops_the_cut(log: Log) -> None:
    """A recent record is never pruned, nor an old one that follows it (a prefix only)."""
    await log.audit.record(entry(100, SHORT, at=T0 - timedelta(days=900)))

    report = await prune_log(
        log.audit, log.keys, FixedClock(T0 + timedelta(days=400)), POLICY, macs=log.macs
    )

    assert (report.through, report.records) == (K, K)
    assert (RECORDS + 1) in await log.seqs()


async def test_nothing_is_pruned_before_anything_is_past_retention(log: Log) -> None:
    """With every record within retention, the log is left as it is and nothing is signed."""
    report = await prune_log(
        log.audit, log.keys, FixedClock(T0 + timedelta(days=30)), POLICY, macs=log.macs
    )

    assert (report.through, report.records, report.anchor) == (0, 0, None)
    assert await log.seqs() == list(range(1, RECORDS + 1))
    assert await log.audit.prune_anchors() == []


async def test_a_dry_run_changes_nothing(log: Log) -> None:
    """A dry run says how far it would cut, and deletes, signs and records nothing."""
    report = await prune_log(
        log.audit, log.keys, FixedClock(LATER), POLICY, macs=log.macs, dry_run=True
    )

    assert (report.through, report.records, report.checkpoint) == (K, K, None)
    assert await log.seqs() == list(range(1, RECORDS + 1))
    assert await log.seqs("audit_subjects") == list(range(1, RECORDS + 1))
    assert await log.audit.prune_anchors() == []
    assert await log.audit.checkpoints() == []


async def test_a_broken_log_is_never_pruned(log: Log) -> None:
    """An edited record refuses the prune, and nothing is deleted or signed."""
    await log.as_owner("UPDATE audit_records SET rule_id = 'forged' WHERE seq = 2")

    with pytest.raises(AuditLogTampered, match="broken at seq 2"):
        await prune_log(log.audit, log.keys, FixedClock(LATER), POLICY, macs=log.macs)

    assert await log.seqs() == list(range(1, RECORDS + 1))
    assert await log.audit.prune_anchors() == []


async def test_a_record_deleted_beyond_the_anchor_is_named(log: Log) -> None:
    """After a prune, a record deleted by the owner still leaves a gap the walk names."""
    await _pruned(log)
    await log.as_owner(f"DELETE FROM audit_records WHERE seq = {K + 2}")  # noqa: S608

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert f"broken at seq {K + 3}" in report.problem
    assert f"where {K + 2} was due (missing)" in report.problem


async def test_the_first_record_after_the_anchor_deleted_is_named(log: Log) -> None:
    """The record right after the anchor must be there: its deletion is named."""
    await _pruned(log)
    await log.as_owner(f"DELETE FROM audit_records WHERE seq = {K + 1}")  # noqa: S608

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert f"where {K + 1} was due (missing)" in report.problem


async def test_records_deleted_from_the_start_without_an_anchor_are_caught(log: Log) -> None:
    """An owner who deletes the oldest records, with no anchor, leaves the walk at seq 1."""
    await log.as_owner(
        "DELETE FROM audit_subjects WHERE seq <= 3", "DELETE FROM audit_records WHERE seq <= 3"
    )

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert "broken at seq 4" in report.problem
    assert "where 1 was due (missing)" in report.problem


async def test_a_deleted_anchor_is_caught(log: Log) -> None:
    """Deleting the prune's anchor leaves records that start after nothing: seq K+1 is named."""
    await _pruned(log)
    await log.as_owner("DELETE FROM audit_prunes")

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert f"broken at seq {K + 1}" in report.problem
    assert "where 1 was due (missing)" in report.problem


@pytest.mark.parametrize("forgery", ["zeros", "a kept checkpoint's signature"])
async def test_an_anchor_not_signed_by_the_hub_is_caught(log: Log, forgery: str) -> None:
    """An owner's own anchor, even one carrying the hub's signature of a checkpoint, fails."""
    head = await sign_head(
        log.audit, log.keys, FixedClock(LATER), macs=log.macs
    )  # signs seq RECORDS
    assert head is not None
    await log.audit.record(entry(200, LONG))  # follows the signed head, as after a real prune
    await log.as_owner(
        "DELETE FROM audit_subjects",
        f"DELETE FROM audit_records WHERE seq <= {RECORDS}",  # noqa: S608
    )
    await log.insert(
        audit_prunes,
        {
            "through_seq": RECORDS,
            "record_hash": head.record_hash,
            "signed_at": head.signed_at,
            "kid": head.kid,
            "signature": bytes(64) if forgery == "zeros" else head.signature,
            "pruned_at": head.signed_at,
            "records": RECORDS,
        },
    )

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert f"the prune anchor at seq {RECORDS} is not signed by the hub" in report.problem
    with pytest.raises(AuditLogTampered, match="not signed by the hub"):
        await sign_head(log.audit, log.keys, FixedClock(LATER), macs=log.macs)


async def test_a_record_slipped_in_behind_the_anchor_is_caught(log: Log) -> None:
    """A row inserted at a pruned seq is outside the chain (no trigger stops an INSERT)."""
    await _pruned(log)
    await log.insert(
        audit_records,
        {
            "recorded_at": T0,
            "action": "notification.shared",
            "detail": {},
            "seq": 2,
            "prev_hash": "0" * 64,
            "record_hash": "0" * 64,
        },
    )

    report = await verify_log(log.audit, log.keys)

    assert report.problem is not None
    assert "1 record(s) outside the chain" in report.problem


async def test_checkpoints_behind_the_anchor_are_held_to_their_signature_only(log: Log) -> None:
    """An exported checkpoint of a pruned record still verifies; a forged one does not."""
    early = await sign_head(log.audit, log.keys, FixedClock(T0 + timedelta(hours=1)), macs=log.macs)
    assert early is not None
    await log.audit.record(entry(300, LONG))
    exported = await _pruned(log)  # cuts at K, before the early checkpoint at RECORDS
    second = await prune_log(
        log.audit,
        log.keys,
        FixedClock(LATER + timedelta(days=2000)),
        RecordedBefore(LATER),
        macs=log.macs,
    )
    assert second.through == RECORDS + 1  # past the early checkpoint now
    forged = Checkpoint(2, "ab" * 32, early.signed_at, early.kid, bytes(64))
    other = "ab" * 32  # a hash that is not the anchor's, at the anchor, signed by the hub
    signature = log.keys.sign(
        HUB_AGENCY, checkpoint_signing_input(second.through, other, LATER, early.kid), now=LATER
    )
    moved = Checkpoint(second.through, other, LATER, signature.kid, signature.value)

    intact = await verify_log(log.audit, log.keys, outside=[early, exported])
    refused = await verify_log(log.audit, log.keys, outside=[forged])
    changed = await verify_log(log.audit, log.keys, outside=[moved])

    assert intact.intact, intact.problem
    assert refused.problem is not None
    assert "checkpoint at seq 2 is not signed by the hub" in refused.problem
    assert changed.problem is not None
    assert f"broken at seq {second.through}: not the record the exported" in changed.problem


async def test_pruning_twice_keeps_the_log_verifiable(log: Log) -> None:
    """A second prune starts after the first anchor; the newest anchor's removal is caught."""
    await _pruned(log)
    await log.audit.record(entry(400, SHORT))
    later = FixedClock(LATER + timedelta(days=6 * 366))
    second = await prune_log(log.audit, log.keys, later, POLICY, macs=log.macs)
    through = second.through

    report = await verify_log(log.audit, log.keys)
    await log.as_owner(f"DELETE FROM audit_prunes WHERE through_seq = {through}")  # noqa: S608
    tampered = await verify_log(log.audit, log.keys)

    assert through == RECORDS + 2  # the rest, the first prune's record, and the SHORT one
    assert report.intact, report.problem
    assert report.pruned_through == through
    assert [a.through_seq for a in await log.audit.prune_anchors()] == [K]
    assert tampered.problem is not None
    assert f"broken at seq {through + 1}" in tampered.problem
    assert f"where {K + 1} was due (missing)" in tampered.problem


async def test_the_checkpointer_keeps_signing_after_a_prune(log: Log) -> None:
    """A checkpointer whose last signed head was pruned away signs the new head, no alarm."""
    checkpointer = Checkpointer(
        log.audit, log.keys, FixedClock(LATER), log.macs, every_records=1, every_seconds=3600
    )
    assert await checkpointer.tick(monotonic=1.0) is not None  # signs seq RECORDS
    await log.audit.record(entry(500, LONG))
    cut = await prune_log(
        log.audit, log.keys, FixedClock(LATER), RecordedBefore(LATER), macs=log.macs
    )
    await log.audit.record(entry(501, LONG))

    after_cut = await checkpointer.tick(monotonic=2.0)
    fresh = Checkpointer(log.audit, log.keys, FixedClock(LATER), log.macs, every_records=1)
    first = await fresh.tick(monotonic=3.0)

    assert cut.through == RECORDS + 1  # past the head the checkpointer signed
    assert after_cut is not None
    assert after_cut.seq == RECORDS + 3
    assert first is not None
    assert first.seq == RECORDS + 3
    assert (await verify_log(log.audit, log.keys)).intact
