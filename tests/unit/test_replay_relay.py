"""The replay relay on fakes: each queued replay published to its agency's queue as queued,
marked sent once confirmed, backed off when it fails, and never published for an inbox-only
agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.messages import REPLAY_HEADER, OutgoingMessage, ReplayCopy, delivery_id
from hub.relays import InboxOnlyPublisher, ReplayRelay, retry_seconds
from tests.fakes import FakeAuditLog, FakePublisher, FakeReplayStore, FixedClock

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"


def _replay(n: int, recipient: str = POLICE) -> ReplayCopy:
    delivery = delivery_id(f"event-{n}", recipient)
    message = OutgoingMessage(
        body=f"sealed-envelope-{n}".encode(),
        message_id=f"relay-unit-{n}",
        type="uk.sehub.missing_episode.started.v1",
        correlation_id=None,
        headers={"sehub-delivery-id": delivery, REPLAY_HEADER: "true"},
    )
    return ReplayCopy(f"replay-{n}", recipient, delivery, message)


def _store(*copies: ReplayCopy) -> FakeReplayStore:
    store = FakeReplayStore(FakeAuditLog())
    store.rows.update((copy.replay_id, copy) for copy in copies)
    return store


async def test_each_replay_is_published_as_queued_and_marked_sent_once() -> None:
    """Two queued replays go to their agencies' queues, the very messages, marked replayed; a
    second drain publishes nothing."""
    store, publisher = _store(_replay(1), _replay(2, EDUCATION)), FakePublisher()
    relay = ReplayRelay(store, publisher, FixedClock(NOW))
    assert await relay.drain_once() == 2
    assert publisher.deliveries == [
        (POLICE, _replay(1).message),
        (EDUCATION, _replay(2, EDUCATION).message),
    ]
    assert all(m.headers[REPLAY_HEADER] == "true" for _, m in publisher.deliveries)
    assert [c.replay_id for c in store.sent] == ["replay-1", "replay-2"]
    assert await relay.drain_once() == 0
    assert len(publisher.deliveries) == 2


async def test_a_failed_publish_is_backed_off_and_retried_without_holding_back_another() -> None:
    """The police's queue refuses: education's replay still goes; the police's waits its back-off
    (not tried before it), then goes and is marked sent."""
    store, publisher = _store(_replay(1), _replay(2, EDUCATION)), FakePublisher(fail_for={POLICE})
    assert await ReplayRelay(store, publisher, FixedClock(NOW)).drain_once() == 1
    assert [c.recipient for c in store.sent] == [EDUCATION]
    assert store.rows["replay-1"].attempts == 1
    publisher.fail_for.clear()
    soon = FixedClock(NOW + timedelta(seconds=retry_seconds(1) / 2))
    assert await ReplayRelay(store, publisher, soon).drain_once() == 0
    later = FixedClock(NOW + timedelta(seconds=retry_seconds(1)))
    assert await ReplayRelay(store, publisher, later).drain_once() == 1
    assert [c.recipient for c in store.sent] == [EDUCATION, POLICE]
    assert publisher.deliveries[-1] == (POLICE, _replay(1).message)


async def test_a_replay_for_an_inbox_only_agency_is_marked_sent_and_not_published() -> None:
    """Through the hub's inbox-only publisher, education's replay (delivery: http) reaches no
    queue and is marked sent; the police's is published."""
    store, broker = _store(_replay(1, EDUCATION), _replay(2)), FakePublisher()
    relay = ReplayRelay(store, InboxOnlyPublisher(broker, [EDUCATION]), FixedClock(NOW))
    assert await relay.drain_once() == 2
    assert [agency for agency, _ in broker.deliveries] == [POLICE]
    assert {c.recipient for c in store.sent} == {POLICE, EDUCATION}
    assert store.rows == {}


async def test_a_claimed_replay_is_not_taken_again_within_its_lease() -> None:
    """A relay that dies after claiming leaves the replay for its lease; after it, another
    relay publishes it."""
    store, publisher = _store(_replay(1)), FakePublisher()
    assert [c.replay_id for c in await store.due(NOW, limit=10, lease=timedelta(seconds=30))] == [
        "replay-1"
    ]
    assert await ReplayRelay(store, publisher, FixedClock(NOW)).drain_once() == 0
    after_lease = FixedClock(NOW + timedelta(seconds=30))
    assert await ReplayRelay(store, publisher, after_lease).drain_once() == 1
    assert publisher.deliveries == [(POLICE, _replay(1).message)]
