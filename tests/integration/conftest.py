"""Fixtures for integration tests: the real RabbitMQ and databases, and real hub processes.

The services are started by ``make services`` (scripts/services). A test that cannot reach them
fails; it is never skipped, because a green run must mean the real parts were exercised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import aiohttp
import pytest
import yaml
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from sqlalchemy import text

from hub.agencies import AgencyDirectory
from hub.cli import ADMIN_AGENCY_ID, AUDITOR_ID, write_demo
from hub.db import create_engine_for, metadata
from hub.delivery import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DEAD_AUDIT_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    SHARD_COUNT,
    SHARD_EXCHANGE,
    agency_queue_name,
    shard_queue_name,
)
from hub.subscriber import Subscriber
from protocols import load_protocol

REPO = Path(__file__).resolve().parents[2]
AMQP_URL = os.environ.get("HUB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://hub:hub@127.0.0.1:55432/hub_test"
)
DEMO_AGENCY_IDS = load_protocol(REPO / "protocols" / "northumberland.yaml").party_ids


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def amqp_url() -> str:
    return AMQP_URL


async def reset_broker() -> None:
    """Delete the hub's queues and exchanges so each test starts from an empty topology."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        names = [
            INGRESS_QUEUE,
            ACK_QUEUE,
            DEAD_QUEUE,
            DEAD_AUDIT_QUEUE,
            *(shard_queue_name(shard) for shard in range(SHARD_COUNT)),
            # Every agency of the demo directory has a queue, the administrator and auditor too.
            *(agency_queue_name(a) for a in (*DEMO_AGENCY_IDS, ADMIN_AGENCY_ID, AUDITOR_ID)),
        ]
        for name in names:
            await channel.queue_delete(name)
        exchanges = (
            INGRESS_EXCHANGE,
            SHARD_EXCHANGE,
            ACK_EXCHANGE,
            DELIVER_EXCHANGE,
            DEAD_EXCHANGE,
        )
        for exchange in exchanges:
            await channel.exchange_delete(exchange)


@pytest.fixture
async def clean_broker() -> AsyncIterator[None]:
    """An empty hub topology on the real RabbitMQ, emptied again afterwards.

    Emptying afterwards keeps sealed test deliveries (under keys that die with the test) out of
    the queues a later ``make run`` uses. A broker a test left stopped is emptied next time.
    """
    await reset_broker()
    yield
    with contextlib.suppress(*CONNECTION_EXCEPTIONS, OSError, TimeoutError):
        await reset_broker()


async def drop_all_tables(database_url: str) -> None:
    """Drop every table of the hub (and Alembic's version), so the next migration starts anew."""
    engine = create_engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, once on SQLite (a new file) and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await drop_all_tables(POSTGRES_URL)
    return POSTGRES_URL


def dialect_of(database_url: str) -> str:
    """``sqlite`` or ``postgresql``, from a database URL."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class HubProcess:
    """A real ``hub run`` process and what a test needs to talk to it."""

    base_url: str
    database_url: str
    tokens: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]
    keys_dir: Path

    def subscriber(self, agency_id: str) -> Subscriber:
        """A subscriber holding ``agency_id``'s private keys (from the demo keys directory)."""
        return Subscriber(AMQP_URL, agency_id, keys_dir=self.keys_dir)

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def headers(self, agency_id: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.tokens[agency_id]}",
            "Content-Type": "application/cloudevents+json",
        }

    async def post(
        self, event: dict[str, Any], *, as_agency: str = "northumberland-childrens"
    ) -> tuple[int, dict[str, Any]]:
        """POST ``event`` as ``as_agency``: the status, and the JSON answer."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.base_url}/v1/notifications",
                data=json.dumps(event),
                headers=self.headers(as_agency),
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response,
        ):
            return response.status, await response.json(content_type=None)


async def wait_until(
    probe: Callable[[], Awaitable[bool]],
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline, checked between probes
    what: str,
) -> None:
    """Poll ``probe`` until it is true, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


async def readyz_status(base_url: str, tls: ssl.SSLContext | None = None) -> int | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{base_url}/readyz", timeout=aiohttp.ClientTimeout(total=3), ssl=tls or True
            ) as response,
        ):
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return None


