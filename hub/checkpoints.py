"""Signing the audit chain's head, and verifying a log against its chain and its checkpoints.

Rules:

1. A checkpoint is signed with the hub's own signing key (the prefix of rule 1 in
   :mod:`hub.audit._checkpoint` keeps it apart from the hub's delivery signatures).
2. Only a chain that verifies is signed, and only the head it verified to: from the chain's
   start, or from the last head the same :class:`Checkpointer` signed (which must still be
   there, unchanged). :class:`Checkpointer` signs when at least ``every_records`` records
   have been added since its last checkpoint, or ``every_seconds`` have passed and the head
   has moved.
3. :func:`verify_log` walks the chain, then holds every checkpoint (those kept in the database
   and any given from outside) against it: the signature must verify with the hub's key valid
   at ``signed_at``; the log must reach the checkpoint's ``seq`` (else records were cut from
   the end); the record there must have the signed hash (else the tail was rewritten).
4. After a prune the walk starts after the newest prune anchor, and every anchor's signature
   must verify with the hub's key valid at its ``signed_at``. A checkpoint behind the anchor is
   held only to its signature (its record is gone), and one at the anchor to the anchor's hash.
   Records deleted from the start without a signed anchor leave the walk at the genesis, and
   the first remaining record is named as missing its predecessors.
5. The first problem found is reported by sequence number and record id where there is one.
6. The writer's MACs (:mod:`hub.audit._macs`): signing needs the MAC keys, and signs only
   records that carry a MAC that checks, except those at or before a checkpoint the hub signed
   already (records written before MACs existed); one without is refused like a broken chain,
   so a record appended straight into the database is never signed. Once, after upgrading a
   log from before MACs, the key holder may adopt the records without a MAC that come before
   the first one with a MAC (``adopt_unvouched``). :func:`verify_log` checks
   MACs when given the keys, and says whether it did (``macs_checked``).
7. :func:`prune_log` is the one way records go (``hub audit prune``): it finds how far the
   retention allows (:class:`~hub.audit.PruneScan`), verifies the whole remaining log as rule 3
   does, signs the record there twice (a checkpoint, and a prune anchor under its own prefix),
   then cuts behind it and records ``audit.pruned`` in one transaction. A log that does not
   verify is never pruned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hub._exceptions import AuditLogTampered, InvalidMessage
from hub.audit import (
    GENESIS,
    AuditAction,
    AuditEntry,
    ChainVerifier,
    Checkpoint,
    PruneAnchor,
    PruneScan,
    RecordMacs,
    RetentionPolicy,
    checkpoint_signing_input,
    prune_signing_input,
)
from hub.crypto import HUB_AGENCY, KeyMaterial, Signature
from hub.logs import get_logger
from hub.ports import Clock
from hub.stores import SqlAuditLog

__all__ = ["Checkpointer", "LogReport", "PruneReport", "prune_log", "sign_head", "verify_log"]

log = get_logger(__name__)


def _signed_by_hub(
    keys: KeyMaterial, kid: str, signature: bytes, data: bytes, at: datetime
) -> bool:
    """Whether the hub signed ``data`` with its key ``kid``, valid at ``at``."""
    try:
        keys.verify(HUB_AGENCY, Signature(kid, signature), data, now=at)
    except InvalidMessage:
        return False
    return True


def _anchor_problem(anchor: PruneAnchor, keys: KeyMaterial) -> str | None:
    """Why ``anchor`` cannot be trusted (rule 4), or None: it must be the hub's signature."""
    if _signed_by_hub(keys, anchor.kid, anchor.signature, anchor.signing_input(), anchor.signed_at):
        return None
    return (
        f"broken at seq {anchor.through_seq + 1}: the prune anchor at seq {anchor.through_seq}"
        " is not signed by the hub, so the records before it were deleted without authority"
    )


def _refuse_unsigned(anchor: PruneAnchor | None, keys: KeyMaterial) -> None:
    if anchor is not None and (problem := _anchor_problem(anchor, keys)) is not None:
        raise AuditLogTampered(problem)


