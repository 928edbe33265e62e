"""Dead letters end to end: a real ``hub run``, the real RabbitMQ, the ``hub dlq`` command.

A poison message (an envelope whose signature does not verify) between good ones never stalls
routing; it lands on the dead queue, audited by the router (``routing.failed``) and by the
dead-letter audit (``message.dead_lettered``); ``hub dlq`` lists, shows and requeues it, and it
dies and is audited again. A copy an agency rejects is audited with that agency as recipient.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime

import aio_pika
import aiohttp

from hub.audit import AuditAction, AuditEntry
from hub.crypto import HUB_AGENCY, KeyMaterial
from hub.delivery import SHARD_EXCHANGE, Broker, agency_queue_name, shard_queue_name
from hub.messages import SOURCE_CONTENT_TYPE, OutgoingMessage
from hub.routing import shard_of
from hub.stores import SqlAuditLog
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, REPO, HubProcess, wait_until

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
POISON = "dlq-poison-0001"


async def _post(hub: HubProcess, event_id: str) -> int:
    """POST a good notification from children's services; the HTTP status."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(canary_event(event_id)),
            headers=hub.headers(CHILDRENS),
        ) as response,
    ):
        return response.status


def _badly_signed(hub: HubProcess) -> bytes:
    """A well-formed source envelope from children's services whose signature is altered."""
    keys = KeyMaterial(hub.keys_dir, (HUB_AGENCY, CHILDRENS))
    sealed = keys.seal_source(
        CHILDRENS,
        json.dumps(canary_event(POISON)).encode(),
        message_id=POISON,
        now=datetime.now(UTC),
    )
    envelope = json.loads(sealed)
    signature = envelope["sig"]
    envelope["sig"] = signature[:8] + ("A" if signature[8] != "A" else "B") + signature[9:]
    return json.dumps(envelope).encode()


async def _publish_to_ingress(body: bytes) -> None:
    broker = Broker(AMQP_URL)
    await broker.connect()
    try:
        await broker.publish_ingress(
            OutgoingMessage(
                body=body,
                message_id=POISON,
                type="uk.gov.sehub.missing_episode.started",
                correlation_id="dlq-poison-corr",
                content_type=SOURCE_CONTENT_TYPE,
                headers={"sehub-publisher": CHILDRENS},
            )
        )
    finally:
        await broker.close()


async def _entries(hub: HubProcess, notification_id: str) -> list[AuditEntry]:
    audit = SqlAuditLog.from_url(hub.database_url)
    try:
        return await audit.entries(notification_id=notification_id)
    finally:
        await audit.close()


async def _wait_for_actions(hub: HubProcess, notification_id: str, wanted: Counter[str]) -> None:
    async def recorded() -> bool:
        actions = Counter(entry.action.value for entry in await _entries(hub, notification_id))
        return all(actions[action] >= count for action, count in wanted.items())

    await wait_until(recorded, timeout=30, what=f"audit records {dict(wanted)}")


