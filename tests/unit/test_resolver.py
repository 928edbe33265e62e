"""The resolver and the shard consumer with fakes: links, shards, barriers, retries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import pytest
from aio_pika.abc import AbstractIncomingMessage

from hub import BrokerUnavailable, ConfigurationError, StoreUnavailable
from hub.delivery import SHARD_COUNT
from hub.messages import SUBJECTS_HEADER, OutgoingMessage
from hub.ports import Linked
from hub.routing import BARRIER_TYPE, Resolver, ShardConsumer, ShardSlot, shard_of
from tests.fakes import FakeIncomingMessage, FixedClock, RecordingSleep

NOW = datetime.fromisoformat("2026-12-02T10:00:00+00:00")


def _keys_on(shard: int, count: int = 1, *, prefix: str = "k") -> list[str]:
    """``count`` pseudonym-like keys whose component would go down ``shard``."""
    found: list[str] = []
    serial = 0
    while len(found) < count:
        key = f"{prefix}{serial:06d}"
        if shard_of(key) == shard:
            found.append(key)
        serial += 1
    return found


@dataclass
class FakeLinks:
    """Subject links in memory, with the SQL store's rules: smallest id wins a merge."""

    component: dict[str, str] = field(default_factory=dict)
    opened: list[tuple[str, int]] = field(default_factory=list)
    passed_after_polls: int = 2
    polls: dict[str, int] = field(default_factory=dict)
    fail_links: int = 0

    events: list[str] = field(default_factory=list)

    async def plan(self, keys: Iterable[str]) -> Linked:
        wanted = sorted(set(keys))
        found = sorted({self.component[k] for k in wanted if k in self.component})
        return Linked(found[0] if found else wanted[0], tuple(found[1:]))

    async def link(self, keys: Iterable[str], now: datetime) -> Linked:
        if self.fail_links:
            self.fail_links -= 1
            raise StoreUnavailable("down")
        self.events.append("linked")
        wanted = sorted(set(keys))
        found = sorted({self.component[k] for k in wanted if k in self.component})
        chosen = found[0] if found else wanted[0]
        for key, value in list(self.component.items()):
            if value in found[1:]:
                self.component[key] = chosen
        for key in wanted:
            self.component.setdefault(key, chosen)
        return Linked(chosen, tuple(found[1:]))

    async def open_barrier(self, shard: int, now: datetime) -> str:
        barrier = f"barrier-{len(self.opened)}"
        self.opened.append((barrier, shard))
        return barrier

    async def pass_barrier(self, barrier: str, now: datetime) -> None:
        self.polls[barrier] = self.passed_after_polls

    async def passed(self, barrier: str) -> bool:
        self.polls[barrier] = self.polls.get(barrier, 0) + 1
        if self.polls[barrier] > self.passed_after_polls:
            self.events.append(f"passed {barrier}")
            return True
        return False


@dataclass
class FakeShards:
    """Records what went down which shard; fails the first ``fail`` publishes."""

    sent: list[tuple[int, OutgoingMessage]] = field(default_factory=list)
    fail: int = 0

    async def publish_shard(self, shard: int, message: OutgoingMessage) -> None:
        if self.fail:
            self.fail -= 1
            raise BrokerUnavailable("down")
        self.sent.append((shard, message))


def _resolver(
    links: FakeLinks, shards: FakeShards, *, opened: frozenset[str] | Exception = frozenset()
) -> tuple[Resolver, RecordingSleep]:
    sleep = RecordingSleep()

    def subjects_of_envelope(body: bytes) -> frozenset[str]:
        if isinstance(opened, Exception):
            raise opened
        return opened

    resolver = Resolver(
        links=links,
        publisher=shards,
        subjects_of_envelope=subjects_of_envelope,
        clock=FixedClock(NOW),
        sleep=sleep,
    )
    return resolver, sleep