def _vouched_through(checkpoints: Iterable[Checkpoint], keys: KeyMaterial) -> int:
    """The greatest seq a checkpoint signed by the hub covers (0 if none): records up to it may
    lack a MAC (rule 6), if the record there still has the signed hash (the caller checks)."""
    return max(
        (
            c.seq
            for c in checkpoints
            if _signed_by_hub(keys, c.kid, c.signature, c.signing_input(), c.signed_at)
        ),
        default=0,
    )


async def sign_head(
    audit: SqlAuditLog,
    keys: KeyMaterial,
    clock: Clock,
    *,
    macs: RecordMacs,
    after: tuple[int, str] | None = None,
    adopt_unvouched: bool = False,
) -> Checkpoint | None:
    """Verify the chain and the writer's MACs, then sign the head it verified to and keep the
    checkpoint (rules 2 and 6).

    With ``after`` (a head signed before), the record there must still be what was signed and
    only the records after it are walked, each of which must carry a MAC that checks; else the
    whole chain is, from the newest prune anchor, and records up to the newest checkpoint kept
    may lack one. An anchor must be signed by the hub; one past ``after`` replaces it (the
    records between were pruned). With ``adopt_unvouched`` (once, after upgrading a log from
    before MACs: ``hub audit checkpoint --adopt-unvouched``), records without a MAC before the
    first record that has one are signed too. None when there is nothing new to sign;
    :class:`~hub.AuditLogTampered` when the chain does not verify.
    """
    anchor = await audit.newest_anchor()
    _refuse_unsigned(anchor, keys)
    if anchor is not None and after is not None and after[0] <= anchor.through_seq:
        if after[0] == anchor.through_seq and after[1] != anchor.record_hash:
            raise AuditLogTampered(f"the record at seq {after[0]}, signed before, is changed")
        after = anchor.head  # what followed the last head signed, up to here, was pruned
    elif after is not None and await audit.hash_at(after[0]) != after[1]:
        raise AuditLogTampered(f"the record at seq {after[0]}, signed before, is gone or changed")
    vouched = None
    if after is None:
        kept = await audit.checkpoints()
        through = _vouched_through(kept, keys)
        vouched = next((c for c in kept if c.seq == through), None)
        if adopt_unvouched:
            first = await audit.first_vouched()
            head = await audit.head()
            through = max(through, (head[0] if head else 0) if first is None else first - 1)
    else:
        through = after[0]
    watch = frozenset() if vouched is None else frozenset({vouched.seq})
    verifier = await audit.verify(after=after, macs=macs, unvouched_through=through, watch=watch)
    if verifier.broken is not None:
        broken = verifier.broken
        raise AuditLogTampered(f"broken at seq {broken.seq}: {broken.reason}")
    if (
        vouched is not None
        and vouched.seq >= verifier.start[0]
        and verifier.hashes_at.get(vouched.seq, verifier.start[1]) != vouched.record_hash
    ):
        raise AuditLogTampered(f"broken at seq {vouched.seq}: not the record signed there")
    if after is None and verifier.start != (anchor.head if anchor else (0, GENESIS)):
        raise AuditLogTampered("the log was pruned while it was being verified; try again")
    if verifier.checked == 0:
        return None
    now = clock()
    kid = keys.signing_kid(HUB_AGENCY, now=now)
    seq, record_hash = verifier.head_seq, verifier.head_hash
    signature = keys.sign(HUB_AGENCY, checkpoint_signing_input(seq, record_hash, now, kid), now=now)
    checkpoint = Checkpoint(seq, record_hash, now, signature.kid, signature.value)
    await audit.add_checkpoint(checkpoint)
    log.info("audit.checkpoint_signed", seq=seq, kid=signature.kid)
    return checkpoint


