"""Child processes of a benchmark run that serve HTTP: started, waited for, measured, stopped.

Rules:

1. A child is ``python -m MODULE ARGS`` from the checkout, its output appended to a log file
   of its own; it is ready when ``GET /healthz`` on its port answers 200, and a child that
   exits or is not ready within the timeout is an error naming its log.
2. Its port is the checkout's AMQP port (``HUB_AMQP_PORT``) plus an offset, so that two
   checkouts benchmarking on one machine, each on its own broker port, never share one (a
   hub of another checkout answering our readiness check would take our posts).
3. Stopping is SIGTERM, then SIGKILL after a grace period; it is idempotent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import aiohttp

from bench._faults_services import REPO

__all__ = ["HttpChild", "own_port", "wait_healthy"]

READY_TIMEOUT_SECONDS: Final = 60.0
STOP_GRACE_SECONDS: Final = 10.0


def own_port(offset: int) -> int:
    """The port ``offset`` above this checkout's AMQP port (rule 2)."""
    return int(os.environ.get("HUB_AMQP_PORT", "5672")) + offset


async def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` + ``/healthz`` until 200 (rule 1)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}; see {log}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} was not ready in {READY_TIMEOUT_SECONDS}s; see {log}")


class HttpChild:
    """One ``python -m MODULE`` child serving HTTP on ``port``."""

    def __init__(self, module: str, args: list[str], port: int, log: Path, env: dict[str, str]):
        self.url = f"http://127.0.0.1:{port}"
        self._command = [sys.executable, "-m", module, *args]
        self._log = log
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self._log.parent.mkdir(parents=True, exist_ok=True)
        with self._log.open("ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603, ASYNC220  # our module, polled below
                self._command, cwd=REPO, env=self._env, stdout=log_file, stderr=subprocess.STDOUT
            )
        try:
            await wait_healthy(self.url, self.process, self._log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
