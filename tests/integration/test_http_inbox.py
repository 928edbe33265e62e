"""The HTTP inbox on a real hub, RabbitMQ and database: an agency that receives over HTTP only
long-polls, downloads, opens with its own key and acknowledges, round after round, across a
restart of the hub; and every demo agency trying another's delivery ids gets 404, audited."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.api import InboxListing
from hub.audit import AuditAction, AuditEntry
from hub.crypto import KeyMaterial
from hub.messages import DELIVERY_CONTENT_TYPE, DELIVERY_DOCUMENT_CONTENT_TYPE
from hub.replay import page_cursor
from hub.stores import SqlAuditLog
from hub.subscriber import open_message
from tests.fixtures import example_event
from tests.integration.conftest import (
    DEMO_AGENCY_IDS,
    POSTGRES_URL,
    HubProcess,
    drop_all_tables,
    running_hub,
    wait_until,
)
from tests.integration.queue_support import queued

POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
ROUNDS = 30  # half before the restart, half after
# Councils of Northumbria and Durham: each posts about its own child, so that the police and
# several education services hold copies for the matrix.
COUNCILS = {"northumberland": "929", "newcastle": "391", "gateshead": "390", "durham": "840"}


class Agent:
    """One agency's HTTP client of the hub: its token, and the hub it talks to."""

    def __init__(self, session: aiohttp.ClientSession, hub: HubProcess, agency: str) -> None:
        self.session, self.hub, self.agency = session, hub, agency

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.hub.tokens[self.agency]}", **extra}

    async def list(self, **query: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(
            f"{self.hub.base_url}/v1/inbox", params=query, headers=self._headers()
        ) as response:
            return response.status, await response.json(content_type=None)

    async def download(self, delivery_id: str, **query: str) -> tuple[int, str, bytes]:
        async with self.session.get(
            f"{self.hub.base_url}/v1/inbox/{delivery_id}", params=query, headers=self._headers()
        ) as response:
            return response.status, response.content_type, await response.read()

    async def acknowledge(self, delivery_id: str, action: str = "received") -> int:
        async with self.session.post(
            f"{self.hub.base_url}/v1/deliveries/{delivery_id}/acknowledgements",
            data=json.dumps({"action": action, "by": "inbox-robot.7"}),
            headers=self._headers(**{"Content-Type": "application/json"}),
        ) as response:
            return response.status


def _event(n: int, council: str = "northumberland") -> dict[str, Any]:
    event = example_event()
    event["id"] = f"inbox-{council}-{n:03d}"
    event["source"] = f"urn:sehub:agency:{council}-childrens"
    event["episodeid"] = f"MIS-INBOX-{council}-{n:03d}"
    event["data"]["person"]["local_id"] = f"CHILD-INBOX-{n:03d}"
    event["data"]["person"]["resident_la"] = COUNCILS[council]
    event["data"]["person"]["responsible_la"] = COUNCILS[council]
    return event


async def _entries(database_url: str) -> list[AuditEntry]:
    audit = SqlAuditLog.from_url(database_url)
    try:
        return await audit.entries(limit=100_000)
    finally:
        await audit.close()


async def _one_round(police: Agent, hub: HubProcess, keys: KeyMaterial, n: int) -> str:
    """Long-poll before the post, so the answer must come from the wait ending early; then
    download, open at the police's edge, acknowledge, and see the list empty again."""
    polling = asyncio.create_task(police.list(wait="30"))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    assert (await hub.post(_event(n), as_agency="northumberland-childrens"))[0] == 202
    status, body = await polling
    assert status == 200, body
    assert time.monotonic() - started < 20, "the long-poll did not answer early"
    (entry,) = InboxListing.model_validate(body).deliveries
    got, media, envelope = await police.download(entry.delivery_id)
    assert (got, media, len(envelope)) == (200, DELIVERY_CONTENT_TYPE, entry.size)
    delivery = open_message(keys, POLICE, envelope, replayed=False, now=datetime.now(UTC))
    assert (delivery.delivery_id, delivery.notification_id) == (entry.delivery_id, _event(n)["id"])
    assert "nhs_number" not in delivery.event["data"]["person"]  # the police's minimised view
    assert await police.acknowledge(entry.delivery_id) == 200
    assert (await police.list())[1]["deliveries"] == []
    return entry.delivery_id


@pytest.fixture
async def postgres_url() -> str:
    await drop_all_tables(POSTGRES_URL)
    return POSTGRES_URL


@pytest.mark.postgres
async def test_an_http_only_agency_receives_for_days_across_a_hub_restart(
    clean_broker: None, tmp_path: Path, postgres_url: str
) -> None:
    """The police receive over HTTP only: thirty rounds of long-poll, download, open with their
    own key and acknowledge, with the hub restarted halfway; each copy once, none on their AMQP
    queue, each download and its release to the inbox audited."""
    keys = KeyMaterial(tmp_path / "keys", (POLICE,))
    handled: list[str] = []
    for half in (range(ROUNDS // 2), range(ROUNDS // 2, ROUNDS)):
        async with (
            running_hub(
                tmp_path, role="all", database_url=postgres_url, http_only=(POLICE,)
            ) as hub,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session,
        ):
            police = Agent(session, hub, POLICE)
            quiet = time.monotonic()
            assert (await police.list(wait="1"))[1]["deliveries"] == []
            assert time.monotonic() - quiet >= 0.9  # waited out its deadline, empty
            for n in half:  # in turn: each round waits on the one before
                handled.append(await _one_round(police, hub, keys, n))  # noqa: PERF401
            assert (await queued([POLICE]))[POLICE] == 0
            assert (await queued([EDUCATION]))[EDUCATION] == len(handled)  # amqp: published
            status, media, opened = await police.download(handled[-1], open="true")
            assert (status, media) == (200, DELIVERY_DOCUMENT_CONTENT_TYPE)
            assert json.loads(opened)["delivery_id"] == handled[-1]

    assert len(set(handled)) == ROUNDS
    entries = await _entries(postgres_url)
    downloads = [e for e in entries if e.action is AuditAction.DELIVERY_DOWNLOADED]
    assert sorted(e.detail["delivery_id"] for e in downloads if e.detail["form"] == "sealed") == (
        sorted(handled)
    )
    released = {
        e.detail["delivery_id"]: e.detail["channel"]
        for e in entries
        if e.action is AuditAction.DELIVERY_PUBLISHED and e.recipient == POLICE
    }
    assert {released[d] for d in handled} == {"inbox"}


def _problem(answer: tuple[int, str, bytes]) -> tuple[int, str, dict[str, Any]]:
    """A download's answer with its problem's correlation id (new on each request) left out."""
    status, media, body = answer
    problem = json.loads(body)
    problem.pop("correlation_id")
    return status, media, problem


async def _holdings(agents: dict[str, Agent]) -> dict[str, list[str]]:
    """Each agency's own pending delivery ids, as it lists them."""
    held: dict[str, list[str]] = {}
    for agency, agent in agents.items():
        status, body = await agent.list()
        assert status == 200, body
        held[agency] = [d["delivery_id"] for d in body["deliveries"]]
    return held


async def test_no_agency_lists_downloads_or_acknowledges_anothers_delivery(
    hub_process: HubProcess,
) -> None:
    """For every ordered pair of demo agencies (A, B) where B holds a copy, A listing after a
    cursor at it, downloading it and acknowledging it each gets the same 404 as an unknown id,
    and each attempt is an access.refused record naming A and the route, never B."""
    for n, council in enumerate(COUNCILS):
        assert (await hub_process.post(_event(n, council), as_agency=f"{council}-childrens"))[
            0
        ] == 202
    await asyncio.sleep(3)  # routed and released
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        agents = {a: Agent(session, hub_process, a) for a in DEMO_AGENCY_IDS}
        held = await _holdings(agents)
        holders = {agency: ids[0] for agency, ids in held.items() if ids}
        assert len(holders) >= 4, holders  # the police and several education services
        unknown = _problem(await agents[POLICE].download("0" * 32))
        before = len(await _entries(hub_process.database_url))
        tries = 0
        for a, agent in agents.items():
            for b, theirs in holders.items():
                if a == b:
                    continue
                cursor = page_cursor(datetime.now(UTC), theirs)
                assert (await agent.list(after=cursor))[0] == 404
                assert _problem(await agent.download(theirs)) == unknown
                assert await agent.acknowledge(theirs) == 404
                tries += 3
        assert await _holdings(agents) == held  # nothing was acknowledged away

    refusals = [
        e
        for e in (await _entries(hub_process.database_url))[before:]
        if e.action is AuditAction.ACCESS_REFUSED
    ]
    assert len(refusals) == tries
    routes = {e.detail["route"] for e in refusals}
    assert routes == {
        "/v1/inbox",
        "/v1/inbox/{delivery_id}",
        "/v1/deliveries/{delivery_id}/acknowledgements",
    }
    for refusal in refusals:
        assert refusal.recipient is None
        assert refusal.detail["delivery_id"] in holders.values()
        owner = next(b for b, d in holders.items() if d == refusal.detail["delivery_id"])
        assert owner != refusal.actor
        assert owner not in json.dumps(refusal.detail)


async def test_the_cursor_pages_a_long_inbox_on_the_real_store(hub_process: HubProcess) -> None:
    """Five copies for the police, listed two at a time: three pages, each copy once, oldest
    first, the last page with no next; an AMQP agency's inbox lists its published copies too."""
    for n in range(5):
        assert (await hub_process.post(_event(100 + n)))[0] == 202
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        police = Agent(session, hub_process, POLICE)

        async def all_five() -> bool:
            return len((await police.list())[1]["deliveries"]) == 5

        await wait_until(all_five, timeout=30, what="five police copies in the inbox")
        pages: list[list[dict[str, Any]]] = []
        query: dict[str, str] = {"limit": "2"}
        while True:
            status, body = await police.list(**query)
            assert status == 200, body
            pages.append(body["deliveries"])
            if body["next"] is None:
                break
            query = {"limit": "2", "after": body["next"]}
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [entry for page in pages for entry in page]
    assert len({entry["delivery_id"] for entry in listed}) == 5
    assert [e["released_at"] for e in listed] == sorted(e["released_at"] for e in listed)