@dataclass
class Checkpointer:
    """Signs the head now and then (rule 2), for as long as :meth:`run` runs."""

    audit: SqlAuditLog
    keys: KeyMaterial
    clock: Clock
    macs: RecordMacs
    every_records: int = 1000
    every_seconds: float = 300.0
    poll_seconds: float = 5.0
    _signed: tuple[int, str] | None = field(default=None, init=False)
    _last_time: float = field(default=0.0, init=False)

    async def tick(self, monotonic: float) -> Checkpoint | None:
        """Sign if rule 2 says so; the checkpoint signed, if any.

        Only what verifies from the last head it signed (or, first, from the chain's start) is
        signed: a cut, a rewrite or a break raises :class:`~hub.AuditLogTampered` instead.
        """
        head = await self.audit.head()
        last_seq = 0 if self._signed is None else self._signed[0]
        if head is None or head[0] == last_seq:
            return None
        due = head[0] - last_seq >= self.every_records
        if not due and monotonic - self._last_time < self.every_seconds:
            return None
        checkpoint = await sign_head(
            self.audit, self.keys, self.clock, macs=self.macs, after=self._signed
        )
        if checkpoint is not None:
            self._signed, self._last_time = (checkpoint.seq, checkpoint.record_hash), monotonic
        return checkpoint

    async def run(self) -> None:
        """Tick until cancelled. Every failure is logged (a refusal to sign at error level) and
        tried again next time; the task itself never dies of one."""
        loop = asyncio.get_running_loop()
        self._last_time = loop.time()
        while True:
            try:
                await self.tick(loop.time())
            except AuditLogTampered as exc:
                # No traceback: the reason is the message, and it names seqs, never contents.
                log.error("audit.checkpoint_refused", reason=exc.detail)  # noqa: TRY400
            except Exception as exc:  # noqa: BLE001  # a background task must not die silently
                log.warning("audit.checkpoint_failed", error=type(exc).__name__)
            await asyncio.sleep(self.poll_seconds)


@dataclass(frozen=True, slots=True)
class LogReport:
    """What :func:`verify_log` found: how far the chain verifies, and the first problem.

    ``pruned_through`` is the prune anchor the walk started after (0 if never pruned);
    ``hashes_at`` the verified hashes at the seqs asked for; ``macs_checked`` whether the
    writer's MACs were checked (only with its keys).
    """

    checked: int
    head_seq: int
    head_hash: str
    checkpoints: int
    problem: str | None
    pruned_through: int = 0
    hashes_at: Mapping[int, str] = field(default_factory=dict)
    macs_checked: bool = False

    @property
    def intact(self) -> bool:
        return self.problem is None


def _checkpoint_problem(
    checkpoint: Checkpoint, verifier: ChainVerifier, keys: KeyMaterial, where: str
) -> str | None:
    if not _signed_by_hub(
        keys, checkpoint.kid, checkpoint.signature, checkpoint.signing_input(), checkpoint.signed_at
    ):
        return f"broken: the {where} checkpoint at seq {checkpoint.seq} is not signed by the hub"
    start_seq, start_hash = verifier.start
    if checkpoint.seq < start_seq:
        return None  # its record was pruned; only its signature is left to check (rule 4)
    if checkpoint.seq > verifier.head_seq:
        return (
            f"broken: the log ends at seq {verifier.head_seq}, but the {where} checkpoint"
            f" signed at {checkpoint.signed_at.isoformat()} covers seq {checkpoint.seq}:"
            " records were cut from the end"
        )
    held = start_hash if checkpoint.seq == start_seq else verifier.hashes_at.get(checkpoint.seq)
    if held != checkpoint.record_hash:
        return (
            f"broken at seq {checkpoint.seq}: not the record the {where} checkpoint signed; "
            "the log was rewritten from there on"
        )
    return None


def _start_problem(verifier: ChainVerifier, anchors: list[PruneAnchor]) -> str | None:
    """The walk started after an anchor kept in the database (rule 4), or at the genesis."""
    if verifier.start[0] == 0 or any(anchor.head == verifier.start for anchor in anchors):
        return None
    return f"broken: the prune anchor at seq {verifier.start[0]} vanished while verifying"


