"""The audit of dead letters: metadata recorded before the acknowledgement, retried by time
while the audit log is down, never dropped or dead-lettered; and the record of a requeue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.audit import AuditAction, AuditEntry
from hub.delivery import DeadLetter, agency_queue_name
from hub.routing import DeadLetterAuditor, dead_lettered_entry, requeued_entry
from tests.fakes import FakeAuditLog, FixedClock

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
DIED = datetime(2026, 11, 29, 9, 0, 5, tzinfo=UTC)
POLICE = "northumbria-police"
DELIVERY = "0123456789abcdef0123456789abcdef"
BODY = b"SEALED-CANARY-PAYLOAD"


@dataclass
class DeadMessage:
    """A message on ``sehub.dead.audit``, recording how it was settled."""

    body: bytes = BODY
    message_id: str | None = "n-0001"
    type: str | None = "uk.gov.sehub.missing_episode.started"
    correlation_id: str | None = "corr-1"
    content_type: str | None = "application/vnd.sehub.delivery-envelope+json"
    headers: dict[str, Any] = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)
    audit: FakeAuditLog | None = None  # if given, an ack says how many records it followed

    async def ack(self) -> None:
        after = "" if self.audit is None else f" after {len(self.audit.entries)} record(s)"
        self.settled.append(f"ack{after}")

    async def nack(self, *, requeue: bool = True) -> None:
        self.settled.append(f"nack requeue={requeue}")

    async def reject(self, *, requeue: bool = False) -> None:
        self.settled.append(f"reject requeue={requeue}")


def _rejected_by_police() -> DeadMessage:
    queue = agency_queue_name(POLICE)
    return DeadMessage(
        headers={
            "sehub-delivery-id": DELIVERY,
            "sehub-recipient": POLICE,
            "x-death": [
                {
                    "count": 1,
                    "reason": "rejected",
                    "queue": queue,
                    "time": DIED,
                    "exchange": "sehub.deliver",
                    "routing-keys": [POLICE],
                }
            ],
            "x-first-death-queue": queue,
            "x-first-death-reason": "rejected",
        }
    )


@dataclass
class OutageSleep:
    """Waits nothing; the audit log comes back after ``outage`` waits."""

    audit: FakeAuditLog
    outage: int
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) >= self.outage:
            self.audit.fail = False


class BrokenAuditLog(FakeAuditLog):
    """An audit log whose writer has a bug (not a ServiceError) until it is fixed."""

    broken: bool = True

    async def record(self, *entries: AuditEntry) -> None:
        if self.broken:
            raise KeyError("a bug of ours")
        await super().record(*entries)


def _letter(message: DeadMessage) -> DeadLetter:
    return DeadLetter.of(message)  # type: ignore[arg-type]  # the properties it reads


async def test_a_dead_letter_is_recorded_with_its_metadata_then_acknowledged() -> None:
    """One ``message.dead_lettered`` naming the queue, reason, ids and recipient; then ack."""
    audit = FakeAuditLog()
    message = _rejected_by_police()

    await DeadLetterAuditor(audit, FixedClock(NOW)).on_message(message)  # type: ignore[arg-type]

    (entry,) = audit.entries
    assert entry.action is AuditAction.MESSAGE_DEAD_LETTERED
    assert entry.recipient == POLICE
    assert entry.notification_id == "n-0001"
    assert entry.notification_type == "uk.gov.sehub.missing_episode.started"
    assert entry.correlation_id == "corr-1"
    assert entry.recorded_at == NOW
    assert entry.detail == {
        "queue": "sehub.agency.northumbria-police",
        "reason": "rejected",
        "count": 1,
        "message_id": "n-0001",
        "delivery_id": DELIVERY,
        "dead_lettered_at": "2026-11-29T09:00:05+00:00",
        "requeues": 0,
        "ids_verified": False,
    }
    assert "CANARY" not in json.dumps(entry.detail)
    assert message.settled == ["ack"]


async def test_while_the_audit_log_is_down_the_record_is_retried_by_time() -> None:
    """An outage delays the record with a growing wait; the copy is acked once it is recorded."""
    audit = FakeAuditLog(fail=True)
    sleep = OutageSleep(audit, outage=4)
    message = _rejected_by_police()
    message.audit = audit

    await DeadLetterAuditor(audit, FixedClock(NOW), sleep=sleep).on_message(message)  # type: ignore[arg-type]

    assert sleep.waits == [0.5, 1.0, 2.0, 4.0]
    assert [entry.action for entry in audit.entries] == [AuditAction.MESSAGE_DEAD_LETTERED]
    assert message.settled == ["ack after 1 record(s)"]


async def test_a_long_outage_waits_at_most_the_cap_and_never_gives_up() -> None:
    """Twenty failures in a row: the waits stop growing at 30 s, and nothing is dropped."""
    audit = FakeAuditLog(fail=True)
    sleep = OutageSleep(audit, outage=20)
    message = _rejected_by_police()

    await DeadLetterAuditor(audit, FixedClock(NOW), sleep=sleep).on_message(message)  # type: ignore[arg-type]

    assert max(sleep.waits) == 30.0
    assert len(audit.entries) == 1
    assert message.settled == ["ack"]


async def test_a_bug_in_the_writer_is_retried_too_never_dead_lettered() -> None:
    """Any failure of the record is retried; the message is neither rejected nor requeued."""
    audit = BrokenAuditLog()
    waits: list[float] = []

    async def fix_after_two(seconds: float) -> None:
        waits.append(seconds)
        audit.broken = len(waits) < 2

    message = _rejected_by_police()
    await DeadLetterAuditor(audit, FixedClock(NOW), sleep=fix_after_two).on_message(message)  # type: ignore[arg-type]

    assert len(waits) == 2
    assert len(audit.entries) == 1
    assert message.settled == ["ack"]


async def test_a_message_with_no_bookkeeping_is_recorded_as_of_unknown_origin() -> None:
    """Something published straight to the dead exchange is still recorded, reason unknown."""
    audit = FakeAuditLog()
    message = DeadMessage(message_id=None, type=None, correlation_id=None)

    await DeadLetterAuditor(audit, FixedClock(NOW)).on_message(message)  # type: ignore[arg-type]

    (entry,) = audit.entries
    assert entry.detail["reason"] is None
    assert entry.detail["queue"] is None
    assert entry.recipient is None
    assert message.settled == ["ack"]


def test_a_requeue_is_recorded_with_the_operator_and_where_it_went() -> None:
    """``dead_letter.requeued``: the OS user as actor, the destination and the new count."""
    letter = _letter(_rejected_by_police())

    entry = requeued_entry(letter, ("sehub.deliver", POLICE), actor="operator1", now=NOW)

    assert entry.action is AuditAction.DEAD_LETTER_REQUEUED
    assert entry.actor == "operator1"
    assert entry.recipient == POLICE
    assert entry.detail["dead_letter_id"] == DELIVERY
    assert entry.detail["exchange"] == "sehub.deliver"
    assert entry.detail["routing_key"] == POLICE
    assert entry.detail["requeues"] == 1
    assert entry.detail["reason"] == "rejected"
    assert "CANARY" not in json.dumps(entry.detail)


def test_both_records_share_the_dead_letters_metadata() -> None:
    """The requeue record names the dead letter as its dead-lettering record did."""
    letter = _letter(_rejected_by_police())
    dead = dead_lettered_entry(letter, NOW)
    requeued = requeued_entry(letter, ("sehub.deliver", POLICE), actor="op", now=NOW)

    shared = ("queue", "reason", "count", "message_id", "delivery_id", "ids_verified")
    assert {key: dead.detail[key] for key in shared} == {
        key: requeued.detail[key] for key in shared
    }
