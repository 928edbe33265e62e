"""Per-subject order across several routing processes (issue 13, "scale out without losing order").

One API process and three router processes (slots 0/3, 1/3, 2/3) share the real RabbitMQ and
PostgreSQL. Many children are reported at once; each child's reports are posted one after
another, naming the child by different identifiers, so that the resolver must link them (and,
once per child, merge two components it first saw apart). The routers start once a backlog has
built up on ingress, so that they take up many reports about each child at once. The audit
chain's order of each report's routing records must be the order the reports were accepted in.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from hub.cli import write_demo
from hub.db import audit_records, create_engine_for
from tests.integration.conftest import (
    AMQP_URL,
    POSTGRES_URL,
    drop_all_tables,
    free_port,
    readyz_status,
    start_hub,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.postgres

COUNCIL = "northumberland-childrens"
POLICE = "northumbria-police"
CHILDREN = 16
ROUTERS = 3
ROUTED = ("notification.shared", "sharing.refused", "notification.duplicate")


@dataclass
class Partnership:
    """The running processes: where to post, with which tokens, and the routers, once started."""

    base_url: str
    tokens: dict[str, str]
    env: dict[str, str]
    workdir: Path
    routers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def router_logs(self) -> list[Path]:
        return [self.workdir / f"router-{slot}.log" for slot in range(ROUTERS)]

    async def start_routers(self) -> None:
        """Start the three routers, one per slot, and wait until each is routing."""
        for slot, log in enumerate(self.router_logs):
            env = {**self.env, "HUB_ROUTER_SLOT": f"{slot}/{ROUTERS}"}
            self.routers.append(start_hub("router", log, env))

        async def started() -> bool:
            for process, log in zip(self.routers, self.router_logs, strict=True):
                if process.poll() is not None:
                    pytest.fail(f"a router exited:\n{log.read_text(errors='replace')}")
            return all(
                log.exists() and "router.started" in log.read_text(errors="replace")
                for log in self.router_logs
            )

        await wait_until(started, timeout=60, what="three routers")


def _nhs(serial: int) -> str:
    """A synthetic NHS number with a valid check digit (mod 11), from 943 upwards."""
    while True:
        digits = f"943{serial:06d}"
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return digits + str(check)
        serial += 1


def _report(agency: str, event_id: str, person: dict[str, Any], day: int) -> dict[str, Any]:
    """A missing report by ``agency`` about ``person``, its episode one of its own."""
    started = (datetime.now(UTC) - timedelta(days=day)).replace(microsecond=0)
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": f"urn:sehub:agency:{agency}",
        "type": "uk.sehub.missing_episode.started.v1",
        "time": started.isoformat(),
        "datacontenttype": "application/json",
        "episodeid": f"EP-{event_id}",
        "data": {
            "person": {
                "date_of_birth": "2011-05-04",
                "sex": "F",
                "resident_la": "929",
                "responsible_la": "929",
                **person,
            },
            "missing_type": "missing",
            "looked_after": True,
            "started_on": started.date().isoformat(),
            "started_at": started.isoformat(),
            "risk_level": "high",
        },
    }


def _reports(child: int) -> list[tuple[str, dict[str, Any]]]:
    """One child's five reports in the order they are posted.

    The first two name the child by identifiers with nothing in common (two components); the
    third names both (a merge); the last two reach the merged component each by one identifier.
    """
    nhs, council_id, police_id = _nhs(child * 7 + 11), f"C-{child:04d}", f"P-{child:04d}"
    plan = [
        (POLICE, {"local_id": police_id, "nhs_number": nhs}),
        (COUNCIL, {"local_id": council_id}),
        (POLICE, {"local_id": police_id, "la_child_id": council_id}),
        (COUNCIL, {"local_id": council_id, "nhs_number": nhs}),
        (POLICE, {"local_id": police_id}),
    ]
    return [
        (agency, _report(agency, f"order-{child:03d}-{step}", person, day=5 - step))
        for step, (agency, person) in enumerate(plan)
    ]


@pytest.fixture
async def partnership(clean_broker: None, tmp_path: Path) -> AsyncIterator[Partnership]:
    """An API on PostgreSQL and the real broker; three routers sharing its setup, on demand."""
    await drop_all_tables(POSTGRES_URL)
    keys_dir = tmp_path / "keys"
    tokens = write_demo(tmp_path / "agencies.yaml", tmp_path / "tokens.env", keys_dir=keys_dir)
    port = free_port()
    env = {
        **os.environ,
        "HUB_AMQP_URL": AMQP_URL,
        "HUB_DATABASE_URL": POSTGRES_URL,
        "HUB_HTTP_PORT": str(port),
        "HUB_AGENCIES_PATH": str(tmp_path / "agencies.yaml"),
        "HUB_PSEUDONYM_KEY_PATH": str(keys_dir / "pseudonym.key"),
        "HUB_KEYS_DIR": str(keys_dir),
        "HUB_LOG_LEVEL": "DEBUG",
    }
    api = start_hub("api", tmp_path / "api.log", env)
    hub = Partnership(f"http://127.0.0.1:{port}", tokens, env, tmp_path)
    try:

        async def ready() -> bool:
            if api.poll() is not None:
                pytest.fail(f"the API exited:\n{(tmp_path / 'api.log').read_text()}")
            return await readyz_status(hub.base_url) == 200

        await wait_until(ready, timeout=60, what="the API")
        yield hub
    finally:
        for process in (api, *hub.routers):
            stop_process(process)


async def _post_in_turn(
    session: aiohttp.ClientSession, hub: Partnership, reports: list[tuple[str, dict[str, Any]]]
) -> None:
    """Post one child's reports one after another, each accepted before the next is sent."""
    for agency, event in reports:
        async with session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers={
                "Authorization": f"Bearer {hub.tokens[agency]}",
                "Content-Type": "application/cloudevents+json",
            },
        ) as response:
            assert response.status == 202, await response.text()


