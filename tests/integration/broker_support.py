"""What the broker-identity tests share: ``hub provision`` run for real against the test broker,
in a vhost of its own, and the refusal check every cross-agency operation goes through.

Provisioning runs in :data:`VHOST`, not in ``/``, so the users' topology and grants never meet
the other tests' (which use ``guest`` in ``/`` and empty it between tests). Users are global on
a broker, so each fixture deletes the users it made, and the vhost, afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aiormq.exceptions import ChannelAccessRefused

from hub.agencies import AgencyDirectory
from hub.cli import write_demo
from hub.delivery import MANAGED_TAG, BrokerCredentials, ManagementApi
from tests.integration.conftest import AMQP_URL, REPO

VHOST = "sehub-isolation-test"


def _admin_url() -> str:
    """The management API of the broker the tests use: ``HUB_TEST_RABBITMQ_ADMIN_URL``, else
    guest on ``HUB_AMQP_MGMT_PORT``; on a broker off the default port, one of them must be set,
    so that a test that deletes guest never reaches another checkout's broker."""
    explicit = os.environ.get("HUB_TEST_RABBITMQ_ADMIN_URL")
    if explicit:
        return explicit
    port = os.environ.get("HUB_AMQP_MGMT_PORT")
    if port is None and (urlsplit(AMQP_URL).port or 5672) != 5672:
        raise RuntimeError("set HUB_TEST_RABBITMQ_ADMIN_URL or HUB_AMQP_MGMT_PORT for this broker")
    return f"http://guest:guest@127.0.0.1:{port or 15672}"


ADMIN_URL = _admin_url()


@dataclass(frozen=True)
class Operation:
    """One thing a user tries on a channel; a publish is tried with publisher confirms, so that
    its refusal is seen rather than dropped."""

    run: Callable[[AbstractChannel], Awaitable[object]]
    publishes: bool = False


def in_vhost(amqp_url: str, vhost: str = VHOST) -> str:
    """``amqp_url`` on ``vhost``."""
    parts = urlsplit(amqp_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{vhost}", parts.query, ""))


@dataclass(frozen=True)
class Provisioned:
    """A demo directory provisioned on the test broker: where, and each user's credentials."""

    directory: Path
    agencies: AgencyDirectory
    credentials: BrokerCredentials

    @property
    def receiving(self) -> list[str]:
        """The agencies that have a broker user: every entry but the auditors."""
        return sorted(a for a in self.agencies if not self.agencies[a].is_auditor)

    def url(self, user: str) -> str:
        url = self.credentials.url(user)
        assert url is not None, f"hub provision wrote no credentials for {user}"
        return url

    async def provision(self, *args: str, admin_url: str = ADMIN_URL) -> str:
        """Run ``hub provision ARGS`` on this directory: its stdout; fails the test if it fails."""
        returncode, stdout, stderr = await run_provision(self.directory, *args, admin_url=admin_url)
        assert returncode == 0, stderr
        return stdout


async def run_hub(*args: str, env: dict[str, str]) -> tuple[int | None, str, str]:
    """``hub ARGS`` as its own process with ``env`` added: its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=40)
    return process.returncode, stdout.decode(), stderr.decode()


async def run_provision(
    directory: Path, *args: str, admin_url: str = ADMIN_URL
) -> tuple[int | None, str, str]:
    """``hub provision ARGS`` for the directory in ``directory``, in the test vhost."""
    env = {
        "HUB_AMQP_URL": in_vhost(AMQP_URL),
        "HUB_RABBITMQ_ADMIN_URL": admin_url,
        "HUB_AGENCIES_PATH": str(directory / "agencies.yaml"),
    }
    return await run_hub("provision", *args, env=env)


async def _same_broker() -> None:
    """Fail unless the management API belongs to the broker ``HUB_TEST_AMQP_URL`` names."""
    async with ManagementApi(ADMIN_URL) as api:
        ports = await api.amqp_ports()
    assert (urlsplit(AMQP_URL).port or 5672) in ports, f"{ADMIN_URL} is another broker's API"


async def remove_provisioned() -> None:
    """Delete the test vhost and every user provisioning made (tagged as ours)."""
    async with ManagementApi(ADMIN_URL) as api:
        await api.delete_vhost(VHOST)
        for user in await api.users():
            if MANAGED_TAG in user.tags:
                await api.delete_user(user.name)


@asynccontextmanager
async def provisioning(tmp_path: Path) -> AsyncIterator[Provisioned]:
    """The demo directory, with keys, provisioned (``--keep-guest``) in the test vhost; its
    users and the vhost removed afterwards."""
    directory = tmp_path / "demo"
    write_demo(directory / "agencies.yaml", directory / "tokens.env", keys_dir=directory / "keys")
    done = Provisioned(
        directory,
        AgencyDirectory.load(directory / "agencies.yaml"),
        BrokerCredentials(directory / "amqp"),
    )
    await _same_broker()
    await remove_provisioned()
    await done.provision("--keep-guest")
    try:
        yield done
    finally:
        await remove_provisioned()


async def refused(connection: AbstractConnection, operation: Operation) -> bool:
    """Whether RabbitMQ refuses ``operation`` (ACCESS_REFUSED), tried on a channel of its own
    (a refusal closes the channel)."""
    channel = await connection.channel(publisher_confirms=operation.publishes)
    try:
        await operation.run(channel)
    except ChannelAccessRefused:
        return True
    finally:
        if not channel.is_closed:
            # The broker may close it meanwhile.
            with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                await channel.close()
    return False


async def connect(url: str) -> AbstractConnection:
    return await aio_pika.connect(url, timeout=10)
