"""``hub tail`` prints what arrives on an agency's queue, from a real process."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aio_pika
import aiohttp

from hub.delivery import agency_queue_name
from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL, REPO, HubProcess, wait_until


async def _queued(agency_id: str) -> bool:
    """Whether a delivery is waiting on the agency's queue (counted, not consumed)."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(agency_queue_name(agency_id), passive=True)
        return bool(queue.declaration_result.message_count)


async def _post_example(hub_process: HubProcess, event_id: str) -> None:
    event = example_event()
    event["id"] = event_id
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{hub_process.base_url}/v1/notifications",
            data=json.dumps(event),
            headers=hub_process.headers("northumberland-childrens"),
        )
        assert response.status == 202


async def _tail(hub_process: HubProcess, *args: str) -> tuple[int | None, str, str]:
    """Run ``hub tail ARGS`` as its own process; its exit code, stdout and stderr."""
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "tail",
        *args,
        cwd=REPO,
        # The test's own directory, so that no var/demo/amqp credentials of a `make run` apply.
        env={
            **os.environ,
            "HUB_AMQP_URL": AMQP_URL,
            "HUB_KEYS_DIR": str(hub_process.keys_dir),
            "HUB_AGENCIES_PATH": str(hub_process.log_path.with_name("agencies.yaml")),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(tail.communicate(), timeout=40)
    return tail.returncode, stdout.decode(), stderr.decode()


async def test_tail_prints_the_agencys_delivery(hub_process: HubProcess) -> None:
    """After a post, ``hub tail --agency`` prints the education view as one JSON line."""
    await _post_example(hub_process, "tail-0001")

    returncode, stdout, stderr = await _tail(
        hub_process, "--agency", "northumberland-education", "--count", "1", "--timeout", "20"
    )
    assert returncode == 0, stderr
    (line,) = stdout.splitlines()
    printed = json.loads(line)
    assert printed["recipient"] == "northumberland-education"
    assert printed["event"]["id"] == "tail-0001"
    assert printed["receipt"]["rule_id"] == "missing-pupil-to-school-from-council"
    assert "nhs_number" not in json.dumps(printed["event"])
    assert "no notification" not in stderr


async def test_tail_exits_nonzero_when_nothing_arrives(hub_process: HubProcess) -> None:
    """With --count and a timeout, an empty queue makes tail exit 1."""
    returncode, stdout, stderr = await _tail(
        hub_process, "--agency", "northumberland-adults", "--count", "1", "--timeout", "1"
    )
    assert returncode == 1
    assert stdout == ""
    assert stderr == "hub tail: no notification for 1 s; 0 of 1 received\n"


async def test_tail_without_count_says_how_many_arrived(hub_process: HubProcess) -> None:
    """Without --count, tail prints what arrived, then says on stderr how many, and exits 0."""
    await _post_example(hub_process, "tail-0002")
    await wait_until(
        lambda: _queued("northumberland-education"), timeout=20, what="the education delivery"
    )

    returncode, stdout, stderr = await _tail(
        hub_process, "--agency", "northumberland-education", "--timeout", "2"
    )
    assert returncode == 0, stderr
    (line,) = stdout.splitlines()
    assert json.loads(line)["event"]["id"] == "tail-0002"
    assert stderr == "hub tail: no notification for 2 s; 1 received\n"
