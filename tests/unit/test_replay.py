"""The replay use case on fakes: a page of the agency's own copies, marked replayed, committed to
the replay outbox with its ``delivery.replayed`` record, and nothing published by the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub import StoreUnavailable, TooManyRequests
from hub.audit import AuditAction, ByRule, Period
from hub.messages import REPLAY_HEADER, OutboxCopy, OutgoingMessage, delivery_id
from hub.replay import Replay, parse_cursor
from tests.fakes import FakeAuditLog, FakeReplayStore, FakeRoutingStore, FixedClock

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
RULE = "missing-to-police"


def _copy(n: int, recipient: str = POLICE, rule: str = RULE) -> OutboxCopy:
    message = OutgoingMessage(
        body=f"sealed-envelope-{n}".encode(),
        message_id=f"replay-unit-{n}",
        type="uk.sehub.missing_episode.started.v1",
        correlation_id=f"corr-{n}",
        headers={"sehub-rule": rule, "sehub-delivery-id": delivery_id(f"event-{n}", recipient)},
    )
    return OutboxCopy(
        event_key=f"event-{n}",
        recipient=recipient,
        delivery_id=delivery_id(f"event-{n}", recipient),
        message=message,
        publisher="northumberland-childrens",
    )


class Rig:
    """A replay use case over an outbox whose copies were sent at ``made``."""

    def __init__(
        self, *copies: tuple[OutboxCopy, datetime], retention: str = "P1Y", max_waiting: int = 5000
    ) -> None:
        self.audit = FakeAuditLog()
        self.state = FakeRoutingStore(self.audit)
        for copy, made in copies:
            self.state.sent.append(copy)
            self.state.made[copy.delivery_id] = made
        self.replays = FakeReplayStore(self.audit)
        self.replay = Replay(
            self.state,
            self.replays,
            FixedClock(NOW),
            audit=self.audit,
            retention=ByRule({RULE: Period.parse(retention)}),
            max_waiting=max_waiting,
        )


async def test_a_page_is_queued_marked_replayed_with_its_record() -> None:
    """The police's two copies (not education's) wait in the replay outbox as the very sealed
    envelopes, marked ``sehub-replay: true``; the one record names both delivery ids."""
    hour = timedelta(hours=1)
    police = [_copy(1), _copy(2)]
    rig = Rig((police[0], NOW - hour), (_copy(3, EDUCATION), NOW - hour), (police[1], NOW - hour))
    page = await rig.replay.replay(POLICE, since=NOW - 2 * hour, correlation_id="corr-replay")
    queued = list(rig.replays.rows.values())
    assert page.replayed == 2
    assert [c.delivery_id for c in queued] == [c.delivery_id for c in police]
    assert {c.recipient for c in queued} == {POLICE}
    assert [c.message.body for c in queued] == [c.message.body for c in police]
    assert all(c.message.headers[REPLAY_HEADER] == "true" for c in queued)
    assert queued[0].message.headers["sehub-rule"] == RULE
    assert len({c.replay_id for c in queued}) == 2
    (record,) = rig.audit.entries
    assert record.action is AuditAction.DELIVERY_REPLAYED
    assert (record.actor, record.recipient) == (POLICE, POLICE)
    assert record.correlation_id == "corr-replay"
    assert record.detail["delivery_ids"] == [c.delivery_id for c in police]
    assert rig.state.sent == [police[0], _copy(3, EDUCATION), police[1]]  # nothing else moved


async def test_asking_twice_queues_each_copy_twice() -> None:
    """Two requests for the same copy are two rows, each its own id, and two records."""
    rig = Rig((_copy(1), NOW - timedelta(hours=1)))
    for _ in range(2):
        await rig.replay.replay(POLICE, since=NOW - timedelta(days=1))
    assert [c.delivery_id for c in rig.replays.rows.values()] == [_copy(1).delivery_id] * 2
    assert [e.action for e in rig.audit.entries] == [AuditAction.DELIVERY_REPLAYED] * 2


async def test_with_the_database_down_nothing_is_queued_or_audited() -> None:
    """A page that cannot be committed raises ``StoreUnavailable`` (a 503) and leaves neither a
    row nor a record; the retry is audited afresh."""
    rig = Rig((_copy(1), NOW - timedelta(hours=1)))
    rig.replays.fail = True
    with pytest.raises(StoreUnavailable):
        await rig.replay.replay(POLICE, since=NOW - timedelta(days=1))
    assert (rig.replays.rows, rig.audit.entries) == ({}, [])
    rig.replays.fail = False
    await rig.replay.replay(POLICE, since=NOW - timedelta(days=1))
    assert len(rig.replays.rows) == 1
    assert len(rig.audit.entries) == 1


async def test_a_copy_past_its_retention_is_not_queued_but_counted() -> None:
    """Of a copy made two years ago and one made today, under a year's retention, only today's
    is queued; the record counts the other as past retention."""
    rig = Rig((_copy(1), NOW - timedelta(days=730)), (_copy(2), NOW - timedelta(hours=1)))
    page = await rig.replay.replay(POLICE, since=NOW - timedelta(days=1000))
    assert page.delivery_ids == (_copy(2).delivery_id,)
    assert [c.delivery_id for c in rig.replays.rows.values()] == [_copy(2).delivery_id]
    (record,) = rig.audit.entries
    assert (record.detail["replayed"], record.detail["past_retention"]) == (1, 1)


async def test_a_full_page_has_a_cursor_at_its_last_copy() -> None:
    """With a page of two and three copies, the cursor names the second copy and when it was
    made; an empty page is still audited, with nothing queued."""
    made = [NOW - timedelta(minutes=30 - n) for n in range(3)]
    rig = Rig(*((_copy(n), made[n]) for n in range(3)))
    page = await rig.replay.replay(POLICE, since=NOW - timedelta(hours=1), limit=2)
    assert page.next is not None
    assert parse_cursor(page.next) == (made[1], _copy(1).delivery_id)
    nothing = Rig()
    empty = await nothing.replay.replay(POLICE, since=NOW - timedelta(hours=1))
    assert (empty.replayed, empty.next, nothing.replays.rows) == (0, None, {})
    assert [e.detail["replayed"] for e in nothing.audit.entries] == [0]


async def test_a_refusal_the_audit_log_cannot_take_is_a_service_error() -> None:
    """With the audit log down, a replay over its share is a 503 (StoreUnavailable), not a 429."""
    rig = Rig((_copy(1), NOW - timedelta(hours=1)), max_waiting=0)
    rig.audit.fail = True
    with pytest.raises(StoreUnavailable):
        await rig.replay.replay(POLICE, since=NOW - timedelta(hours=2))
    assert rig.replays.rows == {}


async def test_an_agency_may_not_queue_more_than_its_share_of_unsent_replays() -> None:
    """With three unsent copies allowed, a second page of two is 429, audited, and queues
    nothing, while another agency's replay still goes; once the relay has sent them, the page
    goes too."""
    hour = timedelta(hours=1)
    rig = Rig(
        (_copy(1), NOW - hour),
        (_copy(2), NOW - hour),
        (_copy(3, EDUCATION), NOW - hour),
        max_waiting=3,
    )
    await rig.replay.replay(POLICE, since=NOW - 2 * hour)
    with pytest.raises(TooManyRequests) as refused:
        await rig.replay.replay(POLICE, since=NOW - 2 * hour)
    assert refused.value.retry_after > 0
    assert len(rig.replays.rows) == 2
    [limited] = [e for e in rig.audit.entries if e.action is AuditAction.RATE_LIMITED]
    assert (limited.actor, limited.detail["limit"]) == (POLICE, "replay_waiting")
    assert (limited.detail["waiting"], limited.detail["asked"]) == (2, 2)
    assert (await rig.replay.replay(EDUCATION, since=NOW - 2 * hour)).replayed == 1

    for copy in list(rig.replays.rows.values()):
        await rig.replays.mark_sent(copy, NOW)
    assert (await rig.replay.replay(POLICE, since=NOW - 2 * hour)).replayed == 2
