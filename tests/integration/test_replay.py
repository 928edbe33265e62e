"""Replay after a subscriber outage, on a real hub, RabbitMQ and database: the agency's own
copies come again, marked replayed and handed despite its inbox, a page at a time, audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from hub.audit import AuditAction
from hub.stores import SqlAuditLog
from hub.subscriber import Delivery, SqliteInbox, Subscriber, request_replay
from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL, HubProcess

POLICE = "northumbria-police"
EDUCATION = "northumberland-education"


async def _handled(subscriber: Subscriber) -> list[Delivery]:
    handed: list[Delivery] = []
    while True:
        try:
            async with subscriber.receive(timeout=3) as delivery:
                handed.append(delivery)
        except TimeoutError:
            return handed


async def _replay_page(hub: HubProcess, body: dict[str, Any]) -> dict[str, Any]:
    headers = {**hub.headers(POLICE), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/deliveries/replay", data=json.dumps(body), headers=headers
        ) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_after_an_outage_the_agency_gets_its_copies_again_marked_replayed(
    hub_process: HubProcess, tmp_path: Path
) -> None:
    """Three notifications handled into a SQLite inbox; the replay sends the three police
    copies again (not education's), which the same inbox hands over marked replayed, and the
    hub audits the replay with their delivery ids."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    for n in range(3):
        event = example_event()
        event["id"] = f"replay-{n}"
        assert (await hub_process.post(event))[0] == 202
    inbox = tmp_path / "police-inbox.sqlite"
    async with Subscriber(
        AMQP_URL, POLICE, keys_dir=hub_process.keys_dir, inbox=SqliteInbox(inbox)
    ) as police:
        first = await _handled(police)
    assert sorted(d.notification_id for d in first) == ["replay-0", "replay-1", "replay-2"]
    assert not any(d.replayed for d in first)

    replayed = await request_replay(hub_process.base_url, hub_process.tokens[POLICE], since=start)
    assert replayed == 3
    async with Subscriber(
        AMQP_URL, POLICE, keys_dir=hub_process.keys_dir, inbox=SqliteInbox(inbox)
    ) as police:
        again = await _handled(police)
    assert sorted(d.delivery_id for d in again) == sorted(d.delivery_id for d in first)
    assert all(d.replayed for d in again)

    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        (record,) = [e for e in await audit.entries() if e.action is AuditAction.DELIVERY_REPLAYED]
    finally:
        await audit.close()
    assert (record.actor, record.detail["replayed"]) == (POLICE, 3)
    assert sorted(record.detail["delivery_ids"]) == sorted(d.delivery_id for d in first)


async def test_a_replay_comes_a_page_at_a_time_with_a_cursor(hub_process: HubProcess) -> None:
    """With a page of two, three copies take two pages: two, then one and no further cursor;
    a cursor the hub did not give is a 422 naming ``after``."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    for n in range(3):
        event = example_event()
        event["id"] = f"paged-{n}"
        assert (await hub_process.post(event))[0] == 202
    async with hub_process.subscriber(POLICE) as police:
        assert len(await _handled(police)) == 3

    first = await _replay_page(hub_process, {"since": start.isoformat(), "limit": 2})
    assert first["replayed"] == 2
    assert first["next"] is not None
    second = await _replay_page(hub_process, {"after": first["next"], "limit": 2})
    assert (second["replayed"], second["next"]) == (1, None)
    assert not set(first["delivery_ids"]) & set(second["delivery_ids"])

    headers = {**hub_process.headers(POLICE), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub_process.base_url}/v1/deliveries/replay",
            data=json.dumps({"after": "not-a-cursor"}),
            headers=headers,
        ) as response,
    ):
        assert response.status == 422
        assert [e["field"] for e in (await response.json(content_type=None))["errors"]] == ["after"]
