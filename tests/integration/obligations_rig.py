"""A routing core wired to the real database and RabbitMQ with a clock the test moves, for
deadlines, ladders and clocks that would otherwise take hours to fall due."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aio_pika

from hub.acknowledgements import Acknowledgements
from hub.crypto import KeyMaterial
from hub.db import create_engine_for
from hub.delivery import Broker, agency_queue_name
from hub.messages import DeliveredNotification
from hub.pseudonyms import Pseudonymiser
from hub.relays import OutboxRelay
from hub.routing import Router
from hub.sharing import Decision
from hub.stores import (
    SqlAcknowledgementStore,
    SqlAuditLog,
    SqlRoutingStore,
    SqlSubjectKeys,
)
from protocols import Protocol, load_protocol
from schemas import agency_id_from_source
from tests.fakes import FixedClock, provisioned_keys
from tests.integration.conftest import AMQP_URL

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL: Protocol = load_protocol(ROOT / "protocols" / "northumberland.yaml")
PSEUDONYM_KEY = b"p" * 32


@dataclass
class Rig:
    """The routing core's real parts, one clock, and a way to read an agency's queue."""

    clock: FixedClock
    keys: KeyMaterial
    audit: SqlAuditLog
    state: SqlRoutingStore
    broker: Broker
    router: Router
    relay: OutboxRelay
    acknowledgements: Acknowledgements
    database_url: str
    keys_dir: Path

    async def route(self, event: dict[str, Any]) -> Decision:
        agency = agency_id_from_source(event["source"])
        body = self.keys.seal_source(
            agency, json.dumps(event).encode(), message_id=event["id"], now=self.clock()
        )
        decision = await self.router.route(body, f"corr-{event['id']}")
        assert decision is not None
        return decision

    def at(self, moment: datetime) -> None:
        self.clock.now = moment

    async def taken(self, agency: str) -> list[DeliveredNotification]:
        """Every delivery waiting on ``agency``'s queue, opened as that agency (and removed)."""
        found: list[DeliveredNotification] = []
        connection = await aio_pika.connect(AMQP_URL, timeout=10)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(agency_queue_name(agency))
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                contents = self.keys.open_delivery(agency, message.body, now=self.clock())
                found.append(DeliveredNotification.model_validate_json(contents.plaintext))
        return found

    async def actions(self, action: str) -> list[Any]:
        return [entry for entry in await self.audit.entries() if entry.action == action]


@asynccontextmanager
async def obligations_rig(
    database_url: str,
    keys_dir: Path,
    now: datetime,
    *,
    without_keys: tuple[str, ...] = (),
    protocol: Protocol = PROTOCOL,
) -> AsyncIterator[Rig]:
    """The rig at ``now`` deciding by ``protocol``; the parties in ``without_keys`` have no
    keys at all."""
    clock = FixedClock(now)
    keys = provisioned_keys(
        keys_dir, [party for party in PROTOCOL.party_ids if party not in without_keys]
    )
    audit = SqlAuditLog(create_engine_for(database_url))
    await audit.migrate()
    broker = Broker(AMQP_URL)
    await broker.connect()
    await broker.declare_topology(PROTOCOL.party_ids)
    state = SqlRoutingStore(audit.engine)
    pseudonyms = Pseudonymiser(PSEUDONYM_KEY)
    router = Router(
        protocol,
        publisher=broker,
        audit=audit,
        state=state,
        subject_keys=SqlSubjectKeys(audit.engine),
        pseudonyms=pseudonyms,
        keys=keys,
        clock=clock,
    )
    try:
        yield Rig(
            clock=clock,
            keys=keys,
            audit=audit,
            state=state,
            broker=broker,
            router=router,
            relay=OutboxRelay(state, broker, clock),
            acknowledgements=Acknowledgements(
                SqlAcknowledgementStore(audit.engine), audit, clock, keys=keys
            ),
            database_url=database_url,
            keys_dir=keys_dir,
        )
    finally:
        await broker.close()
        await audit.close()
