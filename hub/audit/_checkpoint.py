"""Signed checkpoints of the audit chain's head, to be kept outside the database.

A checkpoint says "at ``signed_at`` the chain had reached record ``seq``, whose hash was
``record_hash``", signed by the hub. Kept where the database's owner cannot reach it, it catches
what the chain alone cannot: records cut from the end, or a tail rewritten with fresh hashes.

Rules:

1. The signed bytes are ``b"sehub-audit-checkpoint-1\\n"`` followed by
   ``seq "\\n" record_hash "\\n" signed_at "\\n" kid``, UTF-8, with ``signed_at`` written
   ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The prefix keeps these signatures apart from every other
   signature the same key makes (delivery envelopes sign different bytes).
2. The file form is one JSON object: ``v`` (``sehub-audit-checkpoint-1``), ``seq``,
   ``record_hash``, ``signed_at``, ``kid``, ``sig`` (Ed25519, base64url without padding).
3. A checkpoint holds against a log when its signature verifies with the hub's key valid at
   ``signed_at``, the log reaches ``seq``, and the record there has ``record_hash``.
4. A prune anchor (:class:`PruneAnchor`) is the head a prune cut the log behind: the record
   ``through_seq`` and its hash, signed by the hub over the same fields as a checkpoint under
   another prefix, ``b"sehub-audit-prune-1\\n"``. The prefix matters: a checkpoint (which the
   database's owner can read) can never pass for an anchor, so only the holder of the hub's
   signing key can authorise a cut.
5. Pure: signing and verifying are passed in; nothing here holds a key or reads a database.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hub.audit._chain import utc_text

__all__ = [
    "CHECKPOINT_VERSION",
    "PRUNE_VERSION",
    "Checkpoint",
    "CheckpointUnreadable",
    "PruneAnchor",
    "checkpoint_signing_input",
    "prune_signing_input",
]

CHECKPOINT_VERSION: Final = "sehub-audit-checkpoint-1"
PRUNE_VERSION: Final = "sehub-audit-prune-1"
_DOMAIN: Final = CHECKPOINT_VERSION.encode() + b"\n"
_PRUNE_DOMAIN: Final = PRUNE_VERSION.encode() + b"\n"
_FIELDS: Final = ("v", "seq", "record_hash", "signed_at", "kid", "sig")


class CheckpointUnreadable(ValueError):
    """A checkpoint file that is not a checkpoint (its contents are never echoed)."""


def _head_bytes(seq: int, record_hash: str, signed_at: datetime, kid: str) -> bytes:
    return "\n".join((str(seq), record_hash, utc_text(signed_at), kid)).encode("utf-8")


def checkpoint_signing_input(seq: int, record_hash: str, signed_at: datetime, kid: str) -> bytes:
    """The bytes a checkpoint's signature covers (rule 1)."""
    return _DOMAIN + _head_bytes(seq, record_hash, signed_at, kid)


def prune_signing_input(seq: int, record_hash: str, signed_at: datetime, kid: str) -> bytes:
    """The bytes a prune anchor's signature covers (rule 4)."""
    return _PRUNE_DOMAIN + _head_bytes(seq, record_hash, signed_at, kid)


@dataclass(frozen=True, slots=True)
class PruneAnchor:
    """Where a prune cut the log: every record up to ``through_seq`` is gone (rule 4).

    ``records`` is how many that prune deleted; ``pruned_at`` when it committed.
    """

    through_seq: int
    record_hash: str
    signed_at: datetime
    kid: str
    signature: bytes
    pruned_at: datetime
    records: int

    @property
    def head(self) -> tuple[int, str]:
        """The record the chain now starts after: its seq and hash."""
        return self.through_seq, self.record_hash

    def signing_input(self) -> bytes:
        return prune_signing_input(self.through_seq, self.record_hash, self.signed_at, self.kid)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at a moment, and the hub's signature over it."""

    seq: int
    record_hash: str
    signed_at: datetime
    kid: str
    signature: bytes

    def signing_input(self) -> bytes:
        return checkpoint_signing_input(self.seq, self.record_hash, self.signed_at, self.kid)

    def to_json(self) -> str:
        """The file form (rule 2)."""
        sig = base64.urlsafe_b64encode(self.signature).rstrip(b"=").decode()
        document = {
            "v": CHECKPOINT_VERSION,
            "seq": self.seq,
            "record_hash": self.record_hash,
            "signed_at": utc_text(self.signed_at),
            "kid": self.kid,
            "sig": sig,
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Read the file form; :class:`CheckpointUnreadable` for anything else."""
        try:
            document: Any = json.loads(text)
        except ValueError as exc:
            raise CheckpointUnreadable("not a readable checkpoint: not JSON") from exc
        if not isinstance(document, dict) or sorted(document) != sorted(_FIELDS):
            raise CheckpointUnreadable("not a checkpoint: expected " + ", ".join(_FIELDS))
        if document["v"] != CHECKPOINT_VERSION:
            raise CheckpointUnreadable(f"not a {CHECKPOINT_VERSION} checkpoint")
        seq, record_hash, kid = document["seq"], document["record_hash"], document["kid"]
        texts = (record_hash, kid, document["signed_at"], document["sig"])
        if (
            isinstance(seq, bool)
            or not isinstance(seq, int)
            or not all(isinstance(value, str) for value in texts)
        ):
            raise CheckpointUnreadable("seq must be a number; record_hash, kid and sig text")
        try:
            signed_at = datetime.strptime(
                document["signed_at"] + "+0000", "%Y-%m-%dT%H:%M:%S.%fZ%z"
            )
            signature = base64.urlsafe_b64decode(
                document["sig"] + "=" * (-len(document["sig"]) % 4)
            )
        except (ValueError, binascii.Error) as exc:
            raise CheckpointUnreadable("not a readable checkpoint: signed_at or sig") from exc
        return cls(seq, record_hash, signed_at, kid, signature)
