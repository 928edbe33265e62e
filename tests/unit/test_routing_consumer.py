"""The routing consumer's acknowledgement policy: ack, requeue with back-off, or dead-letter.

The router is scripted to succeed or to raise; the message is a fake that records how it was
settled. ``tests/integration/test_routing_consumer_broker.py`` runs the same policy on RabbitMQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from hub import BrokerUnavailable, FieldProblem, InvalidNotification, StoreUnavailable
from hub.audit import AuditAction
from hub.crypto import InvalidMessage, Reason
from hub.delivery import DELIVERY_LIMIT
from hub.routing import MAX_BACKOFF_SECONDS, RoutingConsumer, backoff_seconds
from hub.sharing import Decision, decide
from protocols import load_protocol
from schemas import parse_notification
from tests.fakes import (
    FakeAuditLog,
    FakeIncomingMessage,
    FixedClock,
    RecordingSleep,
    ScriptedRouter,
)
from tests.unit.builders import PROTOCOL_PATH, documented_example

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LAST_ATTEMPT = DELIVERY_LIMIT - 1  # x-delivery-count on the last delivery the limit allows
TRANSIENT: tuple[Reason, ...] = ("unknown_kid", "unknown_agency", "key_not_yet_valid")
PEERS_FAULT: tuple[Reason, ...] = ("bad_signature", "decrypt_failed", "malformed", "expired_key")


def _decision() -> Decision:
    notification = parse_notification(documented_example("missing_episode.started"))
    return decide(notification, load_protocol(PROTOCOL_PATH), NOW)


@dataclass
class Consuming:
    router: ScriptedRouter
    audit: FakeAuditLog
    sleep: RecordingSleep
    consumer: RoutingConsumer

    def failures(self) -> list[dict[str, Any]]:
        return [e.detail for e in self.audit.entries if e.action is AuditAction.ROUTING_FAILED]


def _consuming(outcome: Decision | BaseException | None, *, audit_down: bool = False) -> Consuming:
    router = ScriptedRouter(outcome)
    audit = FakeAuditLog(fail=audit_down)
    sleep = RecordingSleep()
    consumer = RoutingConsumer(
        router,  # type: ignore[arg-type]  # a scripted stand-in with the Router's shape
        audit=audit,
        clock=FixedClock(NOW),
        sleep=sleep,
    )
    return Consuming(router, audit, sleep, consumer)


def _message(attempts: int | None = None, **headers: Any) -> FakeIncomingMessage:
    if attempts is not None:
        headers["x-delivery-count"] = attempts
    return FakeIncomingMessage(body=b"sealed", headers=headers)


async def test_a_routed_message_is_acknowledged() -> None:
    """A notification the router routed is acknowledged, and nothing is audited as a failure."""
    consuming = _consuming(_decision())
    message = _message()

    await consuming.consumer.on_message(message)

    assert message.outcome == "acked"
    assert consuming.router.calls == [(b"sealed", "fake-corr-1")]
    assert consuming.failures() == []


async def test_a_duplicate_is_acknowledged() -> None:
    """A notification already routed (the router returns None) is acknowledged, not requeued."""
    consuming = _consuming(None)
    message = _message()

    await consuming.consumer.on_message(message)

    assert message.outcome == "acked"


@pytest.mark.parametrize("reason", TRANSIENT)
async def test_a_passing_key_state_is_requeued_after_a_back_off(reason: Reason) -> None:
    """A kid not yet distributed or a key not yet valid is retried later, not dead-lettered."""
    consuming = _consuming(InvalidMessage(reason, kid="kid-1"))
    message = _message(attempts=0)

    await consuming.consumer.on_message(message)

    assert message.outcome == "requeued"
    assert consuming.sleep.waits == [backoff_seconds(0)]
    assert consuming.failures() == []


@pytest.mark.parametrize("error", [BrokerUnavailable("down"), StoreUnavailable("down")])
async def test_a_failure_of_ours_is_requeued_after_a_back_off(error: Exception) -> None:
    """A broker or database outage requeues the message after an exponential back-off."""
    consuming = _consuming(error)
    message = _message(attempts=3)

    await consuming.consumer.on_message(message)

    assert message.outcome == "requeued"
    assert consuming.sleep.waits == [4.0]


@pytest.mark.parametrize("attempts", [0, 1, LAST_ATTEMPT - 1])
async def test_every_attempt_before_the_last_is_requeued(attempts: int) -> None:
    """Up to the last attempt the delivery limit allows, a transient failure is retried."""
    consuming = _consuming(InvalidMessage("unknown_kid"))
    message = _message(attempts=attempts)

    await consuming.consumer.on_message(message)

    assert message.outcome == "requeued"


@pytest.mark.parametrize(
    "error", [InvalidMessage("key_not_yet_valid"), StoreUnavailable("still down")]
)
async def test_the_last_attempt_is_audited_and_dead_lettered(error: Exception) -> None:
    """On the last attempt the limit allows, the failure is audited and the message dead-letters."""
    consuming = _consuming(error)
    message = _message(attempts=LAST_ATTEMPT)

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    assert consuming.sleep.waits == []
    (failure,) = consuming.failures()
    assert failure["reason"] == f"gave up after {DELIVERY_LIMIT} attempts"
    assert failure["ids_verified"] is False
    assert consuming.audit.entries[0].notification_id == "fake-message-1"


async def test_giving_up_dead_letters_even_when_the_audit_log_is_down() -> None:
    """A database outage that outlasts the limit still dead-letters instead of looping."""
    consuming = _consuming(StoreUnavailable("down"), audit_down=True)
    message = _message(attempts=LAST_ATTEMPT)

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"


@pytest.mark.parametrize("reason", PEERS_FAULT)
async def test_an_unverifiable_envelope_is_dead_lettered_at_once(reason: Reason) -> None:
    """A peer's bad envelope is audited with the failed check and dead-lettered on attempt one."""
    consuming = _consuming(InvalidMessage(reason, kid="kid-9"))
    message = _message(attempts=0)

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    assert consuming.sleep.waits == []
    assert consuming.failures() == [
        {"reason": "verification failed", "check": reason, "kid": "kid-9", "ids_verified": False}
    ]


