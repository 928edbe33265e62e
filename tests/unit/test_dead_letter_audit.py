"""The audit of dead letters: metadata recorded before the acknowledgement, retried by time
while the audit log is down, never dropped or dead-lettered; and the record of a requeue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hub.audit import AuditAction, AuditEntry
from hub.delivery import ACK_QUEUE, DeadLetter, agency_queue_name
from hub.routing import DeadLetterAuditor, dead_lettered_entry, requeued_entry
from tests.fakes import FakeAuditLog, FakeIncomingMessage, FixedClock
from tests.fixtures import CANARY_NHS_NUMBER

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
DIED = datetime(2026, 11, 29, 9, 0, 5, tzinfo=UTC)
POLICE = "northumbria-police"
DELIVERY = "0123456789abcdef0123456789abcdef"
BODY = b"SEALED-CANARY-PAYLOAD"


def _rejected_by_police() -> FakeIncomingMessage:
    """The police's copy of a notification, as RabbitMQ dead-letters it after a reject."""
    queue = agency_queue_name(POLICE)
    return FakeIncomingMessage(
        body=BODY,
        message_id="n-0001",
        correlation_id="corr-1",
        type="uk.gov.sehub.missing_episode.started",
        content_type="application/vnd.sehub.delivery-envelope+json",
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
        },
    )


@dataclass
class SettlementCheckingAuditLog(FakeAuditLog):
    """Remembers whether the message was already settled when each record was committed."""

    message: FakeIncomingMessage | None = None
    settled_before_record: list[bool] = field(default_factory=list)

    async def record(self, *entries: AuditEntry) -> None:
        await super().record(*entries)
        assert self.message is not None
        self.settled_before_record.append(self.message.processed)


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


def _letter(message: FakeIncomingMessage) -> DeadLetter:
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
    assert message.outcome == "acked"


async def test_while_the_audit_log_is_down_the_record_is_retried_by_time() -> None:
    """An outage delays the record with a growing wait; the copy is acked once it is recorded."""
    message = _rejected_by_police()
    audit = SettlementCheckingAuditLog(fail=True, message=message)
    sleep = OutageSleep(audit, outage=4)

    await DeadLetterAuditor(audit, FixedClock(NOW), sleep=sleep).on_message(message)  # type: ignore[arg-type]

    assert sleep.waits == [0.5, 1.0, 2.0, 4.0]
    assert [entry.action for entry in audit.entries] == [AuditAction.MESSAGE_DEAD_LETTERED]
    assert audit.settled_before_record == [False]
    assert message.outcome == "acked"


async def test_a_long_outage_waits_at_most_the_cap_and_never_gives_up() -> None:
    """Twenty failures in a row: the waits stop growing at 30 s, and nothing is dropped."""
    audit = FakeAuditLog(fail=True)
    sleep = OutageSleep(audit, outage=20)
    message = _rejected_by_police()

    await DeadLetterAuditor(audit, FixedClock(NOW), sleep=sleep).on_message(message)  # type: ignore[arg-type]

    assert max(sleep.waits) == 30.0
    assert len(audit.entries) == 1
    assert message.outcome == "acked"


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
    assert message.outcome == "acked"


async def test_a_message_with_no_bookkeeping_is_recorded_as_of_unknown_origin() -> None:
    """Something published straight to the dead exchange is still recorded, reason unknown."""
    audit = FakeAuditLog()
    message = FakeIncomingMessage(message_id=None, correlation_id=None)

    await DeadLetterAuditor(audit, FixedClock(NOW)).on_message(message)  # type: ignore[arg-type]

    (entry,) = audit.entries
    assert entry.detail["reason"] is None
    assert entry.detail["queue"] is None
    assert entry.recipient is None
    assert message.outcome == "acked"


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


def _agency_reply(message_id: str, correlation_id: str, delivery: str) -> FakeIncomingMessage:
    """A reply message an agency published to ``sehub.acks``, properties of its own choosing,
    as RabbitMQ dead-letters it after the hub rejected it."""
    return FakeIncomingMessage(
        body=BODY,
        message_id=message_id,
        correlation_id=correlation_id,
        type=f"nhs {CANARY_NHS_NUMBER}",
        headers={
            "sehub-delivery-id": delivery,
            "x-death": [{"count": 1, "reason": "rejected", "queue": ACK_QUEUE, "time": DIED}],
        },
    )


def test_a_reply_letters_free_text_properties_are_not_recorded() -> None:
    """Of a letter that died in ``sehub.acks``, an agency's free-text message id, correlation
    id, type and delivery header are dropped; an acknowledgement's own id shapes are kept."""
    free = dead_lettered_entry(
        _letter(_agency_reply(f"nhs-{CANARY_NHS_NUMBER}", "case-42", "Jane")), NOW
    )
    ack_id, uuid_id = f"ack-{DELIVERY}-received", "0b7e9f2c-4a1d-4e8b-9c3f-5d6a7b8c9d0e"
    shaped = dead_lettered_entry(_letter(_agency_reply(ack_id, uuid_id, DELIVERY)), NOW)

    assert CANARY_NHS_NUMBER not in json.dumps([free.detail, free.notification_type])
    assert (free.notification_id, free.correlation_id, free.notification_type) == (None,) * 3
    assert (free.detail["message_id"], free.detail["delivery_id"]) == (None, None)
    assert (shaped.notification_id, shaped.correlation_id) == (ack_id, uuid_id)
    assert shaped.detail["delivery_id"] == DELIVERY
