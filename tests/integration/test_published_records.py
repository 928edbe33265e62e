"""``delivery.published`` on the real RabbitMQ and databases: one record per copy the broker
confirmed, written with the outbox row that marks it sent, and the chain still verifies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import pytest

from hub.audit import AuditAction, AuditEntry
from hub.db import create_engine_for, migrate
from hub.delivery import Broker, agency_queue_name
from hub.messages import OutboxCopy, OutgoingMessage, delivery_id
from hub.pseudonyms import Pseudonymiser
from hub.routing import Router
from hub.stores import SqlAuditLog, SqlRoutingStore, SqlSubjectKeys
from protocols import load_protocol
from schemas import source_for_agency
from tests.fakes import FixedClock, provisioned_keys
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, DEMO_AGENCY_IDS, REPO

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CHILDRENS = "northumberland-childrens"
PROTOCOL = load_protocol(REPO / "protocols" / "northumberland.yaml")


@pytest.fixture
async def wired(
    clean_broker: None, fresh_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Router, SqlRoutingStore, SqlAuditLog, bytes]]:
    """A router on the real broker and a migrated database, and one sealed canary notification."""
    keys = provisioned_keys(tmp_path / "keys", DEMO_AGENCY_IDS)
    engine = create_engine_for(fresh_database_url)
    await migrate(engine)
    audit = SqlAuditLog(engine)
    store = SqlRoutingStore(engine)
    broker = Broker(AMQP_URL)
    await broker.connect()
    await broker.declare_topology(DEMO_AGENCY_IDS)
    router = Router(
        PROTOCOL,
        publisher=broker,
        audit=audit,
        state=store,
        subject_keys=SqlSubjectKeys(engine),
        pseudonyms=Pseudonymiser(b"p" * 32),
        keys=keys,
        clock=FixedClock(NOW),
    )
    event = canary_event("published-canary")
    body = keys.seal_source(CHILDRENS, json.dumps(event).encode(), message_id=event["id"], now=NOW)
    try:
        yield router, store, audit, body
    finally:
        await broker.close()
        await audit.close()


async def _queues_with_a_message(notification_id: str) -> list[str]:
    """The agencies whose queue holds a delivery of ``notification_id`` (drained)."""
    got = []
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for agency in DEMO_AGENCY_IDS:
            queue = await channel.declare_queue(agency_queue_name(agency), passive=True)
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                if message.message_id == notification_id:
                    got.append(agency)
    return sorted(got)


def _published(entries: list[AuditEntry]) -> list[AuditEntry]:
    return [entry for entry in entries if entry.action is AuditAction.DELIVERY_PUBLISHED]


async def test_published_records_match_the_queues_that_got_a_copy(
    wired: tuple[Router, SqlRoutingStore, SqlAuditLog, bytes],
) -> None:
    """After routing, one published record per agency queue holding the copy; chain intact."""
    router, _store, audit, body = wired
    await router.route(body, "published-corr")
    received = await _queues_with_a_message("published-canary")
    entries = await audit.entries(notification_id="published-canary")
    published = _published(entries)
    shared = {
        entry.recipient: entry.rule_id
        for entry in entries
        if entry.action is AuditAction.NOTIFICATION_SHARED
    }

    assert received
    assert sorted(entry.recipient or "" for entry in published) == received
    assert {entry.recipient: entry.rule_id for entry in published} == shared
    assert {(entry.actor, entry.correlation_id) for entry in published} == {
        (CHILDRENS, "published-corr")
    }
    assert not any(canary in json.dumps([e.detail for e in entries]) for canary in CANARIES)
    verifier = await audit.verify()
    assert verifier.broken is None
    assert verifier.head_seq == len(entries)


async def test_a_copy_marked_sent_already_is_not_audited_again(
    wired: tuple[Router, SqlRoutingStore, SqlAuditLog, bytes],
) -> None:
    """Marking a sent copy again (a second router finishing the same copy) appends nothing."""
    router, store, audit, body = wired
    await router.route(body, "published-corr")
    (first, *_) = _published(await audit.entries(notification_id="published-canary"))
    before = await audit.count()
    event_key = Pseudonymiser(b"p" * 32).event(source_for_agency(CHILDRENS), "published-canary")

    recipient = first.recipient or ""
    copy = OutboxCopy(
        event_key=event_key,
        recipient=recipient,
        delivery_id=delivery_id(event_key, recipient),
        message=OutgoingMessage(b"", "published-canary", "t", None),
        publisher=CHILDRENS,
    )
    again = await store.mark_sent(copy, NOW, entries=[first])

    assert again is False
    assert await audit.count() == before
    assert len(_published(await audit.entries(notification_id="published-canary"))) == len(
        await _queues_with_a_message("published-canary")
    )
