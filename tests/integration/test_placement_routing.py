"""Routing follows placements, through the real RabbitMQ: a child placed out of area.

While the placement lasts the host authority receives the child's missing episodes; once it
ends, it does not.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import aiohttp

from tests.integration.conftest import REPO, HubProcess

CHILDRENS = "northumberland-childrens"
HOST = "newcastle-childrens"


def _example(type_name: str) -> dict[str, Any]:
    text = (REPO / "docs" / "notifications.md").read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.S):
        event = json.loads(block)
        if event["type"] == f"uk.sehub.{type_name}.v1":
            return event
    raise LookupError(type_name)


async def _post(hub: HubProcess, event: dict[str, Any]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers=hub.headers(CHILDRENS),
        ) as response,
    ):
        assert response.status == 202, await response.text()


async def _received_by_host(hub_process: HubProcess) -> list[dict[str, Any]]:
    events = []
    async with hub_process.subscriber(HOST) as subscriber:
        while True:
            try:
                async with subscriber.receive(timeout=3) as delivery:
                    events.append(delivery.event)
            except TimeoutError:
                return events


async def test_host_authority_receives_missing_episodes_only_while_placed(
    hub_process: HubProcess,
) -> None:
    """The host LA gets the placement, a missing episode during it, its end, and then nothing."""
    started = _example("placement.started")
    started["id"], started["episodeid"] = "it-placement-start", "it-PL-1"
    await _post(hub_process, started)
    during = _example("missing_episode.started")
    during["id"] = "it-missing-during"
    await _post(hub_process, during)

    first = await _received_by_host(hub_process)
    assert [e["id"] for e in first] == ["it-placement-start", "it-missing-during"]
    assert first[1]["data"]["person"]["nhs_number"] == "9434765919"

    ended = copy.deepcopy(started)
    ended.update(id="it-placement-end", type="uk.sehub.placement.ended.v1")
    ended["data"] = {
        key: value
        for key, value in started["data"].items()
        if key
        not in {
            "se_risk",
            "risk_assessment_available",
            "care_plan_available",
            "risk_assessment_ref",
            "care_plan_ref",
            "emergency",
        }
    } | {"ended_on": "2026-11-28", "reason_ceased": "E4A"}
    await _post(hub_process, ended)
    after = _example("missing_episode.started")
    after["id"] = "it-missing-after"
    await _post(hub_process, after)

    second = await _received_by_host(hub_process)
    assert [e["id"] for e in second] == ["it-placement-end"]
