"""No agency posts as another, over HTTP against a real hub: every ordered pair of demo agencies.

The broker half of the matrix is ``test_broker_isolation.py``; the inbox and acknowledgement
half is ``test_http_inbox.py``. Here agency A tries B's identity three ways: a canonical post
whose ``source`` is B, a sealed envelope whose ``source`` is B, and a request signed with B's
signing key. Each is refused and each refusal is an audit record naming A.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime

import aiohttp
import pytest

from hub.audit import AuditAction
from hub.crypto import KeyMaterial
from hub.edge import ENVELOPE_CONTENT_TYPE, seal_and_sign, sign_request
from hub.stores import SqlAuditLog
from schemas import source_for_agency
from tests.fixtures import example_event
from tests.integration.conftest import DEMO_AGENCY_IDS, HubProcess

CONCURRENCY = 16


def _event_from(agency: str, n: int) -> bytes:
    event = example_event()
    event["id"] = f"cross-{n}"
    event["source"] = source_for_agency(agency)
    return json.dumps(event).encode()


@pytest.mark.timeout(300)
async def test_no_agency_posts_as_another_in_any_of_three_ways(hub_process: HubProcess) -> None:
    """For every ordered pair (A, B): A's post with B as source is 403, A's envelope sealed as B
    is 403, A's post signed with B's key is 401; every one is audited as a rejection by A."""
    keys = KeyMaterial(hub_process.keys_dir, DEMO_AGENCY_IDS)  # the demo holds every key
    url = f"{hub_process.base_url}/v1/notifications"
    pairs = [(a, b) for a in DEMO_AGENCY_IDS for b in DEMO_AGENCY_IDS if a != b]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def attempt(
        session: aiohttp.ClientSession, a: str, body: bytes, headers: dict[str, str]
    ) -> int:
        async with gate:
            bearer = {"Authorization": f"Bearer {hub_process.tokens[a]}"}
            async with session.post(url, data=body, headers={**headers, **bearer}) as answer:
                await answer.read()
                return answer.status

    async def as_other(session: aiohttp.ClientSession, n: int, a: str, b: str) -> list[int]:
        now = datetime.now(UTC)
        plain = _event_from(b, n)
        # An envelope that claims B (sealed with B's keys), in a request A signs.
        envelope, _ = seal_and_sign(keys, b, plain, url=url, now=now)
        signed_as_a = sign_request(
            keys, a, url=url, content_type=ENVELOPE_CONTENT_TYPE, body=envelope, now=now
        )
        # A's own post, in a request signed with B's key.
        own = _event_from(a, n)
        signed_as_b = sign_request(
            keys, b, url=url, content_type="application/cloudevents+json", body=own, now=now
        )
        return [
            await attempt(session, a, plain, {"Content-Type": "application/cloudevents+json"}),
            await attempt(session, a, envelope, signed_as_a),
            await attempt(session, a, own, signed_as_b),
        ]

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        answers = await asyncio.gather(
            *(as_other(session, n, a, b) for n, (a, b) in enumerate(pairs))
        )
    assert Counter(tuple(answer) for answer in answers) == {(403, 403, 401): len(pairs)}

    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        rejected = await audit.entries(action=AuditAction.NOTIFICATION_REJECTED, limit=100_000)
    finally:
        await audit.close()
    by_actor = Counter(entry.actor for entry in rejected)
    assert by_actor == {a: 3 * (len(DEMO_AGENCY_IDS) - 1) for a in DEMO_AGENCY_IDS}
    statuses = Counter(entry.detail["status"] for entry in rejected)
    assert statuses == {403: 2 * len(pairs), 401: len(pairs)}