def _in(message: FakeIncomingMessage) -> AbstractIncomingMessage:
    """The fake, as the consumers' callbacks are typed to take it."""
    return cast(AbstractIncomingMessage, message)


def _message(keys: Iterable[str] | None, message_id: str = "m-1") -> FakeIncomingMessage:
    headers = {} if keys is None else {SUBJECTS_HEADER: ",".join(sorted(keys))}
    return FakeIncomingMessage(
        body=b"sealed", message_id=message_id, headers=headers, type="uk.sehub.x.v1"
    )


async def test_a_message_goes_down_its_components_shard_as_it_came_and_is_acked() -> None:
    """The shard is the component's; body, ids, type and headers are forwarded unchanged."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards)
    message = _message(["b-key", "a-key"])
    await resolver.on_message(_in(message))
    assert message.outcome == "acked"
    [(shard, sent)] = shards.sent
    assert shard == shard_of("a-key")
    assert (sent.body, sent.message_id, sent.type) == (b"sealed", "m-1", "uk.sehub.x.v1")
    assert sent.headers[SUBJECTS_HEADER] == "a-key,b-key"


async def test_reports_linked_by_any_one_key_share_a_shard() -> None:
    """A later message naming one key of an earlier one goes down the same shard."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards)
    first = _keys_on(3, prefix="a")[0]
    second = next(k for k in _keys_on(9, 5, prefix="z") if k > first)
    await resolver.on_message(_in(_message([first, second], "m-1")))
    await resolver.on_message(_in(_message([second], "m-2")))
    assert [shard for shard, _ in shards.sent] == [3, 3]


async def test_a_merge_waits_for_a_barrier_down_the_other_shard_before_forwarding() -> None:
    """Joining two components on different shards sends a barrier down the one given up and
    forwards the joining message only once that barrier has been passed."""
    links, shards = FakeLinks(), FakeShards()
    resolver, sleep = _resolver(links, shards)
    low, high = _keys_on(2, prefix="a")[0], _keys_on(7, prefix="b")[0]
    await resolver.on_message(_in(_message([low], "m-1")))
    await resolver.on_message(_in(_message([high], "m-2")))
    links.passed_after_polls = 3
    await resolver.on_message(_in(_message([low, high], "m-3")))
    assert [(shard, sent.type) for shard, sent in shards.sent] == [
        (2, "uk.sehub.x.v1"),
        (7, "uk.sehub.x.v1"),
        (7, BARRIER_TYPE),
        (2, "uk.sehub.x.v1"),
    ]
    assert links.opened == [("barrier-0", 7)]
    assert shards.sent[2][1].message_id == "barrier-0"
    assert len(sleep.waits) == 3  # polled until passed


async def test_a_merge_is_committed_only_once_its_barrier_is_passed() -> None:
    """The merge is linked after the barrier is passed; a failure to link then (a resolver
    dying there) leaves it unmerged, so the retry sends a barrier again before linking."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards)
    low, high = _keys_on(6, prefix="a")[0], _keys_on(11, prefix="b")[0]
    await resolver.on_message(_message([low], "m-1"))
    await resolver.on_message(_message([high], "m-2"))
    links.events.clear()
    links.fail_links = 1
    await resolver.on_message(_message([low, high], "m-3"))
    assert links.events == ["passed barrier-0", "passed barrier-1", "linked"]
    assert [shard for _, shard in links.opened] == [11, 11]
    assert links.component[high] == low
    assert [(shard, sent.message_id) for shard, sent in shards.sent][-1] == (6, "m-3")


async def test_a_merge_on_one_shard_needs_no_barrier() -> None:
    """Components that already share a shard merge without waiting."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards)
    one, other = _keys_on(5, 2)
    await resolver.on_message(_in(_message([one], "m-1")))
    await resolver.on_message(_in(_message([other], "m-2")))
    await resolver.on_message(_in(_message([one, other], "m-3")))
    assert links.opened == []
    assert [shard for shard, _ in shards.sent] == [5, 5, 5]


