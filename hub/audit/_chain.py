"""The audit log's hash chain: each record commits to the one before it.

Rules:

1. Every record has a sequence number ``seq`` (1, 2, 3... with no gaps), the hash of the record
   before it (``prev``; 64 zeros before the first) and its own hash.
2. A record's hash is ``SHA-256(b"sehub-audit-1\\n" || canonical)``, lower-case hex, where
   ``canonical`` is the UTF-8 JSON object of its fields (:data:`CHAINED_FIELDS`, plus ``seq``
   and ``prev``) with keys sorted, no insignificant whitespace and non-ASCII kept as is.
   ``recorded_at`` is written in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; an absent value is
   ``null``. Values are text, whole numbers, booleans, nulls, lists and objects with text keys
   (no floats), so that any JSON library encodes them alike. docs/audit.md has an example.
3. Verification walks the records in ``seq`` order and recomputes each hash. The first record
   whose ``seq`` is not the next one, whose ``prev`` is not the hash before it, or whose hash
   does not match its fields is the first bad record. An edited, deleted, inserted or reordered
   record therefore breaks the chain at or just after it. Every record must be on the walk:
   one the walk never reaches (no ``seq``, a repeated one, zero or below) is a break too.
   The row ``id`` is not covered: order and identity are ``seq``'s.
4. The chain alone cannot see records appended at, or cut from, its end by someone able to
   recompute hashes; signed checkpoints kept outside the database do. A walk may start after a
   known record (``after``: its seq and hash), such as the signed anchor a prune left.
5. With the writer's MAC keys (:mod:`._macs`), every record must also carry a MAC that checks,
   except those at or before ``unvouched_through`` (covered by a signed checkpoint or prune
   anchor), which may carry none. A record the hash chain accepts but the MAC refuses is the
   first bad record like any other.
8. Pure: no database here. The store appends through :func:`link`, the verifier through
   :class:`ChainVerifier`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from hub.audit._macs import RecordMacs

__all__ = [
    "CHAINED_FIELDS",
    "GENESIS",
    "STORED_COLUMNS",
    "ChainBreak",
    "ChainVerifier",
    "canonical_detail",
    "canonical_record",
    "link",
    "record_hash",
    "stored_record_hash",
    "utc_text",
]

GENESIS: Final = "0" * 64
DOMAIN: Final = b"sehub-audit-1\n"
CHAINED_FIELDS: Final = (
    "recorded_at",
    "action",
    "correlation_id",
    "notification_id",
    "notification_type",
    "actor",
    "recipient",
    "rule_id",
    "protocol_version",
    "detail",
)

# A stored row's columns, in the order :meth:`ChainVerifier.feed_columns` reads them.
STORED_COLUMNS: Final = ("id", "seq", "prev_hash", "record_hash", *CHAINED_FIELDS, "mac_kid", "mac")


def utc_text(value: datetime) -> str:
    """A time as the chain and its checkpoints write it; a naive time (SQLite's) is UTC."""
    if value.tzinfo is UTC:  # as PostgreSQL's driver gives it
        utc = value
    elif value.tzinfo is None:
        utc = value.replace(tzinfo=UTC)
    else:
        utc = value.astimezone(UTC)
    if utc.year < 1000:  # strftime does not pad such a year
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as the strftime above, at under half the cost of strftime or isoformat.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (faster than format)
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond,
    )


# Exactly these types pass rule 2 at a glance; anything else (a subclass, a container) is
# looked at by _require_plain in full, so the fast path accepts nothing the slow one refuses.
_PLAIN_SCALARS: Final = frozenset({str, int, bool, type(None)})


