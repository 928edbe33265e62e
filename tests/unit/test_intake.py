"""Unit tests of the intake use case with fake ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hub import (
    BrokerUnavailable,
    Forbidden,
    InvalidNotification,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from hub.agencies import Agency
from hub.audit import AuditAction
from hub.crypto import SOURCE_VERSION, KeyMaterial
from hub.intake import Intake
from tests.fakes import FakeAuditLog, FakePublisher, FixedClock, fake_intake
from tests.fixtures import CANARIES, canary_event, example_event

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CHILDRENS = Agency(id="northumberland-childrens", name="Children's services", kind="cs")
POLICE = Agency(id="northumbria-police", name="Police", kind="police")
JSON = "application/cloudevents+json"


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def audit() -> FakeAuditLog:
    return FakeAuditLog()


@pytest.fixture
def intake(publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial) -> Intake:
    return fake_intake(publisher, audit, FixedClock(NOW), keys=keys, max_body_bytes=4096)


async def test_valid_notification_is_published_then_audited(
    intake: Intake, publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial
) -> None:
    """A valid post is signed, sealed to the hub, published once and its acceptance audited."""
    body = json.dumps(example_event()).encode()
    notification = await intake.accept(CHILDRENS, body, "corr-1", content_type=JSON)
    assert notification.id == "demo-missing-0001"
    assert [m.message_id for m in publisher.ingress] == ["demo-missing-0001"]
    assert publisher.ingress[0].correlation_id == "corr-1"
    assert publisher.ingress[0].headers == {"sehub-publisher": CHILDRENS.id}
    envelope = json.loads(publisher.ingress[0].body)
    assert envelope["v"] == SOURCE_VERSION
    assert "CHILD-000123" not in publisher.ingress[0].body.decode()
    opened = keys.open_source(publisher.ingress[0].body, now=NOW)
    assert opened.agency == CHILDRENS.id
    assert json.loads(opened.notification)["id"] == "demo-missing-0001"
    (entry,) = audit.entries
    assert entry.action is AuditAction.NOTIFICATION_ACCEPTED
    assert (entry.actor, entry.notification_id, entry.recorded_at) == (
        CHILDRENS.id,
        notification.id,
        NOW,
    )


async def test_invalid_notification_names_every_field_and_is_audited(
    intake: Intake, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """Two bad fields give one 422 naming both, audited, and nothing is published."""
    event = canary_event()
    event["data"]["person"]["nhs_number"] = "9434765918"
    event["data"]["unexpected"] = "x"
    with pytest.raises(InvalidNotification) as raised:
        await intake.accept(CHILDRENS, json.dumps(event).encode(), "corr-2", content_type=JSON)
    fields = {(p.field, p.rule) for p in raised.value.problems}
    assert fields == {
        ("data.person.nhs_number", "value_error"),
        ("data.(unknown field #1)", "extra_forbidden"),
    }
    assert publisher.ingress == []
    (entry,) = audit.entries
    assert entry.action is AuditAction.NOTIFICATION_REJECTED
    assert entry.detail["status"] == 422
    assert {p["field"] for p in entry.detail["problems"]} == {f for f, _ in fields}
    assert not any(canary in json.dumps(entry.detail) for canary in CANARIES)


async def test_posting_as_another_agency_is_forbidden(
    intake: Intake, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """Police cannot post an event whose source is children's services."""
    body = json.dumps(example_event()).encode()
    with pytest.raises(Forbidden):
        await intake.accept(POLICE, body, "corr-3", content_type=JSON)
    assert publisher.ingress == []
    assert [e.action for e in audit.entries] == [AuditAction.NOTIFICATION_REJECTED]
    assert audit.entries[0].actor == POLICE.id


async def test_oversized_body_is_refused_before_parsing(
    intake: Intake, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """A body over the limit is refused as too large and audited."""
    with pytest.raises(PayloadTooLarge):
        await intake.accept(CHILDRENS, b"{" + b" " * 5000 + b"}", "c", content_type=JSON)
    assert publisher.ingress == []
    assert audit.entries[0].detail["status"] == 413


async def test_non_json_media_type_is_refused(intake: Intake, audit: FakeAuditLog) -> None:
    """A text/plain post is refused with 415 and audited."""
    with pytest.raises(UnsupportedMediaType):
        await intake.accept(CHILDRENS, b"{}", "c", content_type="text/plain")
    assert audit.entries[0].detail["status"] == 415


async def test_broker_outage_means_no_acceptance(
    intake: Intake, publisher: FakePublisher, audit: FakeAuditLog
) -> None:
    """If the broker does not confirm, the post fails and no acceptance is audited."""
    publisher.fail = True
    with pytest.raises(BrokerUnavailable):
        await intake.accept(CHILDRENS, json.dumps(example_event()).encode(), "c", content_type=JSON)
    assert not any(e.action is AuditAction.NOTIFICATION_ACCEPTED for e in audit.entries)


async def test_missing_type_still_names_the_other_envelope_fields(
    intake: Intake, audit: FakeAuditLog
) -> None:
    """Without a usable type, the envelope's own failing attributes are named as well."""
    body = json.dumps({"id": "bad id", "time": "yesterday", "data": {}}).encode()
    with pytest.raises(InvalidNotification) as raised:
        await intake.accept(CHILDRENS, body, "c", content_type=JSON)
    fields = {p.field for p in raised.value.problems}
    assert fields == {"type", "id", "source", "time"}


async def test_acceptance_is_dated_when_the_post_was_taken_before_it_was_queued(
    publisher: FakePublisher, audit: FakeAuditLog, keys: KeyMaterial
) -> None:
    """The accepted record's time precedes the queueing, so it sorts before any routing of it."""
    ticks = iter(NOW + timedelta(seconds=n) for n in range(100))
    taking = fake_intake(publisher, audit, lambda: next(ticks), keys=keys, max_body_bytes=4096)

    await taking.accept(CHILDRENS, json.dumps(example_event()).encode(), "c", content_type=JSON)

    (accepted,) = audit.entries
    assert accepted.action is AuditAction.NOTIFICATION_ACCEPTED
    assert accepted.recorded_at == NOW  # the first tick: before sealing and publishing
