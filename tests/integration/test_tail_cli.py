"""``hub tail`` prints what arrives on an agency's queue, from a real process."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp

from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL, REPO, HubProcess


async def test_tail_prints_the_agencys_delivery(hub_process: HubProcess) -> None:
    """After a post, ``hub tail --agency`` prints the education view as one JSON line."""
    event = example_event()
    event["id"] = "tail-0001"
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{hub_process.base_url}/v1/notifications",
            data=json.dumps(event),
            headers=hub_process.headers("northumberland-childrens"),
        )
        assert response.status == 202

    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "tail",
        "--agency",
        "northumberland-education",
        "--count",
        "1",
        "--timeout",
        "20",
        cwd=REPO,
        env={**os.environ, "HUB_AMQP_URL": AMQP_URL, "HUB_KEYS_DIR": str(hub_process.keys_dir)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(tail.communicate(), timeout=40)
    assert tail.returncode == 0, stderr.decode()
    (line,) = stdout.decode().splitlines()
    printed = json.loads(line)
    assert printed["recipient"] == "northumberland-education"
    assert printed["event"]["id"] == "tail-0001"
    assert printed["receipt"]["rule_id"] == "missing-pupil-to-education"
    assert "nhs_number" not in json.dumps(printed["event"])


async def test_tail_exits_nonzero_when_nothing_arrives(hub_process: HubProcess) -> None:
    """With --count and a timeout, an empty queue makes tail exit 1."""
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "tail",
        "--agency",
        "northumberland-adults",
        "--count",
        "1",
        "--timeout",
        "1",
        cwd=REPO,
        env={**os.environ, "HUB_AMQP_URL": AMQP_URL, "HUB_KEYS_DIR": str(hub_process.keys_dir)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(tail.communicate(), timeout=30)
    assert tail.returncode == 1
    assert stdout == b""
