"""Keys rotate under traffic without downtime: the hub's signing and encryption keys, an
agency's signing key and a recipient's encryption key are rotated while notifications flow,
and every notification arrives and opens. Old and new keys are both seen in use, and each
rotation is in the hub's audit log."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime

import aio_pika
import aiohttp
import pytest

from hub.audit import AuditAction
from hub.crypto import KeyMaterial
from hub.delivery import agency_queue_name
from hub.stores import SqlAuditLog
from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL, REPO, HubProcess, wait_until

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"


async def _rotate(hub: HubProcess, agency: str, use: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "keys", "rotate", "--agency", agency, "--use", use,
        cwd=REPO,
        env={**os.environ, "HUB_KEYS_DIR": str(hub.keys_dir), "HUB_DATABASE_URL": hub.database_url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


async def _post_until(hub: HubProcess, stop: asyncio.Event, ids: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            event_id = f"rotation-{len(ids):04d}"
            ids.append(event_id)
            event = example_event()
            event["id"] = event_id
            async with session.post(
                f"{hub.base_url}/v1/notifications",
                data=json.dumps(event),
                headers=hub.headers(CHILDRENS),
            ) as response:
                assert response.status == 202, await response.text()
            await asyncio.sleep(0.1)


async def _take_all(expected: int) -> list[bytes]:
    bodies: list[bytes] = []
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(agency_queue_name(POLICE), passive=True)

        async def all_taken() -> bool:
            while (message := await queue.get(fail=False)) is not None:
                bodies.append(message.body)
                await message.ack()
            return len(bodies) >= expected

        await wait_until(all_taken, timeout=60, what=f"{expected} deliveries to the police")
    return bodies


@pytest.mark.timeout(180)  # continuous posting, four rotations, every delivery opened
async def test_rotation_under_traffic_loses_nothing(hub_process: HubProcess) -> None:
    """Rotating four keys mid-stream leaves every notification delivered and readable."""
    ids: list[str] = []
    stop = asyncio.Event()
    traffic = asyncio.create_task(_post_until(hub_process, stop, ids))
    await asyncio.sleep(0.5)
    await _rotate(hub_process, "hub", "both")
    await _rotate(hub_process, CHILDRENS, "sig")
    await _rotate(hub_process, POLICE, "enc")
    await asyncio.sleep(2.5)  # keys are re-read at most once a second; keep traffic flowing
    stop.set()
    await traffic

    bodies = await _take_all(len(ids))
    keys = KeyMaterial(hub_process.keys_dir, (POLICE,))
    now = datetime.now(UTC)
    opened = [keys.open_delivery(POLICE, body, now=now) for body in bodies]
    assert sorted(contents.message_id for contents in opened) == ids
    envelopes = [json.loads(body) for body in bodies]
    assert len({e["hub_kid"] for e in envelopes}) == 2, "old and new hub signing keys in use"
    assert len({e["enc_kid"] for e in envelopes}) == 2, "old and new police keys in use"
    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        rotated = await audit.entries(action=AuditAction.KEYS_ROTATED)
    finally:
        await audit.close()
    assert sorted((e.actor, e.detail["use"]) for e in rotated) == [
        ("hub", "enc"),
        ("hub", "sig"),
        (CHILDRENS, "sig"),
        (POLICE, "enc"),
    ]