def _require_plain(value: Any, where: str) -> None:
    """Only what every JSON library writes alike: no floats, only string keys (rule 2)."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return
    if kind is dict and all(type(key) is str for key in value):
        for item in value.values():
            if type(item) not in _PLAIN_SCALARS:
                _require_plain(item, where)
        return
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _require_plain(item, where)
        return
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        for item in value.values():
            _require_plain(item, where)
        return
    raise TypeError(f"{where}: an audit record holds text, whole numbers, true/false and null")


# What json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) uses: the same
# encoder for a value alone writes the same bytes as for that value inside a document.
_ENCODER: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode_value: Final = _ENCODER.encode
_encode_text: Final = json.encoder.encode_basestring


def canonical_detail(detail: Any) -> str:
    """``detail`` as the canonical encoding writes it (rule 2); what the store keeps, so that
    the stored text is exactly the bytes hashed."""
    return _encode_value(detail)


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return _encode_text(value)
    if type(value) is int:
        # What the encoder writes for an int, without the encoder it would build per call.
        return int.__repr__(value)
    return _encode_value(value)


def _assemble(  # noqa: PLR0917 (positional: a walk calls it for every record)
    action: Any,
    actor: Any,
    correlation_id: Any,
    detail: str,
    notification_id: Any,
    notification_type: Any,
    prev: str,
    protocol_version: Any,
    recipient: Any,
    recorded_at: datetime,
    rule_id: Any,
    seq: str,
) -> bytes:
    """The canonical document with ``detail`` and ``seq`` already encoded: its members written
    in sorted order, byte for byte what ``json.dumps`` of the whole document with rule 2's
    settings writes (the known-answer test in tests/unit/test_audit_chain.py holds it to that)."""
    v = _value
    return (
        f'{{"action":{v(action)},"actor":{v(actor)},"correlation_id":{v(correlation_id)},'
        f'"detail":{detail},"notification_id":{v(notification_id)},'
        f'"notification_type":{v(notification_type)},"prev":{v(prev)},'
        f'"protocol_version":{v(protocol_version)},"recipient":{v(recipient)},'
        f'"recorded_at":"{utc_text(recorded_at)}","rule_id":{v(rule_id)},"seq":{seq}}}'
    ).encode()


def _assemble_fields(fields: Mapping[str, Any], seq: str, prev: str, detail: str) -> bytes:
    f = fields
    return _assemble(
        f["action"], f["actor"], f["correlation_id"], detail, f["notification_id"],
        f["notification_type"], prev, f["protocol_version"], f["recipient"], f["recorded_at"],
        f["rule_id"], seq,
    )  # fmt: skip


def canonical_record(fields: Mapping[str, Any], *, seq: int, prev: str) -> bytes:
    """The bytes a record's hash covers (rule 2); ``TypeError`` for a value outside it."""
    for name in CHAINED_FIELDS:
        value = fields[name]
        if name != "recorded_at" and type(value) not in _PLAIN_SCALARS:
            _require_plain(value, name)
    return _assemble_fields(fields, _value(seq), prev, _encode_value(fields["detail"]))


def stored_record_hash(fields: Mapping[str, Any], *, seq: int, prev: str) -> str:
    """The hash of a record whose ``detail`` is the JSON text the store kept, spliced in as it
    is: the record's hash when that text is the canonical encoding (as the hub writes it)."""
    return _stored_hash(_assemble_fields(fields, _value(seq), prev, fields["detail"]))


def _stored_hash(document: bytes) -> str:
    return hashlib.sha256(DOMAIN + document).hexdigest()


def record_hash(fields: Mapping[str, Any], *, seq: int, prev: str) -> str:
    """The hash of a record with these fields at ``seq`` after ``prev``."""
    return hashlib.sha256(DOMAIN + canonical_record(fields, seq=seq, prev=prev)).hexdigest()