async def _first_routing_seq() -> dict[str, int]:
    """For each notification, the chain position of the first record its router wrote."""
    engine = create_engine_for(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(audit_records.c.notification_id, audit_records.c.seq).where(
                    audit_records.c.action.in_(ROUTED)
                )
            )
            first: dict[str, int] = {}
            for notification_id, seq in rows:
                if notification_id is not None:
                    first[notification_id] = min(seq, first.get(notification_id, seq))
            return first
    finally:
        await engine.dispose()


@pytest.mark.timeout(240)
async def test_each_childs_reports_are_routed_in_the_order_they_were_accepted(
    partnership: Partnership,
) -> None:
    """Across three routers, every report is routed after each earlier report it is linked to."""
    plans = {child: _reports(child) for child in range(CHILDREN)}
    # The first three reports of each child, one child after another, wait on ingress (as
    # after an outage of the routers), so that the routers take up each child's reports side
    # by side; the rest arrive, all children at once, while they route.
    async with aiohttp.ClientSession() as session:
        for plan in plans.values():
            await _post_in_turn(session, partnership, plan[:3])
        await partnership.start_routers()
        await asyncio.gather(
            *(_post_in_turn(session, partnership, plan[3:]) for plan in plans.values())
        )
    expected = {event["id"] for plan in plans.values() for _, event in plan}

    async def all_routed() -> bool:
        return expected <= set(await _first_routing_seq())

    await wait_until(all_routed, timeout=180, what="every report to be routed")
    seq = await _first_routing_seq()
    out_of_order = []
    for child, plan in plans.items():
        ids = [event["id"] for _, event in plan]
        for later in range(1, len(ids)):
            for earlier in range(later):
                if (earlier, later) == (0, 1):
                    continue  # two components the hub could not yet know to be one child
                if seq[ids[earlier]] > seq[ids[later]]:
                    out_of_order.append((child, earlier, later))
    assert out_of_order == []
    for log in partnership.router_logs:
        assert "notification.routed" in log.read_text(errors="replace"), log.name
