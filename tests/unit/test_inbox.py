"""The HTTP inbox's use case on fakes: pending copies and their cursor, the long-poll that wakes
early or ends empty at its deadline, downloads sealed and opened, each audited, and the same
404 (audited, never naming the owner) for any id that is not the caller's."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub import AgencyKeyNotHeld, NotFound
from hub.audit import AuditAction
from hub.crypto import HUB_AGENCY, InvalidMessage, KeyMaterial, provision_keys
from hub.inbox import FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS, AgencyInbox
from hub.messages import DELIVERY_CONTENT_TYPE, InboxCopy, OutboxCopy, OutgoingMessage, delivery_id
from tests.fakes import FakeAuditLog, FakeInboxStore, FixedClock
from tests.fixtures import CANARY_NHS_NUMBER
from tests.subscriber_builders import POLICE, sealed_delivery

EDUCATION = "northumberland-education"
ROUTE = "/v1/inbox/{delivery_id}"
T0 = datetime.now(UTC) + timedelta(hours=1)  # within the fresh keys' lifetime


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    provision_keys(tmp_path / "keys", (HUB_AGENCY, POLICE, EDUCATION), datetime.now(UTC))
    return tmp_path / "keys"


def _copy(keys: KeyMaterial, recipient: str, n: int, *, minutes: int = 0) -> InboxCopy:
    """Copy ``n`` for ``recipient``, released ``minutes`` after T0; police copies really sealed."""
    ident = delivery_id(f"event-{n}", recipient)
    body = sealed_delivery(keys, ident, f"inbox-{n}") if recipient == POLICE else b'{"v": "x"}'
    message = OutgoingMessage(
        body=body,
        message_id=f"inbox-{n}",
        type="uk.gov.sehub.missing-episode.started.v1",
        correlation_id=None,
        content_type=DELIVERY_CONTENT_TYPE,
        headers={"sehub-rule": "missing-child-to-police"},
    )
    copy = OutboxCopy(f"event-{n}", recipient, ident, message, "northumberland-childrens")
    return InboxCopy(copy, T0 + timedelta(minutes=minutes))


class Ticking:
    """A monotonic clock and an ``asyncio.sleep`` that advances it; ``arrive`` is called after
    the ``at``-th pause (a copy released meanwhile)."""

    def __init__(self, at: int | None = None, arrive: object = None) -> None:
        self.now = 0.0
        self.pauses: list[float] = []
        self._at = at
        self._arrive = arrive

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        if len(self.pauses) == self._at and callable(self._arrive):
            self._arrive()


def _inbox(
    store: FakeInboxStore, audit: FakeAuditLog, keys: KeyMaterial, ticking: Ticking | None = None
) -> AgencyInbox:
    ticking = ticking or Ticking()
    return AgencyInbox(
        store,
        audit,
        FixedClock(T0),
        keys=keys,
        sleep=ticking.sleep,
        monotonic=ticking.monotonic,
    )


@pytest.fixture
def hub_keys(keys_dir: Path) -> KeyMaterial:
    """A hub holding its own key and the police's (an agency edge for the police)."""
    return KeyMaterial(keys_dir, (HUB_AGENCY, POLICE))


async def test_pending_is_the_agencys_own_unacknowledged_copies_oldest_first(
    hub_keys: KeyMaterial,
) -> None:
    """Of three police copies (one acknowledged) and one for education, the police list the
    two pending ones, oldest release first, with metadata only."""
    late, early, done = (_copy(hub_keys, POLICE, n, minutes=m) for n, m in ((1, 9), (2, 1), (3, 0)))
    store = FakeInboxStore([late, early, done, _copy(hub_keys, EDUCATION, 4)])
    store.acknowledged.add(done.copy.delivery_id)
    page = await _inbox(store, FakeAuditLog(), hub_keys).pending(POLICE)

    assert [i.delivery_id for i in page.items] == [early.copy.delivery_id, late.copy.delivery_id]
    first = page.items[0]
    assert (first.rule_id, first.kind, first.size) == (
        "missing-child-to-police",
        "notification",
        len(early.copy.message.body),
    )
    assert page.next is None


async def test_the_cursor_pages_the_list_to_its_end(hub_keys: KeyMaterial) -> None:
    """Five pending copies in pages of two: three pages, every copy once, the last with no next."""
    store = FakeInboxStore([_copy(hub_keys, POLICE, n, minutes=n) for n in range(5)])
    inbox = _inbox(store, FakeAuditLog(), hub_keys)
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = await inbox.pending(POLICE, after=after, limit=2)
        seen += [item.delivery_id for item in page.items]
        after = page.next
    assert seen == [c.copy.delivery_id for c in store.copies]
    assert after is None