def link(rows: list[dict[str, Any]], *, head_seq: int, head_hash: str) -> list[dict[str, Any]]:
    """``rows`` (table rows of new records) chained after the head, with seq and hashes set."""
    linked = []
    seq, prev = head_seq, head_hash
    for row in rows:
        seq += 1
        digest = record_hash(row, seq=seq, prev=prev)
        linked.append({**row, "seq": seq, "prev_hash": prev, "record_hash": digest})
        prev = digest
    return linked


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first bad record: its sequence number, its row id, and what is wrong with it."""

    seq: int | None
    record_id: int | None
    reason: str


class ChainVerifier:
    """Checks records fed in ``seq`` order (rule 3); ``broken`` is the first break, if any."""

    def __init__(
        self,
        watch: frozenset[int] = frozenset(),
        *,
        after: tuple[int, str] = (0, GENESIS),
        macs: RecordMacs | None = None,
        unvouched_through: int = 0,
    ) -> None:
        self.checked = 0
        self.start = after  # the seq and hash the walk starts after; the genesis by default
        self.head_seq, self.head_hash = after
        self.broken: ChainBreak | None = None
        self._watch = watch
        self.hashes_at: dict[int, str] = {}  # the verified hash at each watched seq
        self.macs_checked = macs is not None
        self._macs = macs
        self._unvouched_through = unvouched_through

    def feed(self, row: Mapping[Any, Any]) -> bool:
        """Check the next record; False (and ``broken`` set) once the chain is broken."""
        if self.broken is not None:
            return False
        seq, record_id = row["seq"], row.get("id")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return self._break(None, record_id, "its sequence number is not a number")
        expected = self.head_seq + 1
        if seq != expected:
            why = "missing" if seq > expected else "out of order"
            return self._break(seq, record_id, f"sequence {seq} where {expected} was due ({why})")
        if row["prev_hash"] != self.head_hash:
            return self._break(seq, record_id, "does not follow the record before it")
        if (reason := self._content_problem(row, seq)) is not None:
            return self._break(seq, record_id, reason)
        self.checked += 1
        self.head_seq, self.head_hash = seq, row["record_hash"]
        if seq in self._watch:
            self.hashes_at[seq] = self.head_hash
        return True

    def feed_stored(self, row: Mapping[Any, Any]) -> bool:
        """:meth:`feed` a row whose ``detail`` is the JSON text the store kept (rule 7).

        The text is spliced into the canonical document unparsed when the writer's MAC keys
        are held: if that gives the record's hash and its MAC checks, the text is what the
        hub's writer hashed, which is the canonical encoding. Anything else (no keys, no MAC,
        a mismatch, text another encoder wrote) is parsed and checked as :meth:`feed` does,
        so both give the same verdict and the same reason.
        """
        macs, seq = self._macs, row["seq"]
        if (
            macs is not None
            and self.broken is None
            and type(seq) is int
            and seq == self.head_seq + 1
            and row["prev_hash"] == self.head_hash
            and (digest := row["record_hash"])
            == stored_record_hash(row, seq=seq, prev=self.head_hash)
            and (kid := row["mac_kid"]) is not None
            and (mac := row["mac"]) is not None
            and macs.check(kid, digest, mac)
        ):
            self._vouched(seq, digest)
            return True
        try:
            detail = json.loads(row["detail"])
        except (TypeError, ValueError):
            return self._break(
                seq if type(seq) is int else None, row.get("id"), "its detail is not JSON"
            )
        return self.feed({**row, "detail": detail})

    def feed_columns(self, row: Sequence[Any]) -> bool:
        """:meth:`feed_stored` a row given as its values in :data:`STORED_COLUMNS` order: read
        by position, which is cheaper than by name when a walk feeds every record."""
        (_, seq, prev, digest, recorded_at, action, correlation_id, notification_id,
         notification_type, actor, recipient, rule_id, version, detail, kid, mac) = row  # fmt: skip
        macs = self._macs
        if (
            macs is not None
            and self.broken is None
            and type(seq) is int
            and seq == self.head_seq + 1
            and prev == self.head_hash
            and kid is not None
            and mac is not None
        ):
            document = _assemble(
                action, actor, correlation_id, detail, notification_id, notification_type, prev,
                version, recipient, recorded_at, rule_id, int.__repr__(seq),
            )  # fmt: skip
            if digest == _stored_hash(document) and macs.check(kid, digest, mac):
                self._vouched(seq, digest)
                return True
        return self.feed_stored(dict(zip(STORED_COLUMNS, row, strict=True)))

    def _vouched(self, seq: int, digest: str) -> None:
        self.checked += 1
        self.head_seq, self.head_hash = seq, digest
        if seq in self._watch:
            self.hashes_at[seq] = digest

    def _content_problem(self, row: Mapping[Any, Any], seq: int) -> str | None:
        """Why the record's contents are not what its hash and its writer's MAC say (rules 3
        and 5), or None. Without MAC keys, only the hash is checked."""
        if record_hash(row, seq=seq, prev=self.head_hash) != row["record_hash"]:
            return "its contents do not match its hash"
        macs = self._macs
        if macs is None:
            return None
        kid, mac = row.get("mac_kid"), row.get("mac")
        if kid is None or mac is None:
            if seq <= self._unvouched_through:
                return None
            return "it carries no MAC of the hub's writer: the hub did not append it"
        if not macs.check(str(kid), str(row["record_hash"]), str(mac)):
            return "its MAC does not check: the hub did not append it"
        return None

    def outside(self, count: int) -> None:
        """Report ``count`` records that the walk by ``seq`` never reached (rule 3)."""
        if self.broken is None and count:
            self.broken = ChainBreak(
                None,
                None,
                f"{count} record(s) outside the chain (sequence number missing, repeated, "
                "zero or negative)",
            )

    def _break(self, seq: int | None, record_id: int | None, reason: str) -> bool:
        self.broken = ChainBreak(seq, record_id, reason)
        return False
