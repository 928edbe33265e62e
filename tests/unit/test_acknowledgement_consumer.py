"""The reply-message consumer's policy: recorded and acknowledged, refused and dead-lettered
with a record, or held and retried in place while the database is down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hub import NotFound, StoreUnavailable
from hub.acknowledgements import AcknowledgementConsumer
from hub.audit import AuditAction
from hub.crypto import InvalidMessage
from hub.messages import AckAction, Acknowledgement
from tests.fakes import FakeAuditLog, FakeIncomingMessage, FixedClock, RecordingSleep

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@dataclass
class ScriptedAcknowledgements:
    """Stands in for the use case: raises what it is told, in turn, then succeeds."""

    outcomes: list[BaseException] = field(default_factory=list)
    calls: int = 0

    async def acknowledge_message(self, envelope: bytes) -> None:
        self.calls += 1
        if self.outcomes:
            raise self.outcomes.pop(0)


def _consumer(
    acknowledgements: ScriptedAcknowledgements, audit: FakeAuditLog, sleep: RecordingSleep
) -> AcknowledgementConsumer:
    return AcknowledgementConsumer(
        acknowledgements,  # type: ignore[arg-type]  # a scripted stand-in with its shape
        audit=audit,
        clock=FixedClock(NOW),
        sleep=sleep,
    )


async def test_a_recorded_acknowledgement_is_acknowledged_on_the_broker() -> None:
    """Nothing raised: the reply message is acked, and nothing is audited here."""
    audit, sleep = FakeAuditLog(), RecordingSleep()
    message = FakeIncomingMessage(body=b"sealed")
    await _consumer(ScriptedAcknowledgements(), audit, sleep).on_message(message)
    assert message.outcome == "acked"
    assert audit.entries == []


async def test_an_unverifiable_reply_is_audited_and_dead_lettered() -> None:
    """A bad signature: recorded as routing.failed with the check, never retried."""
    audit, sleep = FakeAuditLog(), RecordingSleep()
    message = FakeIncomingMessage(body=b"sealed")
    scripted = ScriptedAcknowledgements([InvalidMessage("bad_signature")])
    await _consumer(scripted, audit, sleep).on_message(message)
    assert message.outcome == "dead-lettered"
    (failed,) = audit.entries
    assert (failed.action, failed.detail["check"]) == (AuditAction.ROUTING_FAILED, "bad_signature")
    assert sleep.waits == []


@pytest.mark.parametrize(
    ("message_id", "correlation_id", "kept"),
    [
        ("nhs-9434765919", "case-42", (None, None)),
        (
            "ack-0123456789abcdef0123456789abcdef-actioned",
            "0b7e9f2c-4a1d-4e8b-9c3f-5d6a7b8c9d0e",
            (
                "ack-0123456789abcdef0123456789abcdef-actioned",
                "0b7e9f2c-4a1d-4e8b-9c3f-5d6a7b8c9d0e",
            ),
        ),
    ],
    ids=["free-text", "well-shaped"],
)
async def test_an_unverifiable_replys_own_properties_are_kept_only_if_well_shaped(
    message_id: str, correlation_id: str, kept: tuple[str | None, str | None]
) -> None:
    """The agency sets a reply's message and correlation ids itself: free text is not recorded,
    an acknowledgement id and a UUID are."""
    audit, sleep = FakeAuditLog(), RecordingSleep()
    message = FakeIncomingMessage(
        body=b"sealed", message_id=message_id, correlation_id=correlation_id
    )
    scripted = ScriptedAcknowledgements([InvalidMessage("bad_signature")])
    await _consumer(scripted, audit, sleep).on_message(message)
    (failed,) = audit.entries
    assert (failed.detail["message_id"], failed.correlation_id) == kept


async def test_a_reply_for_another_agencys_delivery_is_dead_lettered_at_once() -> None:
    """The use case refused it (and audited why): dead-lettered, not retried."""
    audit, sleep = FakeAuditLog(), RecordingSleep()
    message = FakeIncomingMessage(body=b"sealed")
    scripted = ScriptedAcknowledgements([NotFound("no such delivery for this agency")])
    await _consumer(scripted, audit, sleep).on_message(message)
    assert message.outcome == "dead-lettered"
    assert scripted.calls == 1


async def test_a_database_outage_holds_the_reply_and_retries_it_in_place() -> None:
    """Three failures of the store, then it records: the message is acked, never requeued."""
    audit, sleep = FakeAuditLog(), RecordingSleep()
    message = FakeIncomingMessage(body=b"sealed")
    scripted = ScriptedAcknowledgements([StoreUnavailable("down")] * 3)
    await _consumer(scripted, audit, sleep).on_message(message)
    assert message.outcome == "acked"
    assert scripted.calls == 4
    assert len(sleep.waits) == 3


def test_an_acknowledgement_names_people_by_opaque_reference_only() -> None:
    """An e-mail address or a name with spaces is not a reference: refused before anything."""
    for by in ("jane.smith@council.gov.uk", "Jane Smith", ""):
        with pytest.raises(ValidationError):
            Acknowledgement(delivery_id="a" * 32, action=AckAction.RECEIVED, by=by)
    assert (
        Acknowledgement(delivery_id="a" * 32, action=AckAction.RECEIVED, by="sw.12").by == "sw.12"
    )