async def test_contents_that_are_not_a_notification_are_dead_lettered_at_once() -> None:
    """Verified contents that fail validation are audited by field and rule, then dead-lettered."""
    invalid = InvalidNotification(
        "ingress message is not a canonical notification",
        (FieldProblem("data.person.nhs_number", "invalid_nhs_number", "not an NHS number"),),
    )
    consuming = _consuming(invalid)
    message = _message(attempts=0)

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    (failure,) = consuming.failures()
    assert failure["problems"] == [
        {"field": "data.person.nhs_number", "rule": "invalid_nhs_number"}
    ]


async def test_an_unexpected_error_is_audited_by_type_and_dead_lettered() -> None:
    """A bug of ours leaves a trace in the audit log (its type, never its message)."""
    consuming = _consuming(KeyError("CANARY-value-in-a-message"))
    message = _message(attempts=0)

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    assert consuming.failures() == [
        {"reason": "unexpected error", "error": "KeyError", "ids_verified": False}
    ]


async def test_a_refusal_the_audit_log_cannot_record_is_retried() -> None:
    """With the audit log down, a peer's bad envelope is requeued, not dropped unrecorded."""
    consuming = _consuming(InvalidMessage("bad_signature"), audit_down=True)
    message = _message(attempts=0)

    await consuming.consumer.on_message(message)

    assert message.outcome == "requeued"
    assert consuming.sleep.waits == [backoff_seconds(0)]


@pytest.mark.parametrize("headers", [{}, {"x-delivery-count": True}, {"x-delivery-count": "19"}])
async def test_a_missing_or_malformed_count_is_a_first_attempt(headers: dict[str, Any]) -> None:
    """Without a usable ``x-delivery-count`` the message counts as on its first attempt."""
    consuming = _consuming(StoreUnavailable("down"))
    message = FakeIncomingMessage(headers=headers)

    await consuming.consumer.on_message(message)

    assert message.outcome == "requeued"
    assert consuming.sleep.waits == [backoff_seconds(0)]


def test_the_back_off_doubles_up_to_its_cap() -> None:
    """The wait doubles from half a second and never exceeds the cap."""
    waits = [backoff_seconds(attempts) for attempts in range(LAST_ATTEMPT)]

    assert waits[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(waits) == MAX_BACKOFF_SECONDS
    assert waits == sorted(waits)