async def verify_log(
    audit: SqlAuditLog,
    keys: KeyMaterial,
    *,
    outside: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
    watch: Iterable[int] = (),
    macs: RecordMacs | None = None,
) -> LogReport:
    """Verify the chain, its prune anchors and every checkpoint against it (rules 3 to 5), and
    with ``macs`` the writer's MAC on every record after the newest signed checkpoint, and on
    every record that has one (rule 6)."""
    kept = await audit.checkpoints()
    given = list(outside)
    watching = frozenset((*watch, *(c.seq for c in (*kept, *given))))
    verifier = await audit.verify(
        progress=progress,
        watch=watching,
        macs=macs,
        unvouched_through=_vouched_through((*kept, *given), keys),
    )
    anchors = await audit.prune_anchors()  # after the walk, so they include the one it used
    problem = _start_problem(verifier, anchors)
    for anchor in anchors:
        problem = problem or _anchor_problem(anchor, keys)
    if problem is None and verifier.broken is not None:
        broken = verifier.broken
        problem = f"broken at seq {broken.seq} (record id {broken.record_id}): {broken.reason}"
    if problem is None:
        for checkpoint, where in [*((c, "exported") for c in given), *((c, "kept") for c in kept)]:
            problem = _checkpoint_problem(checkpoint, verifier, keys, where)
            if problem is not None:
                break
    return LogReport(
        checked=verifier.checked,
        head_seq=verifier.head_seq,
        head_hash=verifier.head_hash,
        checkpoints=len(kept) + len(given),
        problem=problem,
        pruned_through=verifier.start[0],
        hashes_at=dict(verifier.hashes_at),
        macs_checked=verifier.macs_checked,
    )


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What :func:`prune_log` did (or, on a dry run, would do): ``records`` up to ``through``.

    ``anchor`` and ``checkpoint`` are the signed head it cut behind (None on a dry run or when
    there was nothing to prune).
    """

    through: int
    records: int
    anchor: PruneAnchor | None = None
    checkpoint: Checkpoint | None = None


async def prune_log(
    audit: SqlAuditLog,
    keys: KeyMaterial,
    clock: Clock,
    policy: RetentionPolicy,
    *,
    macs: RecordMacs,
    dry_run: bool = False,
    protocol_version: str | None = None,
) -> PruneReport:
    """Delete the longest prefix of the log past ``policy``'s retention, behind a signed
    anchor (rule 7); :class:`~hub.AuditLogTampered` (nothing deleted) if the log is broken."""
    now = clock()
    start = await audit.newest_anchor()
    scan_from = 0 if start is None else start.through_seq
    scan = PruneScan(policy, now, after=scan_from)
    await audit.scan_prunable(scan)
    report = await verify_log(audit, keys, watch=(scan.through,), macs=macs)
    if report.problem is not None:
        raise AuditLogTampered(report.problem)
    if scan.records == 0 or dry_run:
        return PruneReport(scan.through, scan.records)
    through, record_hash = scan.through, report.hashes_at.get(scan.through)
    if record_hash is None or report.pruned_through != scan_from:
        raise AuditLogTampered("the log was pruned while it was being verified; try again")
    kid = keys.signing_kid(HUB_AGENCY, now=now)
    signed, authorised = (
        keys.sign(HUB_AGENCY, encode(through, record_hash, now, kid), now=now)
        for encode in (checkpoint_signing_input, prune_signing_input)
    )
    if signed.kid != kid or authorised.kid != kid:
        raise AuditLogTampered("the hub's signing key changed while pruning; nothing was pruned")
    checkpoint = Checkpoint(through, record_hash, now, kid, signed.value)
    anchor = PruneAnchor(through, record_hash, now, kid, authorised.value, now, scan.records)
    entry = AuditEntry(
        AuditAction.AUDIT_PRUNED,
        now,
        protocol_version=protocol_version,
        detail={"through_seq": through, "records": scan.records, "anchor_hash": record_hash},
    )
    await audit.prune(checkpoint, anchor, entry)
    log.info("audit.pruned", through_seq=through, records=scan.records, kid=kid)
    return PruneReport(through, scan.records, anchor, checkpoint)
