"""Replay in a split deployment, on the real RabbitMQ and PostgreSQL: the API process logs in as
``sehub-intake`` (which may publish only to ingress), the router as ``sehub-router``, each as
``hub provision`` made them; a replay asked of the API reaches the agency's queue, marked
replayed, sent by the router's replay relay."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.audit import AuditAction
from hub.cli import write_demo
from hub.delivery import INTAKE_USER, ROUTER_USER, agency_user
from hub.stores import SqlAuditLog
from hub.subscriber import Delivery, SqliteInbox, Subscriber, request_replay
from tests.fixtures import example_event
from tests.integration.broker_support import Provisioned, provisioning
from tests.integration.conftest import (
    POSTGRES_URL,
    HubProcess,
    drop_all_tables,
    free_port,
    readyz_status,
    start_hub,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.postgres

POLICE = "northumbria-police"


@dataclass
class SplitHub:
    """The API process (as the intake) and the router process, on one database and directory."""

    api: HubProcess
    router_log: Path
    provisioned: Provisioned

    def police(self, inbox: Path) -> Subscriber:
        """The police's subscriber, logged in as their own broker user."""
        url = self.provisioned.url(agency_user(POLICE))
        return Subscriber(url, POLICE, keys_dir=self.api.keys_dir, inbox=SqliteInbox(inbox))


def _start(directory: Path, role: str, amqp_url: str, port: int) -> subprocess.Popen[bytes]:
    """``hub run --role ROLE`` on the demo in ``directory``, logging in with ``amqp_url``."""
    env = {
        **os.environ,
        "HUB_AMQP_URL": amqp_url,
        "HUB_DATABASE_URL": POSTGRES_URL,
        "HUB_HTTP_PORT": str(port),
        "HUB_AGENCIES_PATH": str(directory / "agencies.yaml"),
        "HUB_KEYS_DIR": str(directory / "keys"),
        "HUB_PSEUDONYM_KEY_PATH": str(directory / "keys" / "pseudonym.key"),
        "HUB_LOG_LEVEL": "DEBUG",
    }
    return start_hub(role, directory / f"{role}.log", env)


@pytest.fixture
async def split(tmp_path: Path) -> AsyncIterator[SplitHub]:
    await drop_all_tables(POSTGRES_URL)
    directory = tmp_path / "hub"
    tokens = write_demo(
        directory / "agencies.yaml", directory / "tokens.env", keys_dir=directory / "keys"
    )
    (directory / "keys" / "pseudonym.key").write_bytes(os.urandom(32))
    async with provisioning(tmp_path) as provisioned:
        # The router first: it declares the topology the intake only checks.
        router = _start(directory, "router", provisioned.url(ROUTER_USER), free_port())
        api = None
        try:

            async def router_started() -> bool:
                assert router.poll() is None, (directory / "router.log").read_text()
                return b"router.started" in (directory / "router.log").read_bytes()

            await wait_until(router_started, timeout=30, what="the router to start")
            port = free_port()
            api = _start(directory, "api", provisioned.url(INTAKE_USER), port)
            intake = HubProcess(
                f"http://127.0.0.1:{port}",
                POSTGRES_URL,
                tokens,
                directory / "api.log",
                api,
                directory / "keys",
            )

            async def api_ready() -> bool:
                assert api is not None
                assert api.poll() is None, intake.logs()
                return await readyz_status(intake.base_url) == 200

            await wait_until(api_ready, timeout=30, what="the API to become ready")
            yield SplitHub(intake, directory / "router.log", provisioned)
        finally:
            for process in (api, router):
                if process is not None:
                    stop_process(process)


async def _one(subscriber: Subscriber) -> Delivery:
    async with subscriber, subscriber.receive(timeout=20) as delivery:
        return delivery


async def test_a_replay_asked_of_the_intake_arrives_from_the_router_marked_replayed(
    split: SplitHub, tmp_path: Path
) -> None:
    """A post through the intake reaches the police; their replay, asked of the same intake,
    is answered (1 copy) and the copy arrives again on their queue, same delivery id, marked
    replayed, handed despite their inbox; the intake was refused nothing by the broker."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    status, _ = await split.api.post(example_event())
    assert status == 202
    inbox = tmp_path / "police-inbox.sqlite"
    first = await _one(split.police(inbox))
    assert not first.replayed

    replayed = await request_replay(split.api.base_url, split.api.tokens[POLICE], since=start)
    again = await _one(split.police(inbox))

    assert replayed == 1
    assert (again.delivery_id, again.replayed) == (first.delivery_id, True)
    assert "ACCESS_REFUSED" not in split.api.logs()
    assert b"replay.relayed" in split.router_log.read_bytes()
    audit = SqlAuditLog.from_url(POSTGRES_URL)
    try:
        (record,) = await audit.entries(action=AuditAction.DELIVERY_REPLAYED)
    finally:
        await audit.close()
    assert (record.actor, record.detail["delivery_ids"]) == (POLICE, [first.delivery_id])