async def test_an_envelope_without_the_header_is_opened_to_name_its_subjects() -> None:
    """An agency-sealed envelope's pseudonyms come from opening it."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards, opened=frozenset({"opened-key"}))
    await resolver.on_message(_in(_message(None)))
    assert shards.sent[0][0] == shard_of("opened-key")
    assert links.component == {"opened-key": "opened-key"}


async def test_an_unreadable_message_goes_down_its_message_ids_shard_unlinked() -> None:
    """What the resolver cannot open is forwarded by its id, for the router to refuse."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards, opened=ValueError("bad envelope"))
    message = _message(None, "odd-1")
    await resolver.on_message(_in(message))
    assert message.outcome == "acked"
    assert shards.sent[0][0] == shard_of("odd-1")
    assert links.component == {}


async def test_an_outage_holds_the_message_and_retries_it_in_place() -> None:
    """A database and then a broker failure are waited out; the message is forwarded once."""
    links, shards = FakeLinks(fail_links=2), FakeShards(fail=1)
    resolver, sleep = _resolver(links, shards)
    message = _message(["a-key"])
    await resolver.on_message(_in(message))
    assert message.outcome == "acked"
    assert len(shards.sent) == 1
    assert sleep.waits == [0.5, 1.0, 2.0]


async def test_a_retried_merge_still_waits_for_its_barrier() -> None:
    """A publish failing after a merge was linked does not lose the barrier on the retry."""
    links, shards = FakeLinks(), FakeShards()
    resolver, _ = _resolver(links, shards)
    low, high = _keys_on(1, prefix="a")[0], _keys_on(4, prefix="b")[0]
    await resolver.on_message(_in(_message([low], "m-1")))
    await resolver.on_message(_in(_message([high], "m-2")))
    shards.fail = 1  # the barrier's publish fails once
    await resolver.on_message(_in(_message([low, high], "m-3")))
    assert [(shard, sent.type) for shard, sent in shards.sent][2:] == [
        (4, BARRIER_TYPE),
        (1, "uk.sehub.x.v1"),
    ]


async def test_the_shard_consumer_passes_a_barrier_and_routes_everything_else() -> None:
    """A barrier is passed in the store and acknowledged; a notification goes to routing."""
    links = FakeLinks()
    routed: list[str | None] = []

    async def route(message: AbstractIncomingMessage) -> None:
        routed.append(message.message_id)

    consumer = ShardConsumer(route, links=links, clock=FixedClock(NOW), sleep=RecordingSleep())
    barrier = FakeIncomingMessage(body=b"", message_id="barrier-9", type=BARRIER_TYPE)
    await consumer.on_message(_in(barrier))
    await consumer.on_message(_in(_message(["k"], "m-1")))
    assert barrier.outcome == "acked"
    assert "barrier-9" in links.polls
    assert routed == ["m-1"]


def test_slots_share_the_shards_and_stand_by_for_the_rest() -> None:
    """Each of n slots owns every n-th shard; together they own each shard exactly once."""
    slots = [ShardSlot.parse(f"{index}/3") for index in range(3)]
    owned = [shard for slot in slots for shard in slot.owned()]
    assert sorted(owned) == list(range(SHARD_COUNT))
    for slot in slots:
        assert sorted(slot.owned() + slot.standby()) == list(range(SHARD_COUNT))
    assert ShardSlot.parse("0/1").owned() == list(range(SHARD_COUNT))


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "0/0", "0/17"])
def test_a_slot_that_is_not_i_of_n_is_a_configuration_error(text: str) -> None:
    """A malformed or impossible HUB_ROUTER_SLOT stops the process at start."""
    with pytest.raises(ConfigurationError):
        ShardSlot.parse(text)


def test_components_spread_over_every_shard() -> None:
    """Hashing a thousand components reaches each of the shards."""
    assert {shard_of(f"component-{n}") for n in range(1000)} == set(range(SHARD_COUNT))
