"""The walking skeleton end to end: HTTP POST -> RabbitMQ -> router -> agency queues -> subscriber.

Real processes and connections only: a ``hub run`` subprocess, the real RabbitMQ, SQLite audit.
"""

from __future__ import annotations

import json
import re

import aio_pika
import aiohttp

from hub.audit import AuditAction, AuditEntry
from hub.delivery import agency_queue_name
from hub.stores import SqlAuditLog
from protocols import load_protocol
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, REPO, HubProcess, wait_until

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
ADULTS = "northumberland-adults"


async def _post(hub: HubProcess, agency: str, event: dict[str, object]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers={**hub.headers(agency), "X-Correlation-ID": "e2e-corr-1"},
        )
        await response.read()
        return response


async def _message_count(queue_name: str) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        count = queue.declaration_result.message_count
        return int(count or 0)


async def test_post_reaches_each_recipient_minimised_and_audited(hub_process: HubProcess) -> None:
    """A missing-child post reaches police in full, education minimised, adults not at all."""
    event = canary_event("e2e-0001")
    response = await _post(hub_process, CHILDRENS, event)
    assert response.status == 202

    async with hub_process.subscriber(POLICE) as police, police.receive(timeout=20) as delivery:
        police_view = delivery
    async with (
        hub_process.subscriber(EDUCATION) as education,
        education.receive(timeout=20) as delivery,
    ):
        education_view = delivery

    assert police_view.notification_id == "e2e-0001"
    assert police_view.event["data"]["person"] == event["data"]["person"]  # type: ignore[index]
    assert police_view.receipt.rule_id == "missing-child-to-police"
    assert "Crime and Disorder Act 1998 s115" in police_view.receipt.lawful_basis
    assert police_view.receipt.acknowledge_by is not None
    assert "subject" in police_view.receipt.withheld
    assert "subject" not in police_view.event

    assert education_view.receipt.rule_id == "missing-pupil-to-education"
    assert education_view.event["data"] == {
        "person": {"upn": "H801200001001"},
        "missing_type": "missing",
        "started_on": "2026-11-28",
    }
    assert "data.person.nhs_number" in education_view.receipt.withheld
    assert "data.last_seen_location" in education_view.receipt.withheld
    assert education_view.event["episodeid"] == "MIS-2026-0001"

    assert await _message_count(agency_queue_name(ADULTS)) == 0
    assert await _message_count(agency_queue_name(CHILDRENS)) == 0

    audit = SqlAuditLog.from_url(hub_process.database_url)
    entries: list[AuditEntry] = []

    async def both_published() -> bool:
        # A copy is audited as published once the broker confirms it, which can be just after
        # its recipient has it.
        nonlocal entries
        entries = await audit.entries(notification_id="e2e-0001")
        return sum(e.action is AuditAction.DELIVERY_PUBLISHED for e in entries) >= 2

    try:
        await wait_until(both_published, timeout=10, what="two delivery.published records")
    finally:
        await audit.close()
    steps = [(e.action, e.actor, e.recipient, e.rule_id) for e in entries]
    assert steps == [
        (AuditAction.NOTIFICATION_ACCEPTED, CHILDRENS, None, None),
        (AuditAction.NOTIFICATION_SHARED, CHILDRENS, POLICE, "missing-child-to-police"),
        (AuditAction.NOTIFICATION_SHARED, CHILDRENS, EDUCATION, "missing-pupil-to-education"),
        (AuditAction.SHARING_REFUSED, CHILDRENS, None, "missing-child-to-host-authority"),
        (AuditAction.DELIVERY_PUBLISHED, CHILDRENS, EDUCATION, "missing-pupil-to-education"),
        (AuditAction.DELIVERY_PUBLISHED, CHILDRENS, POLICE, "missing-child-to-police"),
    ]
    (refusal,) = [e for e in entries if e.action is AuditAction.SHARING_REFUSED]
    # The reason, and the subject by its keyed pseudonyms only (issue 9): nothing else.
    assert set(refusal.detail) == {"reason", "subjects"}
    assert refusal.detail["reason"] == "condition not met: cross_border"
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in refusal.detail["subjects"])
    assert {e.correlation_id for e in entries} == {"e2e-corr-1"}
    shipped = load_protocol(REPO / "protocols" / "northumberland.yaml").version_tag
    assert {e.protocol_version for e in entries[1:]} == {shipped}


async def test_logs_hold_no_planted_personal_data(hub_process: HubProcess) -> None:
    """Canary personal data in good and bad posts never reaches the hub's (debug-level) logs."""
    good = canary_event("e2e-canary-good")
    bad = canary_event("e2e-canary-bad")
    bad["data"]["person"]["nhs_number"] = "9434765918"  # type: ignore[index]
    bad["data"]["person"]["alias"] = CANARIES[0]  # type: ignore[index]
    assert (await _post(hub_process, CHILDRENS, good)).status == 202
    assert (await _post(hub_process, CHILDRENS, bad)).status == 422
    async with hub_process.subscriber(POLICE) as police, police.receive(timeout=20) as delivery:
        assert delivery.notification_id == "e2e-canary-good"

    async def routed_is_logged() -> bool:
        # The router logs after its commit, which can be just after the delivery arrives.
        return '"notification.routed"' in hub_process.logs()

    await wait_until(routed_is_logged, timeout=10, what="the routing log line")
    logs = hub_process.logs()
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "notification.routed" for line in lines)
    assert any(line.get("correlation_id") == "e2e-corr-1" for line in lines)
    for canary in (*CANARIES, "9434765918"):
        assert canary not in logs
