"""RabbitMQ and PostgreSQL for the fault run: started, crashed and restarted by the project's
own scripts (``scripts/services``), never by process name.

Rules:

1. Two modes. *Own* services (``state_dir`` given, what ``make faults`` uses): a RabbitMQ node
   and a PostgreSQL cluster of the run's own, kept under ``state_dir`` with a node name of their
   own, started at the beginning and stopped at the end. Each run's node starts empty: the
   previous run's RabbitMQ data, scarred by its kill -9s, is removed first (a queue deleted and
   declared again on it straight away can fail with INTERNAL_ERROR on RabbitMQ 3.10, which is
   the broker's trouble, not what a run measures). *Running* services (``state_dir``
   None, what the test suite uses): the checkout's usual services on the given ports, started
   if they are not running and left running at the end.
2. A broker crash is ``kill -9`` of the node's ``beam.smp``, by the pid that
   ``rabbitmq.sh pid`` reads from the node's pid file (it checks that the process is this
   node's VM). A restart is ``rabbitmq.sh start``.
3. A database outage is ``pg_ctl stop -m immediate`` on the cluster's data directory (as user
   postgres: the server refuses root), then ``postgres.sh start``, which recovers the cluster.
4. The scripts are blocking shell commands: they run in a worker thread, so the poster and the
   recipients keep running while a service restarts.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent
SCRIPTS: Final = REPO / "scripts" / "services"
SCRIPT_TIMEOUT_SECONDS: Final = 180.0
DATABASE: Final = "hub_test"  # the database postgres.sh creates, owned by user hub
DEFAULT_AMQP_PORT: Final = 5672

__all__ = ["ServiceError", "Services", "kill_by_pid"]


class ServiceError(RuntimeError):
    """A service script failed, or a service did not do what it was told."""


@dataclass(frozen=True, slots=True)
class Services:
    """The broker and the database of one fault run, and how to crash them."""

    amqp_port: int
    pg_port: int
    state_dir: Path | None = None  # None: the checkout's running services (rule 1)

    @property
    def own(self) -> bool:
        return self.state_dir is not None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://hub:hub@127.0.0.1:{self.pg_port}/{DATABASE}"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "HUB_AMQP_PORT": str(self.amqp_port), "HUB_PG_PORT": str(self.pg_port)}
        if self.state_dir is not None:
            env["HUB_SERVICES_DIR"] = str(self.state_dir)
            # A node name of its own: the CLI tools never answer for another checkout's node.
            env["HUB_RABBITMQ_NODENAME"] = f"faults-{self.amqp_port}@localhost"
        own_port = "HUB_AMQP_MGMT_PORT" in env or self.amqp_port == DEFAULT_AMQP_PORT
        if self.state_dir is not None or not own_port:
            # make faults' own broker needs no management API, and restarts quicker without;
            # off the default port without a management port of its own, the default one may
            # be another checkout's. The tests' shared broker keeps it: later tests provision
            # broker users through it, so a restart must not take it away.
            env["HUB_RABBITMQ_MANAGEMENT"] = "0"
        return env

    def _script(self, service: str, action: str, *options: str) -> str:
        try:
            done = subprocess.run(  # noqa: S603  # our own script, fixed arguments
                [str(SCRIPTS / f"{service}.sh"), action, *options],
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=SCRIPT_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"{service}.sh {action} did not finish") from exc
        if done.returncode != 0:
            raise ServiceError(f"{service}.sh {action} failed: {done.stderr.strip()[-400:]}")
        return done.stdout.strip()

    async def script(self, service: str, action: str, *options: str) -> str:
        """Run ``scripts/services/SERVICE.sh ACTION [OPTIONS]`` in a worker thread; its stdout."""
        return await asyncio.to_thread(self._script, service, action, *options)

    async def start(self) -> None:
        """Start (or find running) both services."""
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            await self.script("rabbitmq", "stop")  # idempotent: a crashed run may have left it
            await asyncio.to_thread(
                shutil.rmtree, self.state_dir / "rabbitmq" / "mnesia", ignore_errors=True
            )
        await self.script("postgres", "start")
        await self.script("rabbitmq", "start")

    async def stop(self) -> None:
        """Own services are stopped; running ones are (re)started and left running (rule 1)."""
        if self.own:
            await self.script("rabbitmq", "stop")
            await self.script("postgres", "stop")
        else:
            await self.start()

    async def kill_broker(self) -> int:
        """``kill -9`` the node's VM by its pid file (rule 2); returns the pid killed."""
        return await kill_by_pid(int(await self.script("rabbitmq", "pid")))

    async def start_broker(self) -> None:
        await self.script("rabbitmq", "start")

    async def crash_database(self) -> None:
        """Stop the cluster without a shutdown checkpoint, as a crash would (rule 3)."""
        data_dir = Path(await self.script("postgres", "state-dir")) / "data"
        await asyncio.to_thread(_pg_ctl_immediate_stop, data_dir)

    async def start_database(self) -> None:
        await self.script("postgres", "start")


async def kill_by_pid(pid: int) -> int:
    """``kill -9`` the process ``pid`` and wait until it is gone; returns the pid."""
    os.kill(pid, signal.SIGKILL)
    await asyncio.to_thread(_wait_gone, pid)
    return pid


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    """Wait until ``pid`` has exited (a zombie, not yet reaped by init, counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state == "Z":
            return
        time.sleep(0.05)
    raise ServiceError(f"process {pid} did not exit after kill -9")


def _pg_ctl_immediate_stop(data_dir: Path) -> None:
    version = (data_dir / "PG_VERSION").read_text().strip()
    pg_ctl = f"/usr/lib/postgresql/{version}/bin/pg_ctl"
    command = [pg_ctl, "-D", str(data_dir), "-m", "immediate", "-w", "-t", "60", "stop"]
    if os.geteuid() == 0:
        # The server refuses to run as root, and so does pg_ctl.
        command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
    done = subprocess.run(  # noqa: S603  # fixed arguments, our own cluster
        command,
        cwd="/",  # user postgres may not be able to enter the checkout
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise ServiceError(f"pg_ctl stop -m immediate failed: {done.stderr.strip()[-400:]}")