async def test_a_cursor_naming_another_agencys_copy_is_not_found_and_audited(
    hub_keys: KeyMaterial,
) -> None:
    """Education lists after a cursor made from a police copy: 404, audited with the route."""
    police = _copy(hub_keys, POLICE, 1)
    store = FakeInboxStore([police, _copy(hub_keys, EDUCATION, 2)])
    audit = FakeAuditLog()
    inbox = _inbox(store, audit, hub_keys)
    (listed,) = (await inbox.pending(POLICE, limit=1)).items
    cursor = (await inbox.pending(POLICE, limit=1)).next
    assert listed.delivery_id == police.copy.delivery_id
    assert cursor is not None

    with pytest.raises(NotFound):
        await inbox.pending(EDUCATION, after=cursor, route="/v1/inbox")
    (refusal,) = audit.entries
    assert (refusal.action, refusal.actor) == (AuditAction.ACCESS_REFUSED, EDUCATION)
    assert refusal.detail["route"] == "/v1/inbox"
    assert POLICE not in json.dumps(refusal.detail)
    assert refusal.recipient is None


async def test_a_long_poll_answers_as_soon_as_a_copy_arrives(hub_keys: KeyMaterial) -> None:
    """Waiting 30 s on an empty inbox, a copy released after the third pause is answered then,
    long before the deadline, after pauses that grow."""
    store = FakeInboxStore()
    arriving = _copy(hub_keys, POLICE, 1)
    ticking = Ticking(at=3, arrive=lambda: store.copies.append(arriving))
    page = await _inbox(store, FakeAuditLog(), hub_keys, ticking).pending(POLICE, wait=30)

    assert [i.delivery_id for i in page.items] == [arriving.copy.delivery_id]
    assert ticking.pauses == [FIRST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2, FIRST_PAUSE_SECONDS * 4]
    assert ticking.now < 30


async def test_a_long_poll_ends_empty_at_its_deadline_without_busy_looping(
    hub_keys: KeyMaterial,
) -> None:
    """Nothing arrives in 10 s: the page is empty, the pauses add up to the wait and none is
    over the cap, so the store is read a handful of times, not thousands."""
    store = FakeInboxStore()
    ticking = Ticking()
    page = await _inbox(store, FakeAuditLog(), hub_keys, ticking).pending(POLICE, wait=10)

    assert page.items == ()
    assert page.next is None
    assert ticking.now == pytest.approx(10)
    assert max(ticking.pauses) <= MAX_PAUSE_SECONDS
    assert store.reads <= 10


async def test_a_long_poll_stops_when_the_client_has_gone(hub_keys: KeyMaterial) -> None:
    """A client that disconnected ends the wait at the next look: one read, no pause."""
    store = FakeInboxStore()
    ticking = Ticking()
    inbox = _inbox(store, FakeAuditLog(), hub_keys, ticking)
    page = await inbox.pending(POLICE, wait=60, gone=lambda: True)
    assert (page.items, store.reads, ticking.pauses) == ((), 1, [])


async def test_a_sealed_download_is_the_envelope_audited_without_contents(
    hub_keys: KeyMaterial,
) -> None:
    """The police download their copy: the very envelope bytes, and a delivery.downloaded
    record naming the delivery and form, nothing of what it says."""
    held = _copy(hub_keys, POLICE, 1)
    audit = FakeAuditLog()
    got = await _inbox(FakeInboxStore([held]), audit, hub_keys).download(
        POLICE, held.copy.delivery_id, route=ROUTE
    )
    assert got.envelope == held.copy.message.body
    assert got.opened is None
    (record,) = audit.entries
    assert (record.action, record.actor, record.recipient) == (
        AuditAction.DELIVERY_DOWNLOADED,
        POLICE,
        POLICE,
    )
    assert (record.detail["delivery_id"], record.detail["form"]) == (
        held.copy.delivery_id,
        "sealed",
    )
    assert record.notification_id == "inbox-1"


async def test_an_opened_download_at_the_agencys_edge_is_its_delivery_document(
    hub_keys: KeyMaterial,
) -> None:
    """Where the police's key is held, the opened download is their document, audited opened,
    and the audit record holds none of its personal data."""
    held = _copy(hub_keys, POLICE, 1)
    audit = FakeAuditLog()
    got = await _inbox(FakeInboxStore([held]), audit, hub_keys).download(
        POLICE, held.copy.delivery_id, opened=True
    )
    assert got.opened is not None
    assert (got.opened.delivery_id, got.opened.notification_id) == (
        held.copy.delivery_id,
        "inbox-1",
    )
    (record,) = audit.entries
    assert record.detail["form"] == "opened"
    assert CANARY_NHS_NUMBER not in json.dumps(record.detail)
    assert got.opened.model_dump_json() not in json.dumps(record.detail)


