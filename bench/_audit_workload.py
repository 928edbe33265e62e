"""The audit benchmark's synthetic log: records shaped like the hub's, built in parallel.

Rules:

1. Synthetic only: ids, agency and rule ids from the demo protocol, subject tokens derived from
   a counter; no person.
2. The log is cut into chunks of :data:`CHUNK` records. Each chunk is its own seeded stream of
   entries (:class:`_Workload`), built in a worker process into table rows whose canonical
   encoding is ready but for ``prev``: the bytes before and after it. Chaining (one SHA-256 and
   one MAC per record, in ``seq`` order) is all that is left to the parent, so building uses
   both cores.
3. ``detail`` is stored as its canonical text, as the hub's engine writes it, and every record
   carries the MAC of a benchmark key, as the hub's writer vouches for its records.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hub.audit import (
    CHAINED_FIELDS,
    GENESIS,
    AuditAction,
    AuditEntry,
    RecordMacs,
    canonical_detail,
    canonical_record,
    record_hash,
)
from hub.stores import audit_rows

__all__ = [
    "CHUNK",
    "COPY_COLUMNS",
    "BuiltChunk",
    "as_table_row",
    "build_chunk",
    "chain_chunk",
    "link_check",
    "token",
    "tokens_of",
]

CHUNK: Final = 50_000
COPY_COLUMNS: Final = (*CHAINED_FIELDS, "seq", "prev_hash", "record_hash", "mac_kid", "mac")
_DOMAIN: Final = b"sehub-audit-1\n"  # rule 2 of hub.audit._chain; chain_chunk checks it
_PREV: Final = b',"prev":"'

# Shaped like the demo protocol (protocols/northumberland.yaml); ids only, no person.
_AGENCIES: Final = (
    "northumbria-police",
    "northumberland-childrens",
    "northumberland-adults",
    "northumberland-education",
    "northumbria-healthcare",
    "newcastle-childrens",
    "durham-childrens",
    "durham-constabulary",
)
_TYPES_AND_RULES: Final = (
    ("uk.sehub.missing_episode.started.v1", "missing-child-from-council-to-police"),
    ("uk.sehub.missing_episode.started.v1", "missing-child-from-police-to-councils"),
    ("uk.sehub.missing_episode.ended.v1", "missing-child-between-councils"),
    ("uk.sehub.return_interview.recorded.v1", "return-interview-to-police"),
    ("uk.sehub.placement.started.v1", "placement-to-host-area"),
    ("uk.sehub.concern.raised.v1", "child-concern-from-police-to-councils"),
    ("uk.sehub.se_risk.assessed.v1", "se-risk-to-police"),
    ("uk.sehub.education.concern_raised.v1", "education-concern-to-childrens-services"),
)
_PROTOCOL_VERSION: Final = "2026.11.2+747bd130aeba"
_FIELDS: Final = ("subject.local_id", "subject.nhs_number", "subject.upn", "episode.started_at")
_START: Final = datetime(2026, 1, 1, tzinfo=UTC)


def token(subject: int, which: int) -> str:
    """A synthetic audit token: the shape of a real one (64 hex digits), from a counter."""
    return hashlib.sha256(f"bench-subject-{subject}-{which}".encode()).hexdigest()


def tokens_of(subject: int) -> list[str]:
    """A subject is named by 2 or 3 tokens (its local id, NHS number, UPN)."""
    return sorted(token(subject, which) for which in range(2 + subject % 2))


class _Workload:
    """Entries shaped like the hub writes them, in the order it writes them (seeded)."""

    def __init__(self, n: int, seed: int, chunk: int = 0) -> None:
        # Each chunk of the log is its own seeded stream, so chunks can be built in parallel.
        self.rng = random.Random(seed * 1_000_003 + chunk)  # noqa: S311 - synthetic, not a secret
        self.population = max(1, n // 20)
        self.named: set[int] = set()  # subjects some record names
        self.clock = _START + timedelta(seconds=CHUNK * chunk // 10)
        self.notifications = chunk * CHUNK

    def _tick(self) -> datetime:
        self.clock += timedelta(microseconds=self.rng.randint(1, 400_000))
        return self.clock

    def entries(self) -> Iterator[AuditEntry]:
        """An endless stream: mostly notifications (accepted, shared, refused, published),
        with the occasional rejection, duplicate, failed authentication and auditor query."""
        rng = self.rng
        while True:
            roll = rng.random()
            if roll < 0.08:
                yield self._rejected()
            elif roll < 0.11:
                yield self._duplicate()
            elif roll < 0.15:
                yield self._authentication_failed()
            elif roll < 0.18:
                yield self._audit_queried()
            else:
                yield from self._notification()

    def _notification(self) -> Iterator[AuditEntry]:
        rng = self.rng
        self.notifications += 1
        kind, rule = rng.choice(_TYPES_AND_RULES)
        publisher = rng.choice(_AGENCIES)
        subject = rng.randrange(self.population)
        self.named.add(subject)
        about = tokens_of(subject)
        base = AuditEntry(
            action=AuditAction.NOTIFICATION_ACCEPTED,
            recorded_at=self._tick(),
            correlation_id=f"corr-{self.notifications:09d}",
            notification_id=f"bench-{self.notifications:09d}",
            notification_type=kind,
            actor=publisher,
        )
        yield base
        others = [agency for agency in _AGENCIES if agency != publisher]
        told = rng.sample(others, rng.choice((1, 1, 2, 2, 3)))
        refused = rng.sample([a for a in others if a not in told], rng.choice((0, 0, 1)))
        decided = self._tick()
        signature = hashlib.sha256(f"sig-{self.notifications}".encode()).hexdigest()
        for recipient in told:
            yield replace(
                base,
                action=AuditAction.NOTIFICATION_SHARED,
                recorded_at=decided,
                recipient=recipient,
                rule_id=rule,
                protocol_version=_PROTOCOL_VERSION,
                detail={
                    "lawful_basis": ["Children Act 1989 s.47", "UK GDPR Art 6(1)(e)"],
                    "purpose": "safeguarding a child at risk",
                    "shared": list(_FIELDS[: rng.randint(2, 4)]),
                    "withheld": list(_FIELDS[rng.randint(2, 4) :]),
                    "acknowledge_by": (decided + timedelta(hours=4)).isoformat(),
                    "source_sig_sha256": signature,
                    "subjects": about,
                },
            )
        for recipient in refused:
            yield replace(
                base,
                action=AuditAction.SHARING_REFUSED,
                recorded_at=decided,
                recipient=recipient,
                protocol_version=_PROTOCOL_VERSION,
                detail={
                    "reason": "no rule shares this type with this recipient",
                    "subjects": about,
                },
            )
        for recipient in told:
            yield replace(
                base,
                action=AuditAction.DELIVERY_PUBLISHED,
                recorded_at=self._tick(),
                recipient=recipient,
            )

    def _rejected(self) -> AuditEntry:
        return AuditEntry(
            action=AuditAction.NOTIFICATION_REJECTED,
            recorded_at=self._tick(),
            correlation_id=f"corr-r-{self.rng.getrandbits(40):010x}",
            actor=self.rng.choice(_AGENCIES),
            detail={
                "status": 422,
                "reason": "1 field(s) failed validation",
                "problems": [{"field": "subject.nhs_number", "rule": "nhs_number_checksum"}],
            },
        )

    def _duplicate(self) -> AuditEntry:
        number = self.rng.randint(1, max(1, self.notifications))
        return AuditEntry(
            action=AuditAction.NOTIFICATION_DUPLICATE,
            recorded_at=self._tick(),
            correlation_id=f"corr-d-{self.rng.getrandbits(40):010x}",
            notification_id=f"bench-{number:09d}",
            notification_type=_TYPES_AND_RULES[0][0],
            actor=self.rng.choice(_AGENCIES),
            detail={"reason": "already routed: same source and id"},
        )

    def _authentication_failed(self) -> AuditEntry:
        minute = self.clock.replace(second=0, microsecond=0)
        return AuditEntry(
            action=AuditAction.AUTHENTICATION_FAILED,
            recorded_at=self._tick(),
            detail={
                "minute": minute.isoformat(),
                "until": (minute + timedelta(minutes=1)).isoformat(),
                "source": f"192.0.2.{self.rng.randint(1, 254)}",  # TEST-NET-1
                "token_sha256_prefix": f"{self.rng.getrandbits(48):012x}",
                "attempts": self.rng.randint(1, 30),
            },
        )

    def _audit_queried(self) -> AuditEntry:
        return AuditEntry(
            action=AuditAction.AUDIT_QUERIED,
            recorded_at=self._tick(),
            actor="auditor-bench",
            detail={"endpoint": "records", "filters": {"subject": True, "limit": 100}},
        )


@dataclass
class BuiltChunk:
    """One chunk's rows, ready to chain: each is its column values (``detail`` as text) and
    the canonical bytes before and after ``prev``; and the subjects it named."""

    first_seq: int
    rows: list[tuple[tuple[Any, ...], bytes, bytes]]
    index: list[tuple[str, int]]
    named: set[int]
    naming: int


def build_chunk(n: int, seed: int, chunk: int) -> BuiltChunk:
    """Chunk ``chunk`` of a log of ``n`` records (rule 2); runs in a worker process."""
    first = chunk * CHUNK + 1
    count = min(CHUNK, n - first + 1)
    workload = _Workload(n, seed, chunk)
    stream = workload.entries()
    rows = audit_rows(next(stream) for _ in range(count))
    built = []
    index: list[tuple[str, int]] = []
    naming = 0
    for seq, row in enumerate(rows, start=first):
        document = canonical_record(row, seq=seq, prev=GENESIS)
        cut = document.rindex(_PREV) + len(_PREV)
        values = tuple(
            canonical_detail(row["detail"]) if name == "detail" else row[name]
            for name in CHAINED_FIELDS
        )
        built.append((values, _DOMAIN + document[:cut], document[cut + len(GENESIS) :]))
        subjects = sorted(set(row["detail"].get("subjects", ())))
        naming += bool(subjects)
        index.extend((subject, seq) for subject in subjects)
    return BuiltChunk(first, built, index, workload.named, naming)


def chain_chunk(
    chunk: BuiltChunk, head_hash: str, macs: RecordMacs
) -> tuple[list[tuple[Any, ...]], str]:
    """The chunk's rows chained after ``head_hash`` with their MACs (``COPY_COLUMNS`` order),
    and the new head's hash."""
    chained = []
    prev = head_hash
    seq = chunk.first_seq
    for values, before, after in chunk.rows:
        digest = hashlib.sha256(before + prev.encode() + after).hexdigest()
        chained.append((*values, seq, prev, digest, *macs.vouch(digest)))
        prev = digest
        seq += 1
    return chained, prev


def as_table_row(values: tuple[Any, ...]) -> dict[str, Any]:
    """A chained row as a dict of columns, ``detail`` parsed (for SQLAlchemy's inserts)."""
    row = dict(zip(COPY_COLUMNS, values, strict=True))
    row["detail"] = json.loads(row["detail"])
    return row


def link_check(row: dict[str, Any]) -> None:
    """Fail loudly if the chaining above ever disagreed with the hub's own encoding."""
    expected = record_hash(row, seq=row["seq"], prev=row["prev_hash"])
    if expected != row["record_hash"]:
        raise AssertionError("the benchmark chained a record differently from hub.audit")
