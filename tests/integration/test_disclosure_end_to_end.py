"""The disclosure view after a real run: what the auditor is shown is what the subscribers got.

A ``hub run`` process, the real RabbitMQ and SQLite. Notifications about two children are
posted over HTTP; every agency drains its queue; then the demo auditor asks, by NHS number,
who was told what about the first child.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from stdnum.gb import nhs

from hub.cli import AUDITOR_ID
from hub.sharing import leaf_paths
from tests.fixtures import example_event
from tests.integration.conftest import DEMO_AGENCY_IDS, HubProcess, wait_until
from tests.integration.queue_support import drain_every

CHILDRENS = "northumberland-childrens"
A_NHS = "9434765919"
B_NHS = next(n for n in (f"94347659{i:02d}" for i in range(100)) if nhs.is_valid(n))


def _event(event_id: str, nhs_number: str, local_id: str) -> dict[str, Any]:
    event = example_event()
    event["id"] = event_id
    event["episodeid"] = f"EP-{event_id}"
    event["data"]["person"].update(nhs_number=nhs_number, local_id=local_id)
    if nhs_number != A_NHS:
        del event["data"]["person"]["upn"]
    return event


async def _disclosures(hub: HubProcess, nhs_number: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/audit/disclosures",
            json={"subject": {"nhs_number": nhs_number}},
            headers={"Authorization": f"Bearer {hub.tokens[AUDITOR_ID]}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_the_disclosure_view_lists_exactly_what_the_subscribers_received(
    hub_process: HubProcess,
) -> None:
    """For child A, the (notification, recipient, fields) the view lists equal those every
    agency's subscriber received about A; child B's never appear in it."""
    events = [
        _event("dv-a-1", A_NHS, "CHILD-DV-A"),
        _event("dv-b-1", B_NHS, "CHILD-DV-B"),
        _event("dv-a-2", A_NHS, "CHILD-DV-A"),
    ]
    async with aiohttp.ClientSession() as session:
        for event in events:
            async with session.post(
                f"{hub_process.base_url}/v1/notifications",
                data=json.dumps(event),
                headers=hub_process.headers(CHILDRENS),
            ) as response:
                assert response.status == 202

    async def both_routed() -> bool:
        return len((await _disclosures(hub_process, A_NHS))["notifications"]) == 2

    await wait_until(both_routed, timeout=30, what="both notifications about A to be decided")

    async def all_published() -> bool:
        views = [await _disclosures(hub_process, nhs_number) for nhs_number in (A_NHS, B_NHS)]
        told = [t for view in views for n in view["notifications"] for t in n["told"]]
        return all(t["published_at"] is not None for t in told)

    # delivery.published is written just after the broker confirms, so it may trail the copy.
    await wait_until(all_published, timeout=15, what="every copy to be recorded as published")
    view = await _disclosures(hub_process, A_NHS)
    # Every party's queue: the ones that hold nothing are counted, the others read.
    received = [
        (delivery.notification_id, delivery.recipient, frozenset(leaf_paths(delivery.event)))
        for deliveries in (await drain_every(hub_process, DEMO_AGENCY_IDS)).values()
        for delivery in deliveries
    ]

    listed = {
        (notification["notification_id"], told["recipient"], frozenset(told["shared"]))
        for notification in view["notifications"]
        for told in notification["told"]
    }
    about_a = {item for item in received if item[0].startswith("dv-a-")}
    assert listed == about_a
    assert len(about_a) >= 4  # two notifications, at least two recipients each
    assert {item[0] for item in received} == {"dv-a-1", "dv-a-2", "dv-b-1"}
    assert all(n["publisher"] == CHILDRENS for n in view["notifications"])
    assert A_NHS not in json.dumps(view)
    assert A_NHS not in hub_process.logs()  # neither the posts nor the auditor's query logged it
    assert "CHILD-DV-A" not in hub_process.logs()
