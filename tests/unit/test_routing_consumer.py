"""The routing consumer's acknowledgement policy: ack, hold and retry in place, or dead-letter.

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
from hub.routing import (
    KEY_PATIENCE_SECONDS,
    MAX_BACKOFF_SECONDS,
    RoutingConsumer,
    backoff_seconds,
)
from hub.sharing import Decision, decide
from protocols import load_protocol
from schemas import parse_notification
from tests.fakes import (
    FakeAuditLog,
    FakeChannel,
    FakeIncomingMessage,
    FixedClock,
    RecordingSleep,
    ScriptedRouter,
)
from tests.unit.builders import PROTOCOL_PATH, documented_example

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
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


Outcome = Decision | BaseException | None


def _consuming(outcome: Outcome | list[Outcome], *, audit_down: bool = False) -> Consuming:
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
async def test_a_passing_key_state_is_retried_in_place_until_the_key_comes(reason: Reason) -> None:
    """A kid not yet distributed or a key not yet valid is routed again after a back-off, and
    acknowledged once it verifies: never requeued, never dead-lettered."""
    consuming = _consuming([InvalidMessage(reason, kid="kid-1"), _decision()])
    message = _message()

    await consuming.consumer.on_message(message)

    assert message.outcome == "acked"
    assert len(consuming.router.calls) == 2
    assert consuming.sleep.waits == [backoff_seconds(0)]
    assert consuming.failures() == []


@pytest.mark.parametrize("error", [BrokerUnavailable("down"), StoreUnavailable("down")])
async def test_an_outage_of_ours_is_retried_in_place_for_as_long_as_it_lasts(
    error: Exception,
) -> None:
    """Forty failed attempts, twice the delivery limit, then success: the message is held and
    routed again each time, and acknowledged at the end; the broker's count plays no part."""
    consuming = _consuming([*[error] * 40, _decision()])
    message = _message(attempts=DELIVERY_LIMIT - 1)

    await consuming.consumer.on_message(message)

    assert message.outcome == "acked"
    assert len(consuming.router.calls) == 41
    assert consuming.sleep.waits == [backoff_seconds(n) for n in range(40)]
    assert consuming.failures() == []


async def test_a_key_that_never_comes_is_audited_and_dead_lettered_after_the_patience() -> None:
    """A kid still unknown after the patience has run out is audited and dead-lettered."""
    consuming = _consuming(InvalidMessage("unknown_kid", kid="kid-2"))
    message = _message()

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    assert sum(consuming.sleep.waits) >= KEY_PATIENCE_SECONDS
    assert sum(consuming.sleep.waits[:-1]) < KEY_PATIENCE_SECONDS
    (failure,) = consuming.failures()
    assert failure["check"] == "unknown_kid"
    assert failure["ids_verified"] is False
    assert consuming.audit.entries[0].notification_id == "fake-message-1"


async def test_a_message_whose_channel_closed_is_let_go_unsettled() -> None:
    """If the broker drops the channel during an outage, the consumer stops holding the message
    and leaves it to the broker to deliver again (settling it would fail)."""
    consuming = _consuming(StoreUnavailable("down"))
    message = _message()
    message.channel = FakeChannel(is_closed=True)

    await consuming.consumer.on_message(message)

    assert message.outcome is None
    assert len(consuming.router.calls) == 1


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


async def test_a_refusal_the_audit_log_cannot_record_is_held_until_it_is_recorded() -> None:
    """With the audit log down, a peer's bad envelope is held, not dropped unrecorded; once the
    log answers, the refusal is audited and the message dead-lettered."""
    consuming = _consuming(InvalidMessage("bad_signature"), audit_down=True)
    consuming.sleep.after = 3
    consuming.sleep.then = lambda: setattr(consuming.audit, "fail", False)
    message = _message()

    await consuming.consumer.on_message(message)

    assert message.outcome == "dead-lettered"
    assert consuming.sleep.waits == [backoff_seconds(n) for n in range(3)]
    assert [failure["check"] for failure in consuming.failures()] == ["bad_signature"]


def test_the_back_off_doubles_up_to_its_cap() -> None:
    """The wait doubles from half a second and never exceeds the cap."""
    waits = [backoff_seconds(attempts) for attempts in range(DELIVERY_LIMIT)]

    assert waits[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(waits) == MAX_BACKOFF_SECONDS
    assert waits == sorted(waits)
