"""The routing core against the real broker: what cannot be verified, opened or read is
dead-lettered and audited, and nothing else breaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aio_pika

from hub.audit import AuditAction
from hub.crypto import HUB_AGENCY, KeyMaterial
from hub.delivery import DEAD_QUEUE, INGRESS_EXCHANGE, INGRESS_ROUTING_KEY
from hub.stores import SqlAuditLog
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, HubProcess, wait_until

CHILDRENS = "northumberland-childrens"


async def _publish_raw(body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(INGRESS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, correlation_id="poison-corr"),
            routing_key=INGRESS_ROUTING_KEY,
        )


def _sealed(hub: HubProcess, event: dict[str, object]) -> bytes:
    keys = KeyMaterial(hub.keys_dir, (HUB_AGENCY, CHILDRENS))
    return keys.seal_source(
        CHILDRENS, json.dumps(event).encode(), message_id=str(event["id"]), now=datetime.now(UTC)
    )


async def _dead_letter_count() -> int:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(DEAD_QUEUE, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def _failures(hub: HubProcess, notification_id: str) -> list[dict[str, object]]:
    audit = SqlAuditLog.from_url(hub.database_url)
    try:
        entries = await audit.entries(notification_id=notification_id)
    finally:
        await audit.close()
    # Refused and dead-lettered, nothing else (the dead letter's own record may lag behind).
    dead_ends = {AuditAction.ROUTING_FAILED, AuditAction.MESSAGE_DEAD_LETTERED}
    assert {entry.action for entry in entries} <= dead_ends
    return [entry.detail for entry in entries if entry.action is AuditAction.ROUTING_FAILED]


async def test_unverifiable_and_invalid_messages_are_dead_lettered_and_audited(
    hub_process: HubProcess,
) -> None:
    """Plain JSON, a tampered envelope and a sealed non-notification are each dead-lettered."""
    plain = canary_event("poison-plain")
    await _publish_raw(json.dumps(plain).encode(), "poison-plain")

    tampered = json.loads(_sealed(hub_process, canary_event("poison-tampered")))
    tampered["sig"] = tampered["sig"][:-4] + ("AAAA" if tampered["sig"][-4:] != "AAAA" else "BBBB")
    await _publish_raw(json.dumps(tampered).encode(), "poison-tampered")

    invalid = canary_event("poison-invalid")
    invalid["data"]["person"]["nhs_number"] = "0000000001"  # type: ignore[index]
    await _publish_raw(_sealed(hub_process, invalid), "poison-invalid")

    async def all_dead_lettered() -> bool:
        return await _dead_letter_count() == 3

    await wait_until(all_dead_lettered, timeout=30, what="three dead-lettered messages")

    await _publish_raw(_sealed(hub_process, canary_event("healthy-1")), "healthy-1")
    async with (
        hub_process.subscriber("northumbria-police") as police,
        police.receive(timeout=20) as delivery,
    ):
        assert delivery.notification_id == "healthy-1"

    assert await _failures(hub_process, "poison-plain") == [
        {"reason": "verification failed", "check": "malformed", "kid": None, "ids_verified": False}
    ]
    (tampered_failure,) = await _failures(hub_process, "poison-tampered")
    assert tampered_failure["check"] in {"bad_signature", "malformed"}
    (invalid_failure,) = await _failures(hub_process, "poison-invalid")
    assert invalid_failure["problems"] == [
        {"field": "data.person.nhs_number", "rule": "value_error"}
    ]
    assert not any(canary in hub_process.logs() for canary in CANARIES)
