"""What an auditor may ask of the audit log, and where a page of answers ends. Plain data.

Rules:

1. A query filters by subject (audit tokens, :mod:`._subjects`), agency (the record's actor or
   recipient), notification type, actions and a half-open time range ``[since, until)``. Every
   filter given must hold; an empty set of subjects matches nothing.
2. Answers come in the order records happened: their time, then their place in the chain
   (``seq``), which is the order :meth:`hub.stores.SqlAuditLog.entries` lists them in.
3. A page ends at a :class:`Position`. Its cursor is opaque text that also carries a
   fingerprint of the query, so a cursor is refused with any query but the one it came from.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hub._exceptions import PeerError
from hub.audit._chain import CHAINED_FIELDS, utc_text
from hub.audit._entry import AuditAction, AuditEntry

__all__ = [
    "RECORD_FIELDS",
    "AuditQuery",
    "ListedRecord",
    "Position",
    "decode_cursor",
    "encode_cursor",
]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which records an auditor asks for (rule 1); None is "any"."""

    subjects: frozenset[str] | None = None
    agency: str | None = None
    notification_type: str | None = None
    actions: frozenset[AuditAction] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def fingerprint(self) -> str:
        """A short hash of the query, bound into its cursors (rule 3)."""
        document = {
            "subjects": None if self.subjects is None else sorted(self.subjects),
            "agency": self.agency,
            "type": self.notification_type,
            "actions": None if self.actions is None else sorted(a.value for a in self.actions),
            "since": None if self.since is None else utc_text(self.since),
            "until": None if self.until is None else utc_text(self.until),
        }
        encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a record is in the listing (rule 2)."""

    recorded_at: datetime
    seq: int


@dataclass(frozen=True, slots=True)
class ListedRecord:
    """One record as the log holds it: its place in the chain, its hash, its entry."""

    seq: int
    record_hash: str
    entry: AuditEntry

    @property
    def position(self) -> Position:
        return Position(self.entry.recorded_at, self.seq)

    def to_json(self) -> dict[str, Any]:
        """The record as the auditor API and the exports show it (:data:`RECORD_FIELDS`)."""
        entry = self.entry
        shown: dict[str, Any] = {"seq": self.seq}
        for name in CHAINED_FIELDS:
            shown[name] = getattr(entry, name)
        shown["recorded_at"] = utc_text(entry.recorded_at)
        shown["action"] = entry.action.value
        shown["record_hash"] = self.record_hash
        return shown


RECORD_FIELDS: Final = ("seq", *CHAINED_FIELDS, "record_hash")


def encode_cursor(position: Position, query: AuditQuery) -> str:
    """The opaque cursor for the page after ``position`` (rule 3)."""
    document = {"t": utc_text(position.recorded_at), "s": position.seq, "q": query.fingerprint()}
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, query: AuditQuery) -> Position:
    """The position a cursor marks; :class:`PeerError` if it is unreadable or another query's."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
        at = datetime.strptime(document["t"] + "+0000", "%Y-%m-%dT%H:%M:%S.%fZ%z")
        seq, fingerprint = document["s"], document["q"]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise PeerError("the cursor is not one this API issued") from exc
    if not isinstance(seq, int) or isinstance(seq, bool) or fingerprint != query.fingerprint():
        raise PeerError("the cursor belongs to another query: send the same filters with it")
    return Position(at, seq)
