"""Each agency's native records, posted to the running hub, arrive as canonical notifications.

Real hub process, real RabbitMQ: the native example file of each adapter is posted to
``/v1/records`` with that agency's token, and every recipient the protocol names receives
exactly the minimised canonical view that ``decide()`` gives for it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters import ADAPTER_KINDS
from hub.adapting import adapt
from hub.agencies import Agency
from hub.sharing import decide
from hub.subscriber import Subscriber
from protocols import load_protocol
from tests.integration.conftest import AMQP_URL, DEMO_AGENCY_IDS, REPO, HubProcess

NATIVE = REPO / "docs" / "examples" / "native"
AGENCY_FOR_KIND = {
    "police": "northumbria-police",
    "children_services": "northumberland-childrens",
    "adult_services": "northumberland-adults",
    "education": "northumberland-education",
}


def _expected_views(kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(recipient, notification id) -> the view decide() gives, mapped offline here."""
    agency_id = AGENCY_FOR_KIND[kind]
    la_code = None if kind == "police" else "929"
    agency = Agency(id=agency_id, name=agency_id, kind=kind, la_code=la_code)
    records = json.loads((NATIVE / f"{kind}.json").read_text(encoding="utf-8"))
    protocol = load_protocol(Path(REPO / "protocols" / "northumberland.yaml"))
    now = datetime.now(UTC)
    views = {}
    for notification in adapt(agency, records, now):
        for view in decide(notification, protocol, now).views:
            views[(view.recipient, notification.id)] = dict(view.event)
    return views


def _without_time(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "time"}


async def _drain(agency_id: str) -> list[dict[str, Any]]:
    received = []
    async with Subscriber(AMQP_URL, agency_id) as subscriber:
        while True:
            try:
                async with subscriber.receive(timeout=3) as delivery:
                    received.append(delivery.event)
            except TimeoutError:
                return received


@pytest.mark.timeout(120)  # one hub, four agencies' files, four queues drained
async def test_native_records_of_every_adapter_reach_their_recipients(
    hub_process: HubProcess,
) -> None:
    """Every adapter's native example arrives, minimised, at each recipient the protocol names."""
    expected: dict[tuple[str, str], dict[str, Any]] = {}
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
            views = _expected_views(kind)
            assert {notification_id for _, notification_id in views} <= posted
            assert views, f"the {kind} example should reach at least one recipient"
            expected.update(views)

    received: dict[tuple[str, str], dict[str, Any]] = {}
    for agency_id in DEMO_AGENCY_IDS:
        for event in await _drain(agency_id):
            received[(agency_id, event["id"])] = event

    assert set(received) == set(expected)
    for key, view in expected.items():
        assert _without_time(received[key]) == _without_time(view), key