async def test_an_opened_download_without_the_agencys_key_is_refused(keys_dir: Path) -> None:
    """A hub holding only its own key cannot open the police's copy: AgencyKeyNotHeld, audited
    as refused and recorded as no download; sealed, the same copy downloads."""
    hub_only = KeyMaterial(keys_dir, (HUB_AGENCY,))
    held = _copy(KeyMaterial(keys_dir, (HUB_AGENCY, POLICE)), POLICE, 1)
    audit = FakeAuditLog()
    inbox = _inbox(FakeInboxStore([held]), audit, hub_only)

    with pytest.raises(AgencyKeyNotHeld):
        await inbox.download(POLICE, held.copy.delivery_id, opened=True)
    [refused] = audit.entries
    assert refused.action is AuditAction.ACCESS_REFUSED
    assert refused.detail["delivery_id"] == held.copy.delivery_id
    assert (await inbox.download(POLICE, held.copy.delivery_id)).envelope == held.copy.message.body


async def test_a_copy_that_fails_verification_when_opened_is_audited(
    hub_keys: KeyMaterial,
) -> None:
    """A stored copy whose bytes were changed is refused opened (InvalidMessage), audited with
    the failed check and nothing of the copy, and recorded as no download."""
    held = _copy(hub_keys, POLICE, 1)
    body = bytearray(held.copy.message.body)
    body[len(body) // 2] ^= 0x01
    changed = replace(
        held, copy=replace(held.copy, message=replace(held.copy.message, body=bytes(body)))
    )
    audit = FakeAuditLog()
    with pytest.raises(InvalidMessage):
        await _inbox(FakeInboxStore([changed]), audit, hub_keys).download(
            POLICE, held.copy.delivery_id, opened=True
        )
    [refused] = audit.entries
    assert refused.action is AuditAction.ACCESS_REFUSED
    assert refused.detail["reason"].startswith("the copy failed verification when opened")


@pytest.mark.parametrize("asked", ["theirs", "none", "malformed"])
async def test_any_id_not_the_callers_is_the_same_not_found_audited(
    hub_keys: KeyMaterial, asked: str
) -> None:
    """Education asking for the police's copy, for an id that is no copy, or for a malformed
    id gets the same NotFound, and an access.refused record naming the route, never the police."""
    police = _copy(hub_keys, POLICE, 1)
    wanted = {
        "theirs": police.copy.delivery_id,
        "none": delivery_id("no-event", EDUCATION),
        "malformed": "../../etc/passwd",
    }[asked]
    audit = FakeAuditLog()
    with pytest.raises(NotFound) as raised:
        await _inbox(FakeInboxStore([police]), audit, hub_keys).download(
            EDUCATION, wanted, route=ROUTE
        )
    assert raised.value.detail == "no such delivery for this agency"
    (refusal,) = audit.entries
    assert (refusal.action, refusal.actor) == (AuditAction.ACCESS_REFUSED, EDUCATION)
    assert refusal.detail["route"] == ROUTE
    assert POLICE not in json.dumps(refusal.detail)
    assert "passwd" not in json.dumps(refusal.detail)


async def test_an_agencys_polls_beyond_its_share_answer_at_once(hub_keys: KeyMaterial) -> None:
    """With two police polls waiting, a third answers at once (empty) instead of waiting too;
    education's poll still waits; once the two end, a police poll waits again."""
    store = FakeInboxStore()
    paused = asyncio.Event()
    ended = False

    async def sleep(_seconds: float) -> None:
        await paused.wait()

    def gone() -> bool:
        return ended

    inbox = AgencyInbox(
        store, FakeAuditLog(), FixedClock(T0), keys=hub_keys, sleep=sleep, max_waiting=2
    )
    waiting = [asyncio.create_task(inbox.pending(POLICE, wait=30, gone=gone)) for _ in range(2)]
    await asyncio.sleep(0.01)
    third = await asyncio.wait_for(inbox.pending(POLICE, wait=30, gone=gone), timeout=1)
    other = asyncio.create_task(inbox.pending(EDUCATION, wait=30, gone=gone))
    await asyncio.sleep(0.01)
    assert third.items == ()
    assert not any(task.done() for task in (*waiting, other))

    ended = True
    paused.set()
    await asyncio.gather(*waiting, other)
    ended, paused = False, asyncio.Event()
    again = asyncio.create_task(inbox.pending(POLICE, wait=30, gone=gone))
    await asyncio.sleep(0.01)
    assert not again.done()
    ended = True
    paused.set()
    await again
