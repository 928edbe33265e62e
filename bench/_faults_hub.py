"""The hub under test: separate ``hub run --role api|router`` OS processes, killed with kill -9
and restarted.

Rules:

1. Every process is a child of this one, started as ``python -m hub run --role ROLE`` from the
   checkout with the run's own ``HUB_*`` settings (none inherited from the caller's
   environment); its stdout and stderr go to one log file per slot, appended across restarts.
2. Ready means: an API answers ``GET /healthz`` (it serves; ``/readyz`` may rightly say 503
   during an outage), a router has logged ``router.started`` since this start.
3. A start that exits or is not ready in time has failed; it is retried with a back-off until a
   deadline (the hub today exits when it starts while the broker or the database is down).
   Each failed attempt is counted, with its exit code.
4. A slot is ``busy`` while it is being killed or restarted; the supervisor restarts only idle
   slots whose process exited on its own, and counts each such exit as unexpected.
5. Stopping is SIGTERM, then SIGKILL after a grace period, for every process ever started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp

from bench._faults_services import REPO

__all__ = ["HubFleet", "HubSlot", "hub_command", "hub_env"]

ATTEMPT_TIMEOUT_SECONDS: Final = 60.0
RESTART_DEADLINE_SECONDS: Final = 240.0
STOP_GRACE_SECONDS: Final = 15.0
Elapsed = Callable[[], float]


def hub_env(settings: dict[str, str]) -> dict[str, str]:
    """The caller's environment without its ``HUB_*`` variables, plus ``settings`` (rule 1)."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    return {**inherited, **settings}


async def hub_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hub ARGS...`` from the checkout (in a worker thread), output captured."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@dataclass(slots=True)
class HubSlot:
    """One hub process position: a role, a port for an API, and the process now in it."""

    name: str
    role: str
    port: int | None
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    log_offset: int = 0
    starts: int = 0
    busy: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class HubFleet:
    """The API and router processes of a run, with their kills, restarts and failures."""

    env: dict[str, str]
    workdir: Path
    elapsed: Elapsed
    apis: int = 2
    routers: int = 2
    http_ports: tuple[int, ...] = (18080, 18081)
    say: Callable[[str], None] = print
    slots: list[HubSlot] = field(init=False)
    start_failures: list[dict[str, Any]] = field(default_factory=list)
    unexpected_exits: list[dict[str, Any]] = field(default_factory=list)
    # Every process ever started, so that none outlives the run (one that did held messages
    # and signed checkpoints with another run's keys), and no start once stopping began.
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stopping: bool = False

    def __post_init__(self) -> None:
        if len(self.http_ports) < self.apis:
            raise ValueError("one HTTP port per API process")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.slots = [
            HubSlot(f"api-{i + 1}", "api", self.http_ports[i], self.workdir / f"api-{i + 1}.log")
            for i in range(self.apis)
        ] + [
            HubSlot(f"router-{i + 1}", "router", None, self.workdir / f"router-{i + 1}.log")
            for i in range(self.routers)
        ]

    @property
    def api_urls(self) -> list[str]:
        return [slot.base_url for slot in self.slots if slot.role == "api"]

    def slot(self, name: str) -> HubSlot:
        return next(slot for slot in self.slots if slot.name == name)

    async def start_all(self) -> None:
        """Start every slot and wait until all are ready; if one cannot, the others stop too."""
        async with asyncio.TaskGroup() as group:
            for slot in self.slots:
                group.create_task(self._start_until_ready(slot))

    async def kill(self, name: str) -> int | None:
        """``kill -9`` the process in slot ``name`` and reap it; returns its pid (None if it had
        already exited by itself, which is then counted as unexpected)."""
        slot = self.slot(name)
        slot.busy = True
        process = slot.process
        if process is None or process.poll() is not None:
            self.unexpected_exits.append(
                {
                    "slot": name,
                    "at_s": round(self.elapsed(), 2),
                    "rc": process and process.returncode,
                }
            )
            return None
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        return process.pid

    async def restart(self, name: str) -> None:
        """Start slot ``name`` again (after :meth:`kill`) and wait until it is ready."""
        slot = self.slot(name)
        slot.busy = True
        try:
            await self._start_until_ready(slot)
        finally:
            slot.busy = False

    async def supervise(self, stop: asyncio.Event) -> None:
        """Restart any idle slot whose process exited on its own (rule 4), until ``stop``."""
        while not stop.is_set():
            for slot in self.slots:
                process = slot.process
                if slot.busy or process is None or process.poll() is None:
                    continue
                self.unexpected_exits.append(
                    {"slot": slot.name, "at_s": round(self.elapsed(), 2), "rc": process.returncode}
                )
                self.say(f"  {slot.name} exited by itself (rc {process.returncode}); restarting")
                await self.restart(slot.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def stop_all(self) -> None:
        """SIGTERM every process ever started, SIGKILL what is left after the grace period
        (rule 5); nothing starts after this."""
        self.stopping = True
        for slot in self.slots:
            slot.busy = True
        await asyncio.to_thread(self._stop_all_blocking)

    def _stop_all_blocking(self) -> None:
        running = [process for process in self.started if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    async def _start_until_ready(self, slot: HubSlot) -> None:
        deadline = time.monotonic() + RESTART_DEADLINE_SECONDS
        pause = 1.0
        while True:
            rc = await self._attempt(slot)
            if rc is None:
                return
            self.start_failures.append(
                {"slot": slot.name, "at_s": round(self.elapsed(), 2), "rc": rc}
            )
            if time.monotonic() + pause > deadline:
                raise RuntimeError(f"{slot.name} did not start within {RESTART_DEADLINE_SECONDS}s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _attempt(self, slot: HubSlot) -> int | None:
        """One start (rule 2, 3): None when ready, else the exit code (-1: not ready in time)."""
        if self.stopping:
            raise RuntimeError("the run is stopping: no process starts now")
        slot.log_offset = slot.log_path.stat().st_size if slot.log_path.exists() else 0
        env = dict(self.env)
        if slot.port is not None:
            env["HUB_HTTP_PORT"] = str(slot.port)
        if slot.role == "router":
            # Routers started together share the ingress shards (hub.routing._shards).
            index = int(slot.name.removeprefix("router-")) - 1
            env["HUB_ROUTER_SLOT"] = f"{index}/{self.routers}"
        with slot.log_path.open("ab") as log_file:
            slot.process = subprocess.Popen(  # noqa: S603, ASYNC220  # our module; polled below
                [sys.executable, "-m", "hub", "run", "--role", slot.role],
                cwd=REPO,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        slot.starts += 1
        process = slot.process
        self.started.append(process)
        deadline = time.monotonic() + ATTEMPT_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return process.returncode
                if await self._ready(slot):
                    return None
                await asyncio.sleep(0.2)
        except BaseException:
            process.kill()  # cancelled while starting: it must not outlive the run
            raise
        process.kill()
        await asyncio.to_thread(process.wait)
        return -1

    async def _ready(self, slot: HubSlot) -> bool:
        if slot.role == "router":
            with slot.log_path.open("rb") as log_file:
                log_file.seek(slot.log_offset)
                return b'"router.started"' in log_file.read()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{slot.base_url}/healthz", timeout=aiohttp.ClientTimeout(total=2)
                ) as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
