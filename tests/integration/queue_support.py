"""Reading every party's queue quickly: count them all on one connection, drain the ones that
hold something.

The partnership has some fifty parties. Waiting on each queue in turn for a delivery that may
never come takes minutes; a passive declare of each counts what waits there at once. Rules:

1. Counts are of ready messages (unacknowledged ones are not counted), so take them only once
   the hub has published everything the test waits for.
2. A queue that counts nothing is reported as receiving nothing; the others are drained (and
   acknowledged) with :func:`tests.integration.partnership_support.drain`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import aio_pika

from hub.delivery import agency_queue_name
from hub.subscriber import Delivery
from tests.integration.conftest import AMQP_URL, HubProcess
from tests.integration.partnership_support import drain

__all__ = ["drain_every", "queued", "wait_for_queued"]


async def queued(agencies: Iterable[str]) -> dict[str, int]:
    """How many deliveries wait, ready, on each agency's queue (rule 1)."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        counts: dict[str, int] = {}
        for agency in agencies:
            queue = await channel.declare_queue(agency_queue_name(agency), passive=True)
            counts[agency] = int(queue.declaration_result.message_count or 0)
        return counts


async def wait_for_queued(
    agencies: Iterable[str],
    at_least: int,
    *,
    timeout: float,  # noqa: ASYNC109  # a polling deadline, checked between counts
    settle: float = 1.0,
) -> dict[str, int]:
    """The counts once ``at_least`` deliveries wait in all, and ``settle`` seconds more have
    brought no other; fails the test after ``timeout`` seconds."""
    names = tuple(agencies)
    deadline = time.monotonic() + timeout
    counts = await queued(names)
    while sum(counts.values()) < at_least and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        counts = await queued(names)
    assert sum(counts.values()) >= at_least, f"{sum(counts.values())} queued of {at_least}"
    while True:
        await asyncio.sleep(settle)
        again = await queued(names)
        if again == counts or time.monotonic() >= deadline:
            return again
        counts = again


async def drain_every(hub: HubProcess, agencies: Iterable[str]) -> dict[str, list[Delivery]]:
    """What each agency's queue holds now, acknowledged: empty for a queue counting nothing."""
    counts = await queued(agencies)
    holding = [agency for agency, count in counts.items() if count]
    received = await drain(hub, holding)
    return {agency: received.get(agency, []) for agency in counts}
