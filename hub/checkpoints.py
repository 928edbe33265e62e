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
4. The first problem found is reported by sequence number and record id where there is one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hub._exceptions import AuditLogTampered, InvalidMessage
from hub.audit import ChainVerifier, Checkpoint, checkpoint_signing_input
from hub.crypto import HUB_AGENCY, KeyMaterial, Signature
from hub.logs import get_logger
from hub.ports import Clock
from hub.stores import SqlAuditLog

__all__ = ["Checkpointer", "LogReport", "sign_head", "verify_log"]

log = get_logger(__name__)


async def sign_head(
    audit: SqlAuditLog,
    keys: KeyMaterial,
    clock: Clock,
    *,
    after: tuple[int, str] | None = None,
) -> Checkpoint | None:
    """Verify the chain, then sign the head it verified to and keep the checkpoint (rule 2).

    With ``after`` (a head signed before), the record there must still be what was signed and
    only the records after it are walked; else the whole chain is. None when there is nothing
    new to sign; :class:`~hub.AuditLogTampered` when the chain does not verify.
    """
    if after is not None and await audit.hash_at(after[0]) != after[1]:
        raise AuditLogTampered(f"the record at seq {after[0]}, signed before, is gone or changed")
    verifier = await audit.verify(after=after)
    if verifier.broken is not None:
        broken = verifier.broken
        raise AuditLogTampered(f"broken at seq {broken.seq}: {broken.reason}")
    if verifier.head_seq == (0 if after is None else after[0]):
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
        checkpoint = await sign_head(self.audit, self.keys, self.clock, after=self._signed)
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
    """What :func:`verify_log` found: how far the chain verifies, and the first problem."""

    checked: int
    head_seq: int
    head_hash: str
    checkpoints: int
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _checkpoint_problem(
    checkpoint: Checkpoint, verifier: ChainVerifier, keys: KeyMaterial, where: str
) -> str | None:
    try:
        keys.verify(
            HUB_AGENCY,
            Signature(checkpoint.kid, checkpoint.signature),
            checkpoint.signing_input(),
            now=checkpoint.signed_at,
        )
    except InvalidMessage:
        return f"broken: the {where} checkpoint at seq {checkpoint.seq} is not signed by the hub"
    if checkpoint.seq > verifier.head_seq:
        return (
            f"broken: the log ends at seq {verifier.head_seq}, but the {where} checkpoint"
            f" signed at {checkpoint.signed_at.isoformat()} covers seq {checkpoint.seq}:"
            " records were cut from the end"
        )
    if verifier.hashes_at.get(checkpoint.seq) != checkpoint.record_hash:
        return (
            f"broken at seq {checkpoint.seq}: not the record the {where} checkpoint signed; "
            "the log was rewritten from there on"
        )
    return None


async def verify_log(
    audit: SqlAuditLog,
    keys: KeyMaterial,
    *,
    outside: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
) -> LogReport:
    """Verify the chain and every checkpoint against it (rules 3 and 4)."""
    kept = await audit.checkpoints()
    given = list(outside)
    watch = frozenset(c.seq for c in (*kept, *given))
    verifier = await audit.verify(progress=progress, watch=watch)
    problem = None
    if verifier.broken is not None:
        broken = verifier.broken
        problem = f"broken at seq {broken.seq} (record id {broken.record_id}): {broken.reason}"
    else:
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
    )