@pytest.fixture
async def hub_process(clean_broker: None, tmp_path: Path) -> AsyncIterator[HubProcess]:
    """A real hub (API and router) on a free port, SQLite audit, the demo agencies."""
    async with running_hub(tmp_path, role="all") as hub:
        yield hub


@pytest.fixture
async def hub_api_only(clean_broker: None, tmp_path: Path) -> AsyncIterator[HubProcess]:
    """A real hub running only its HTTP API: accepted notifications stay on ingress."""
    async with running_hub(tmp_path, role="api") as hub:
        yield hub


@asynccontextmanager
async def running_hub(
    tmp_path: Path,
    *,
    role: str,
    database_url: str | None = None,
    amqp_url: str = AMQP_URL,
    wait_ready: bool = True,
    http_only: tuple[str, ...] = (),
    extra_env: Mapping[str, str] | None = None,
    client_tls: ssl.SSLContext | None = None,
) -> AsyncIterator[HubProcess]:
    """Start ``hub run --role ROLE`` with fresh demo configuration and keys; stop it after.

    By default on a fresh SQLite file, and only once ``/readyz`` says ready. The agencies in
    ``http_only`` receive over their HTTP inbox only (directory ``delivery: http``). ``extra_env``
    adds settings; with ``client_tls`` the hub is reached (and its readiness probed) over HTTPS.
    """
    agencies_path = tmp_path / "agencies.yaml"
    keys_dir = tmp_path / "keys"
    tokens = write_demo(agencies_path, tmp_path / "tokens.env", keys_dir=keys_dir)
    if http_only:
        directory = yaml.safe_load(agencies_path.read_text())
        for entry in directory["agencies"]:
            if entry["id"] in http_only:
                entry["delivery"] = "http"
        agencies_path.write_text(yaml.safe_dump(directory))
    assert set(AgencyDirectory.load(agencies_path)) >= set(DEMO_AGENCY_IDS)
    port = free_port()
    database_url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    env = {
        **os.environ,
        "HUB_AMQP_URL": amqp_url,
        "HUB_DATABASE_URL": database_url,
        "HUB_HTTP_PORT": str(port),
        "HUB_AGENCIES_PATH": str(agencies_path),
        "HUB_PSEUDONYM_KEY_PATH": str(keys_dir / "pseudonym.key"),
        "HUB_KEYS_DIR": str(keys_dir),
        "HUB_LOG_LEVEL": "DEBUG",
        **(extra_env or {}),
    }
    log_path = tmp_path / "hub.log"
    process = start_hub(role, log_path, env)
    scheme = "https" if client_tls is not None else "http"
    hub = HubProcess(
        f"{scheme}://127.0.0.1:{port}", database_url, tokens, log_path, process, keys_dir
    )

    async def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"hub exited with {process.returncode}:\n{hub.logs()}")
        return await readyz_status(hub.base_url, client_tls) == 200

    try:
        if wait_ready:
            await wait_until(ready, timeout=30, what="the hub to become ready")
        yield hub
    finally:
        stop_process(process)


def start_hub(role: str, log_path: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """``hub run --role ROLE`` from the repository with environment ``env``, its output (stdout
    and stderr) written to ``log_path``; started, not waited for."""
    with log_path.open("wb") as log_file:
        # S603: our own module, fixed arguments.
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "hub", "run", "--role", role],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a hub process and wait for it; kill it if it will not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def rabbitmq_control() -> Iterator[Callable[[str], None]]:
    """Run scripts/services/rabbitmq.sh ACTION on the broker the tests use (its port from
    HUB_TEST_AMQP_URL, so that another checkout's broker is never stopped); always restarted."""
    port = str(urlsplit(AMQP_URL).port or 5672)
    env = {**os.environ, "HUB_AMQP_PORT": port}

    def control(action: str) -> None:
        subprocess.run(  # noqa: S603  # our own script, fixed arguments
            [str(REPO / "scripts/services/rabbitmq.sh"), action],
            check=True,
            timeout=180,
            env=env,
        )

    try:
        yield control
    finally:
        control("start")