async def _hub_dlq(hub: HubProcess, *args: str) -> tuple[int, str, str]:
    """Run ``hub dlq ARGS`` against the test's broker and the hub's audit log."""
    env = {**os.environ, "HUB_AMQP_URL": AMQP_URL, "HUB_DATABASE_URL": hub.database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "dlq",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_poison_message_is_dead_lettered_audited_listed_and_requeued(
    hub_process: HubProcess,
) -> None:
    """Good, poison, good: both good ones are routed; the poison goes round the DLQ twice."""
    poison = _badly_signed(hub_process)
    assert await _post(hub_process, "dlq-good-0001") == 202
    await _publish_to_ingress(poison)
    assert await _post(hub_process, "dlq-good-0002") == 202

    async with hub_process.subscriber(POLICE) as police:
        received = []
        for _ in range(2):
            async with police.receive(timeout=20) as delivery:
                received.append(delivery.notification_id)
    assert received == ["dlq-good-0001", "dlq-good-0002"]

    await _wait_for_actions(
        hub_process, POISON, Counter({"routing.failed": 1, "message.dead_lettered": 1})
    )
    code, out, _ = await _hub_dlq(hub_process, "list", "--json")
    assert code == 0
    (listed,) = [json.loads(line) for line in out.splitlines()]
    # The resolver cannot open it, so it goes down its message id's shard, and dies there.
    shard = shard_of(POISON)
    assert (listed["id"], listed["queue"], listed["reason"]) == (
        POISON,
        shard_queue_name(shard),
        "rejected",
    )
    assert (listed["count"], listed["size"], listed["requeues"]) == (1, len(poison), 0)

    code, table, _ = await _hub_dlq(hub_process, "list")
    assert code == 0
    header, row = table.splitlines()
    assert header.split()[:3] == ["ID", "QUEUE", "REASON"]
    assert row.split()[:4] == [POISON, shard_queue_name(shard), "rejected", "1"]

    code, shown, _ = await _hub_dlq(hub_process, "show", POISON)
    assert code == 0
    assert json.loads(shown)["deaths"][0]["exchange"] == SHARD_EXCHANGE
    for output in (out, table, shown):
        assert json.loads(poison)["sig"][:20] not in output

    code, said, _ = await _hub_dlq(hub_process, "requeue", POISON)
    assert code == 0, said
    assert f"requeued {POISON} to {SHARD_EXCHANGE} / {shard}" in said

    await _wait_for_actions(
        hub_process,
        POISON,
        Counter({"routing.failed": 2, "message.dead_lettered": 2, "dead_letter.requeued": 1}),
    )
    entries = await _entries(hub_process, POISON)
    (requeued,) = [e for e in entries if e.action is AuditAction.DEAD_LETTER_REQUEUED]
    assert requeued.actor == getpass.getuser()
    assert requeued.detail["exchange"] == SHARD_EXCHANGE
    dead = [e for e in entries if e.action is AuditAction.MESSAGE_DEAD_LETTERED]
    assert [e.detail["requeues"] for e in dead] == [0, 1]
    assert {e.detail["reason"] for e in dead} == {"rejected"}

    code, out, _ = await _hub_dlq(hub_process, "list", "--json")
    (again,) = [json.loads(line) for line in out.splitlines()]
    assert (again["id"], again["requeues"]) == (POISON, 1)
    assert not any(canary in hub_process.logs() for canary in CANARIES)


async def test_a_copy_an_agency_rejects_is_audited_with_that_agency(
    hub_process: HubProcess,
) -> None:
    """Education rejects its copy (requeue=False): recorded with education as the recipient."""
    assert await _post(hub_process, "dlq-reject-0001") == 202
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(agency_queue_name(EDUCATION), passive=True)

        async def copy_waiting() -> bool:
            declared = await channel.declare_queue(agency_queue_name(EDUCATION), passive=True)
            return bool(declared.declaration_result.message_count)

        await wait_until(copy_waiting, timeout=20, what="education's copy")
        message = await queue.get(no_ack=False, timeout=10)
        delivery_id = message.headers["sehub-delivery-id"]
        await message.reject(requeue=False)

    await _wait_for_actions(hub_process, "dlq-reject-0001", Counter({"message.dead_lettered": 1}))
    (dead,) = [
        e
        for e in await _entries(hub_process, "dlq-reject-0001")
        if e.action is AuditAction.MESSAGE_DEAD_LETTERED
    ]
    assert dead.recipient == EDUCATION
    assert dead.detail["delivery_id"] == delivery_id
    assert dead.detail["queue"] == agency_queue_name(EDUCATION)
    assert dead.detail["reason"] == "rejected"

    code, out, _ = await _hub_dlq(hub_process, "show", str(delivery_id))
    assert code == 0
    assert json.loads(out)["recipient"] == EDUCATION
