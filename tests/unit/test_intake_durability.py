"""Durable acceptance and idempotency at intake: the commit is the acceptance, a retry gets the
same answer, a changed re-post is a 409, and the ingress relay publishes what the post could not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hub import BrokerUnavailable, Conflict, StoreUnavailable
from hub.agencies import Agency
from hub.audit import AuditAction
from hub.crypto import KeyMaterial
from hub.intake import Intake
from hub.relays import IngressRelay, retry_seconds
from tests.fakes import FakeAuditLog, FakeIntakeStore, FakePublisher, FixedClock, fake_intake
from tests.fixtures import CANARIES, example_event

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CHILDRENS = Agency(id="northumberland-childrens", name="Children's services", kind="cs")
JSON = "application/cloudevents+json"


class Posting:
    def __init__(self, keys: KeyMaterial) -> None:
        self.publisher = FakePublisher()
        self.audit = FakeAuditLog()
        self.store = FakeIntakeStore(self.audit)
        self.intake: Intake = fake_intake(
            self.publisher,
            self.audit,
            FixedClock(NOW),
            keys=keys,
            max_body_bytes=4096,
            store=self.store,
        )

    async def post(self, event: dict[str, object]) -> None:
        await self.intake.accept(CHILDRENS, json.dumps(event).encode(), "corr", content_type=JSON)

    def actions(self) -> list[AuditAction]:
        return [entry.action for entry in self.audit.entries]


@pytest.fixture
def posting(keys: KeyMaterial) -> Posting:
    return Posting(keys)


async def test_a_retried_post_gets_the_same_answer_and_is_queued_once(posting: Posting) -> None:
    """The same body twice: both accepted, one row, one ingress message, the second audited as
    a duplicate."""
    await posting.post(example_event())
    await posting.post(example_event())

    assert len(posting.store.rows) == 1
    assert [m.message_id for m in posting.publisher.ingress] == ["demo-missing-0001"]
    assert posting.actions() == [
        AuditAction.NOTIFICATION_ACCEPTED,
        AuditAction.NOTIFICATION_DUPLICATE,
    ]


async def test_the_same_content_in_another_key_order_is_the_same_post(posting: Posting) -> None:
    """Sameness is of the canonical notification, not of the bytes sent."""
    event = example_event()
    await posting.post(event)
    await posting.post(dict(reversed(list(event.items()))))

    assert posting.actions()[-1] is AuditAction.NOTIFICATION_DUPLICATE


async def test_a_changed_re_post_is_a_conflict_audited_and_changes_nothing(
    posting: Posting,
) -> None:
    """Same source and id, other content: 409, audited as conflicted without any value, and the
    first notification stays the only one queued."""
    await posting.post(example_event())
    changed = example_event()
    changed["data"]["missing_type"] = "away_without_authorisation"  # type: ignore[index]

    with pytest.raises(Conflict) as raised:
        await posting.post(changed)

    assert raised.value.status_hint == 409
    assert len(posting.publisher.ingress) == 1
    assert posting.actions() == [
        AuditAction.NOTIFICATION_ACCEPTED,
        AuditAction.NOTIFICATION_CONFLICTED,
    ]
    conflicted = posting.audit.entries[-1]
    assert conflicted.notification_id == "demo-missing-0001"
    written = json.dumps([conflicted.detail, str(raised.value)])
    assert not any(canary in written for canary in (*CANARIES, "away_without_authorisation"))


async def test_with_the_broker_down_nothing_is_accepted(posting: Posting) -> None:
    """A broker known to be down is a 503 before anything is written or audited."""
    posting.publisher.fail = True

    with pytest.raises(BrokerUnavailable):
        await posting.post(example_event())

    assert posting.store.rows == {}
    assert posting.audit.entries == []


async def test_with_the_database_down_nothing_is_accepted_or_queued(posting: Posting) -> None:
    """A database that cannot commit is a 503, and nothing reaches ingress."""
    posting.store.fail = True

    with pytest.raises(StoreUnavailable):
        await posting.post(example_event())

    assert posting.publisher.ingress == []
    assert posting.audit.entries == []


async def test_an_unconfirmed_publish_after_the_commit_is_left_to_the_relay(
    posting: Posting,
) -> None:
    """Committed but not confirmed by the broker: still accepted (it is safe), and the relay
    publishes it once the broker confirms, after its grace; then it is marked published."""
    posting.publisher.unconfirmed = True
    await posting.post(example_event())
    assert posting.actions() == [AuditAction.NOTIFICATION_ACCEPTED]
    assert posting.publisher.ingress == []

    posting.publisher.unconfirmed = False
    relay = IngressRelay(posting.store, posting.publisher, FixedClock(NOW + timedelta(minutes=1)))
    assert await relay.drain_once() == 1
    assert await relay.drain_once() == 0

    assert [m.message_id for m in posting.publisher.ingress] == ["demo-missing-0001"]
    assert posting.store.published == set(posting.store.rows)


async def test_the_ingress_relay_backs_off_a_row_whose_publish_failed(posting: Posting) -> None:
    """A row the relay could not publish waits for its back-off, then is published."""
    posting.publisher.unconfirmed = True
    await posting.post(example_event())
    start = NOW + timedelta(minutes=1)
    assert await IngressRelay(posting.store, posting.publisher, FixedClock(start)).drain_once() == 0

    posting.publisher.unconfirmed = False
    soon = FixedClock(start + timedelta(seconds=retry_seconds(1) / 2))
    assert await IngressRelay(posting.store, posting.publisher, soon).drain_once() == 0
    later = FixedClock(start + timedelta(seconds=retry_seconds(1) + 1))
    assert await IngressRelay(posting.store, posting.publisher, later).drain_once() == 1
