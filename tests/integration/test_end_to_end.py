"""The walking skeleton end to end: HTTP POST -> RabbitMQ -> router -> agency queues -> subscriber.

Real processes and connections only: a ``hub run`` subprocess, the real RabbitMQ, SQLite audit.
"""

from __future__ import annotations

import json
import re

import aiohttp

from hub.audit import AuditAction, AuditEntry
from hub.stores import SqlAuditLog
from protocols import load_protocol
from tests.fixtures import CANARIES, CANARY_LOCATION, canary_event
from tests.integration.conftest import DEMO_AGENCY_IDS, REPO, HubProcess, wait_until
from tests.integration.queue_support import queued

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"
E2E_CORRELATION_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"


async def _post(hub: HubProcess, agency: str, event: dict[str, object]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers={**hub.headers(agency), "X-Correlation-ID": E2E_CORRELATION_ID},
        )
        await response.read()
        return response


async def test_post_reaches_each_recipient_minimised_and_audited(hub_process: HubProcess) -> None:
    """A missing-child post reaches the police without the NHS number, the pupil's education
    service minimised to three fields, and no other party; each step audited in order."""
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
    person = dict(event["data"]["person"])  # type: ignore[index]
    del person["nhs_number"]  # the police's purpose does not need it
    assert police_view.event["data"]["person"] == person  # type: ignore[index]
    assert "data.person.nhs_number" in police_view.receipt.withheld
    assert police_view.event["data"]["last_seen_location"] == CANARY_LOCATION  # type: ignore[index]
    assert police_view.receipt.rule_id == "missing-child-from-council-to-police"
    assert "Crime and Disorder Act 1998 s115" in police_view.receipt.lawful_basis
    assert police_view.receipt.acknowledge_by is not None
    assert "subject" in police_view.receipt.withheld
    assert "subject" not in police_view.event

    assert education_view.receipt.rule_id == "missing-pupil-to-school-from-council"
    assert education_view.event["data"] == {
        "person": {"upn": "H801200001001"},
        "missing_type": "missing",
        "started_on": "2026-11-28",
    }
    assert "data.person.nhs_number" in education_view.receipt.withheld
    assert "data.last_seen_location" in education_view.receipt.withheld
    assert education_view.event["episodeid"] == "MIS-2026-0001"
    # One hub episode reference for both, keyed: never the publisher's own episode id.
    hub_episode = education_view.event["hubepisode"]
    assert police_view.event["hubepisode"] == hub_episode
    assert re.fullmatch(r"ep-[0-9a-f]{32}", str(hub_episode))

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
    # Both copies taken and acknowledged, and published: no other party's queue holds one.
    assert {agency for agency, count in (await queued(DEMO_AGENCY_IDS)).items() if count} == set()
    police_rule, school_rule = (
        "missing-child-from-council-to-police",
        "missing-pupil-to-school-from-council",
    )
    between = "missing-child-between-councils"
    steps = [(e.action, e.actor, e.recipient, e.rule_id) for e in entries]
    assert steps == [
        (AuditAction.NOTIFICATION_ACCEPTED, CHILDRENS, None, None),
        (AuditAction.NOTIFICATION_SHARED, CHILDRENS, POLICE, police_rule),
        (AuditAction.NOTIFICATION_SHARED, CHILDRENS, EDUCATION, school_rule),
        (AuditAction.SHARING_REFUSED, CHILDRENS, POLICE, police_rule),
        (AuditAction.SHARING_REFUSED, CHILDRENS, None, between),
        (AuditAction.SHARING_REFUSED, CHILDRENS, CHILDRENS, between),
        (AuditAction.SHARING_REFUSED, CHILDRENS, CHILDRENS, between),
        (AuditAction.DELIVERY_PUBLISHED, CHILDRENS, EDUCATION, school_rule),
        (AuditAction.DELIVERY_PUBLISHED, CHILDRENS, POLICE, police_rule),
    ]
    refusals = [e for e in entries if e.action is AuditAction.SHARING_REFUSED]
    # The force is both the area's and the responsible council's: told once. The publisher is
    # the council where the child lives and the responsible one; the child is not placed away.
    assert [e.detail["reason"] for e in refusals] == [
        f"already served by rule {police_rule}",
        "role host_authority: host authority (no active out-of-area placement): not known",
        "recipient is the publisher",
        "recipient is the publisher",
    ]
    # The reason, and the subject by its keyed pseudonyms only (issue 9): nothing else.
    for refusal in refusals:
        assert set(refusal.detail) == {"reason", "subjects"}
        assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in refusal.detail["subjects"])
    assert {e.correlation_id for e in entries} == {E2E_CORRELATION_ID}
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
    assert any(line.get("correlation_id") == E2E_CORRELATION_ID for line in lines)
    for canary in (*CANARIES, "9434765918"):
        assert canary not in logs
