"""Each agency's native records, posted to the running hub, arrive as canonical notifications.

Real hub process, real RabbitMQ: the native example file of each adapter is posted to
``/v1/records`` with that agency's token, and every recipient the protocol names receives
exactly the minimised canonical view the routing core gives for it (computed here by the same
Router over fakes, in the same order).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters import ADAPTER_KINDS
from hub.agencies import Agency
from hub.intake import adapt
from hub.pseudonyms import Pseudonymiser
from hub.routing import ESCALATION_TYPE, Router
from hub.sharing import CLOCK_FIRED_TYPE
from protocols import load_protocol
from schemas import notification_adapter
from tests.fakes import (
    FakeAuditLog,
    FakePublisher,
    FakeRoutingStore,
    FakeSubjectKeys,
    provisioned_keys,
)
from tests.integration.conftest import DEMO_AGENCY_IDS, REPO, HubProcess
from tests.integration.queue_support import drain_every

NATIVE = REPO / "docs" / "examples" / "native"
HUB_MADE_TYPES = frozenset({CLOCK_FIRED_TYPE, ESCALATION_TYPE})
AGENCY_FOR_KIND = {
    "police": "northumbria-police",
    "children_services": "northumberland-childrens",
    "adult_services": "northumberland-adults",
    "education": "northumberland-education",
}


class _Expectation:
    """The hub's own Router over fakes, fed the same notifications in the same order, so
    that state-dependent recipients (a host authority after a placement) are expected too."""

    def __init__(self, keys_dir: Path, hub_pseudonyms: Pseudonymiser) -> None:
        # The running hub's pseudonym key: the adapters' ids and the hub's episode references
        # are keyed by it.
        self.hub_pseudonyms = hub_pseudonyms
        self.keys = provisioned_keys(keys_dir, DEMO_AGENCY_IDS)
        self.publisher = FakePublisher()
        audit = FakeAuditLog()
        self.router = Router(
            load_protocol(Path(REPO / "protocols" / "northumberland.yaml")),
            publisher=self.publisher,
            audit=audit,
            state=FakeRoutingStore(audit),
            subject_keys=FakeSubjectKeys(),
            pseudonyms=hub_pseudonyms,
            keys=self.keys,
            clock=lambda: datetime.now(UTC),
        )

    async def views(self, kind: str) -> dict[tuple[str, str], dict[str, Any]]:
        agency_id = AGENCY_FOR_KIND[kind]
        la_code = None if kind == "police" else "929"
        agency = Agency(id=agency_id, name=agency_id, kind=kind, la_code=la_code)
        records = json.loads((NATIVE / f"{kind}.json").read_text(encoding="utf-8"))
        before = len(self.publisher.deliveries)
        for notification in adapt(agency, records, datetime.now(UTC), self.hub_pseudonyms):
            body = notification_adapter.dump_json(notification)
            envelope = self.keys.seal_source(
                agency_id, body, message_id=notification.id, now=datetime.now(UTC)
            )
            await self.router.route(envelope, None)
        views = {}
        for recipient, message in self.publisher.deliveries[before:]:
            opened = self.keys.open_delivery(recipient, message.body, now=datetime.now(UTC))
            event = json.loads(opened.plaintext)["event"]
            views[(recipient, event["id"])] = event
        return views


def _without_time(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "time"}


@pytest.mark.timeout(120)  # one hub, four agencies' files, every party's queue read
async def test_native_records_of_every_adapter_reach_their_recipients(
    hub_process: HubProcess, tmp_path: Path
) -> None:
    """Every adapter's native example arrives, minimised, at each recipient the protocol names."""
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    hub_key = (hub_process.keys_dir / "pseudonym.key").read_bytes()
    expectation = _Expectation(tmp_path / "expectation-keys", Pseudonymiser(hub_key))
    async with aiohttp.ClientSession() as session:
        for kind in ADAPTER_KINDS:
            agency_id = AGENCY_FOR_KIND[kind]
            async with session.post(
                f"{hub_process.base_url}/v1/records",
                data=(NATIVE / f"{kind}.json").read_bytes(),
                headers={**hub_process.headers(agency_id), "Content-Type": "application/json"},
            ) as response:
                assert response.status == 202, await response.text()
                posted = {n["id"] for n in (await response.json())["notifications"]}
            views = await expectation.views(kind)
            assert {notification_id for _, notification_id in views} <= posted
            assert views, f"the {kind} example should reach at least one recipient"
            expected.update(views)

    # The examples' dates are in the past, so the hub's statutory clocks (a return interview
    # not held in 72 hours) fire as soon as its outbox relay looks: their alerts arrive when
    # they will, and are not copies of the posted records (test_statutory_clocks covers them).
    received: dict[tuple[str, str], dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    while True:
        for agency_id, deliveries in (await drain_every(hub_process, DEMO_AGENCY_IDS)).items():
            for delivery in deliveries:
                if delivery.event["type"] not in HUB_MADE_TYPES:
                    received[(agency_id, delivery.event["id"])] = delivery.event
        if set(expected) <= set(received) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)

    assert set(received) == set(expected)
    for key, view in expected.items():
        assert _without_time(received[key]) == _without_time(view), key
