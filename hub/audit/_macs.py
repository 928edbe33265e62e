"""Which records must carry their writer's MAC, and the port that makes and checks MACs.

The chain (:mod:`._chain`) proves order and content; a MAC (``hub.crypto.AuditMacKeys``, rule 1
there) proves that a holder of the audit MAC key appended the record. Someone who may only
INSERT into the table can make the first, not the second.

Rules:

1. Every record the hub appends carries ``mac_kid`` and ``mac``, made from its chain hash.
2. A record without a MAC is accepted only at or before a seq that the hub has already vouched
   for otherwise: a checkpoint signed with the hub's key, or a prune anchor. That is how records
   written before MACs existed (migration ``0013``) stay valid: the checkpoints that signed them
   vouch for them. A record after every such seq must have a MAC that checks.
3. A record that has a MAC must have one that checks, wherever it is.
4. Without the key (an auditor's machine) no MAC is checked; the chain and the checkpoints are.
5. Pure: the key and the MAC function live behind :class:`RecordMacs`.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["RecordMacs"]


class RecordMacs(Protocol):
    """Makes and checks the MAC with which the hub's writer vouches for a record."""

    def vouch(self, record_hash: str) -> tuple[str, str]:
        """The kid and MAC for the record with this chain hash."""
        ...

    def check(self, kid: str, record_hash: str, mac: str) -> bool:
        """Whether ``mac`` under ``kid`` vouches for the record with this chain hash."""
        ...
