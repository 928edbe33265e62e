"""Deadlines and escalation ladders on the real database and RabbitMQ: a missed deadline climbs
the ladder step by step, once however many relays run, and an acknowledgement stops it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import pytest

from hub import Conflict, NotFound
from hub.acknowledgements import AcknowledgementConsumer
from hub.audit import AuditAction
from hub.db import create_engine_for
from hub.delivery import ACK_QUEUE, DEAD_QUEUE
from hub.messages import AckAction, Acknowledgement, OutgoingMessage, delivery_id
from hub.pseudonyms import Pseudonymiser
from hub.relays import OutboxRelay
from hub.routing import ESCALATION_TYPE
from hub.sharing import Decision, View
from hub.stores import SqlRoutingStore
from hub.subscriber import Subscriber
from protocols import load_protocol
from schemas import source_for_agency
from tests.integration.conftest import AMQP_URL, wait_until
from tests.integration.obligations_rig import PSEUDONYM_KEY, ROOT, Rig, obligations_rig
from tests.unit.builders import CHILDRENS, EDUCATION, POLICE, documented_example

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
async def rig(clean_broker: None, fresh_database_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    async with obligations_rig(fresh_database_url, tmp_path / "keys", MONDAY) as wired:
        yield wired


def _view(decision: Decision, recipient: str) -> View:
    (view,) = [view for view in decision.views if view.recipient == recipient]
    return view


def _delivery(event_id: str, recipient: str) -> str:
    event_key = Pseudonymiser(PSEUDONYM_KEY).event(source_for_agency(CHILDRENS), event_id)
    return delivery_id(event_key, recipient)


async def _route_missing(rig: Rig, event_id: str) -> View:
    decision = await rig.route(documented_example("missing_episode.started", id=event_id))
    police = _view(decision, POLICE)
    assert len(police.escalations) == 2
    return police


async def test_a_missed_deadline_climbs_the_ladder_step_by_step(rig: Rig) -> None:
    """Nothing before the deadline; at it, the miss is recorded and nothing sent; at step 1 the
    police duty team gets the copy again; at step 2 their named manager does, and the sender
    hears of it; each audited once."""
    police = await _route_missing(rig, "ladder-1")
    first, second = police.escalations
    deadline = police.receipt.acknowledge_by
    assert deadline is not None
    assert [m.event["id"] for m in await rig.taken(POLICE)] == ["ladder-1"]

    rig.at(deadline - SECOND)
    assert await rig.relay.drain_once() == 0
    rig.at(deadline + SECOND)
    assert await rig.relay.drain_once() == 1  # the deadline marker: nothing is sent
    assert await rig.taken(POLICE) == []
    (missed,) = await rig.actions(AuditAction.DEADLINE_MISSED)
    assert (missed.recipient, missed.detail["deadline"]) == (POLICE, deadline.isoformat())
    assert missed.detail["unacknowledged_delivery_id"] == _delivery("ladder-1", POLICE)
    rig.at(first.due_at + SECOND)
    assert await rig.relay.drain_once() == 1
    (duty,) = await rig.taken(POLICE)
    assert duty.event["type"] == ESCALATION_TYPE
    assert duty.event["data"]["addressed_to"] == "duty-team"
    assert duty.event["data"]["unacknowledged_delivery_id"] == _delivery("ladder-1", POLICE)
    assert duty.event["data"]["notification"]["id"] == "ladder-1"  # the same agency: the view
    assert duty.delivery_id != _delivery("ladder-1", POLICE)

    rig.at(second.due_at + SECOND)
    assert await rig.relay.drain_once() == 2
    (manager,) = await rig.taken(POLICE)
    assert manager.event["data"]["addressed_to"] == "named-manager"
    (notice,) = await rig.taken(CHILDRENS)
    assert notice.event["data"]["addressed_to"] == "sender"
    assert "notification" not in notice.event["data"]  # ids only, never the contents

    assert len(await rig.actions(AuditAction.DEADLINE_MISSED)) == 1
    escalated = await rig.actions(AuditAction.DELIVERY_ESCALATED)
    assert sorted((e.recipient, e.detail["step"]) for e in escalated) == [
        (CHILDRENS, 2),
        (POLICE, 1),
        (POLICE, 2),
    ]
    assert (await rig.audit.verify()).broken is None


async def test_several_relays_escalate_each_step_once(rig: Rig) -> None:
    """Three relays on their own engines drain at once after every step is due: each
    escalation (and the deadline's record) is released once, never once per process."""
    police = await _route_missing(rig, "ladder-2")
    rig.at(police.escalations[-1].due_at + SECOND)
    engines = [create_engine_for(rig.database_url) for _ in range(3)]
    try:
        relays = [OutboxRelay(SqlRoutingStore(e), rig.broker, rig.clock) for e in engines]
        published = await asyncio.gather(*(relay.drain_once() for relay in relays))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(published) == 3 + 1  # two steps, the sender's notice, the deadline marker
    assert len(await rig.actions(AuditAction.DEADLINE_MISSED)) == 1
    assert len(await rig.taken(POLICE)) == 1 + 2
    assert len(await rig.taken(CHILDRENS)) == 1


async def test_an_acknowledgement_stops_the_ladder(rig: Rig) -> None:
    """Acknowledged before the deadline, the police copy never escalates: its two steps and the
    notice to the sender are cancelled, and the acknowledgement is audited with the count."""
    police = await _route_missing(rig, "ladder-3")
    ack = Acknowledgement(
        delivery_id=_delivery("ladder-3", POLICE), action=AckAction.RECEIVED, by="duty.officer.17"
    )
    acknowledged = await rig.acknowledgements.acknowledge(POLICE, ack, channel="http")
    assert acknowledged.stopped == 3

    rig.at(police.escalations[-1].due_at + timedelta(minutes=5))
    assert await rig.relay.drain_once() == 0
    assert [m.event["id"] for m in await rig.taken(POLICE)] == ["ladder-3"]
    (recorded,) = await rig.actions(AuditAction.DELIVERY_ACKNOWLEDGED)
    assert recorded.actor == POLICE
    assert recorded.detail["by"] == "duty.officer.17"
    assert recorded.detail["escalations_stopped"] == 3
    assert await rig.actions(AuditAction.DEADLINE_MISSED) == []


async def test_an_acknowledgement_of_a_step_stops_the_rest_of_the_ladder(rig: Rig) -> None:
    """The duty team acknowledging step 1's copy cancels step 2 and the sender's notice."""
    police = await _route_missing(rig, "ladder-4")
    rig.at(police.escalations[0].due_at + SECOND)
    assert await rig.relay.drain_once() == 2  # the deadline marker, and step 1
    await rig.taken(POLICE)
    (duty,) = await rig.actions(AuditAction.DELIVERY_ESCALATED)
    ack = Acknowledgement(
        delivery_id=duty.detail["delivery_id"], action=AckAction.ACTIONED, by="duty.sergeant.2"
    )
    assert (await rig.acknowledgements.acknowledge(POLICE, ack, channel="http")).stopped == 2
    rig.at(police.escalations[-1].due_at + SECOND)
    assert await rig.relay.drain_once() == 0


async def test_only_the_recipient_may_acknowledge_and_a_repeat_is_the_same_answer(
    rig: Rig,
) -> None:
    """Education cannot acknowledge the police copy (not found, audited as refused); the
    police acknowledging twice alike is one record; another user's same action conflicts."""
    await _route_missing(rig, "ladder-5")
    ack = Acknowledgement(
        delivery_id=_delivery("ladder-5", POLICE), action=AckAction.RECEIVED, by="pc.1234"
    )
    with pytest.raises(NotFound):
        await rig.acknowledgements.acknowledge(EDUCATION, ack, channel="http")
    (refused,) = await rig.actions(AuditAction.ACCESS_REFUSED)
    assert (refused.actor, refused.detail["delivery_id"]) == (EDUCATION, ack.delivery_id)

    first = await rig.acknowledgements.acknowledge(POLICE, ack, channel="http")
    again = await rig.acknowledgements.acknowledge(POLICE, ack, channel="http")
    assert (first.delivery_id, again.delivery_id) == (ack.delivery_id, ack.delivery_id)
    assert len(await rig.actions(AuditAction.DELIVERY_ACKNOWLEDGED)) == 1
    with pytest.raises(Conflict):
        await rig.acknowledgements.acknowledge(
            POLICE, ack.model_copy(update={"by": "pc.9999"}), channel="http"
        )
    conflicted = (await rig.actions(AuditAction.ACCESS_REFUSED))[-1]
    assert (conflicted.actor, conflicted.detail["reason"]) == (
        POLICE,
        "already acknowledged so by another user",
    )


async def test_a_signed_reply_message_acknowledges_and_a_forged_one_is_refused(rig: Rig) -> None:
    """The police subscriber's acknowledgement on sehub.acks is verified, recorded and stops
    the ladder; one education signs for the police copy is refused, audited and dead-lettered."""
    await _route_missing(rig, "ladder-6")
    consumer = AcknowledgementConsumer(rig.acknowledgements, audit=rig.audit, clock=rig.clock)
    async with (
        rig.broker.consuming(ACK_QUEUE, consumer.on_message, prefetch=1),
        Subscriber(AMQP_URL, POLICE, keys_dir=rig.keys_dir, clock=rig.clock) as police,
    ):
        async with police.receive(timeout=10) as delivery:
            await police.acknowledge(delivery, "received", by="pc.1234", note_ref="NOTE-77")

        async def recorded() -> bool:
            return bool(await rig.actions(AuditAction.DELIVERY_ACKNOWLEDGED))

        await wait_until(recorded, timeout=20, what="the acknowledgement to be recorded")
        forged = Acknowledgement(
            delivery_id=delivery.delivery_id, action=AckAction.DECLINED, by="someone.else"
        )
        envelope = rig.keys.seal_source(
            EDUCATION, forged.model_dump_json().encode(), message_id=forged.message_id, now=MONDAY
        )
        await rig.broker.publish_acknowledgement(
            OutgoingMessage(envelope, forged.message_id, "acknowledgement", None)
        )

        async def refused() -> bool:
            return bool(await rig.actions(AuditAction.ACCESS_REFUSED))

        await wait_until(refused, timeout=20, what="the forged acknowledgement to be refused")
    (ack,) = await rig.actions(AuditAction.DELIVERY_ACKNOWLEDGED)
    assert (ack.actor, ack.detail["channel"], ack.detail["note_ref"]) == (POLICE, "amqp", "NOTE-77")
    assert ack.detail["escalations_stopped"] == 3
    (refusal,) = await rig.actions(AuditAction.ACCESS_REFUSED)
    assert refusal.actor == EDUCATION
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        dead = await (await connection.channel()).declare_queue(DEAD_QUEUE, passive=True)
        assert dead.declaration_result.message_count == 1


async def test_a_deadline_without_a_ladder_is_still_recorded_as_missed(rig: Rig) -> None:
    """A placement to the police has a one-day deadline and no ladder: when it passes unread,
    deadline.missed is recorded once, naming no ladder, and nothing is sent."""
    decision = await rig.route(documented_example("placement.started", id="no-ladder-1"))
    police = _view(decision, POLICE)
    assert police.escalations == ()
    assert police.receipt.acknowledge_by is not None
    await rig.taken(POLICE)
    rig.at(police.receipt.acknowledge_by + SECOND)
    await rig.relay.drain_once()
    missed = [e for e in await rig.actions(AuditAction.DEADLINE_MISSED) if e.recipient == POLICE]
    assert [(e.notification_id, e.detail["ladder"]) for e in missed] == [("no-ladder-1", None)]
    assert await rig.taken(POLICE) == []


async def test_the_sender_acknowledging_its_notice_does_not_stop_the_copys_ladder(
    clean_broker: None, fresh_database_url: str, tmp_path: Path
) -> None:
    """With a notice to the sender at step 1, the sender acknowledging that notice stops
    nothing of the police copy's ladder: step 2 still goes to the police."""
    text = (ROOT / "protocols" / "northumberland.yaml").read_text(encoding="utf-8")
    first_step = "addressed_to: duty-team\n        notify_sender: false"
    assert first_step in text
    noisy = tmp_path / "protocol.yaml"
    noisy.write_text(
        text.replace(first_step, "addressed_to: duty-team\n        notify_sender: true"),
        encoding="utf-8",
    )
    async with obligations_rig(
        fresh_database_url, tmp_path / "keys", MONDAY, protocol=load_protocol(noisy)
    ) as rig:
        police = await _route_missing(rig, "notice-1")
        first, second = police.escalations
        rig.at(first.due_at + SECOND)
        await rig.relay.drain_once()
        (notice,) = [
            e for e in await rig.actions(AuditAction.DELIVERY_ESCALATED) if e.recipient == CHILDRENS
        ]
        ack = Acknowledgement(
            delivery_id=notice.detail["delivery_id"], action=AckAction.RECEIVED, by="sw.12"
        )
        assert (await rig.acknowledgements.acknowledge(CHILDRENS, ack, channel="http")).stopped == 0
        await rig.taken(POLICE)
        rig.at(second.due_at + SECOND)
        await rig.relay.drain_once()
        (manager,) = await rig.taken(POLICE)
        assert manager.event["data"]["addressed_to"] == "named-manager"


async def test_a_step_a_relay_has_claimed_goes_although_an_acknowledgement_follows(
    rig: Rig,
) -> None:
    """The relay claims step 1, then the police acknowledge: step 1 is on its way and is not
    counted as stopped; step 2 and the sender's notice are. The claimed step is then published
    and audited as escalated, as the acknowledgement's count said it would be."""
    police = await _route_missing(rig, "claimed-1")
    rig.at(police.escalations[0].due_at + SECOND)
    claimed = await rig.state.due(rig.clock(), limit=10, lease=timedelta(seconds=30))
    (step,) = [copy for copy in claimed if copy.kind == "escalation"]
    ack = Acknowledgement(
        delivery_id=_delivery("claimed-1", POLICE), action=AckAction.RECEIVED, by="pc.77"
    )
    assert (await rig.acknowledgements.acknowledge(POLICE, ack, channel="http")).stopped == 2
    assert await rig.relay.publish(step, retry=False)
    assert [e.detail["step"] for e in await rig.actions(AuditAction.DELIVERY_ESCALATED)] == [1]
    rig.at(police.escalations[-1].due_at + SECOND)
    await rig.relay.drain_once()  # the deadline marker, claimed too: the deadline had passed
    assert [e.detail["step"] for e in await rig.actions(AuditAction.DELIVERY_ESCALATED)] == [1]
    assert len(await rig.actions(AuditAction.DEADLINE_MISSED)) == 1
