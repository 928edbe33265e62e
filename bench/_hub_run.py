"""One run of the hub end to end: real processes, real broker and PostgreSQL, real subscribers.

Rules:

1. The hub is ``hub run --role api`` x M (each on its own port) and ``hub run --role router``
   x N, started by bench._faults_hub.HubFleet on an empty topology and database
   (bench/_hub_setup.py); every process is stopped at the end, whatever happens.
2. Every recipient agency reads its queue with the subscriber library (verify, open,
   de-duplicate in its own SQLite inbox, acknowledge), through bench._faults_recipients'
   Recipients, which records when each delivery was handed to the agency's code.
3. Once every API answers ``/readyz`` 200 (its ``/healthz`` is 200 already while it still waits
   for its services, when a post would get 503), a warm-up of ``2 * clients`` notifications
   (at most :data:`WARM_UP_MAX`) is posted and delivered first and not counted.
4. Latency of a (notification, recipient) pair is from the start of the POST that carried it
   to the first time the recipient was handed it. The notification id travels in the view's
   CloudEvents ``id`` (a canonical post's own id; a native record's id the adapter derived,
   which the 202 answer names), and the harness holds the POST's start time under that id.
5. Throughput is accepted notifications over the time from the first measured POST to the
   last copy handed to a recipient; a run whose copies did not all arrive within the drain
   timeout reports ``complete: false`` and no rate.
6. CPU per notification is each process's utime+stime over the measured window (from before
   the first measured POST to the last copy), divided by the notifications accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from bench._faults_hub import HubFleet
from bench._faults_recipients import Recipients
from bench._hub_setup import FAN_OUT, BenchHub, bench_protocol, requests
from bench._load import LoadResult, post_all
from bench._measure import cpu_seconds, cpu_used, latency_summary
from bench._processes import own_port

__all__ = ["HubRun", "run_hub"]

DRAIN_TIMEOUT_SECONDS: Final = 120.0
WARM_UP_MAX: Final = 40
READY_SECONDS: Final = 60.0  # for every API to answer /readyz 200 once started
API_PORT_OFFSET: Final = 12000  # API i listens on $HUB_AMQP_PORT + 12000 + i


@dataclass(frozen=True)
class HubRun:
    """What one run offers the hub."""

    count: int = 2000
    recipients: int = 2
    clients: int = 20
    apis: int = 1
    routers: int = 1
    rate: float | None = None  # posts started per second; None: as fast as answered
    native_every: int = 4
    name: str = "peak"


def _received(recipients: Recipients) -> dict[tuple[str, str], float]:
    """When each (notification, recipient) pair was first handed to the agency."""
    tally = recipients.handler
    return {
        pair: min(min(tally.times[d]) for d in deliveries)
        for pair, deliveries in tally.pairs.items()
    }


async def _until_delivered(recipients: Recipients, ids: set[str], fan_out: int) -> bool:
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    expected = len(ids) * fan_out
    while time.monotonic() < deadline:
        got = sum(1 for notification, _ in recipients.handler.pairs if notification in ids)
        if got >= expected:
            return True
        await asyncio.sleep(0.1)
    return False


def _figures(
    run: HubRun, load: LoadResult, received: dict[tuple[str, str], float], complete: bool
) -> dict[str, Any]:
    latencies = [
        at - load.posted_at[notification]
        for (notification, _), at in received.items()
        if notification in load.posted_at
    ]
    last = max(
        (at for (notification, _), at in received.items() if notification in load.posted_at),
        default=load.finished,
    )
    accepted = len(load.posted_at)
    return {
        "name": run.name,
        "count": run.count,
        "recipients": run.recipients,
        "clients": run.clients,
        "apis": run.apis,
        "routers": run.routers,
        "offered_rate": run.rate,
        "accepted": accepted,
        "failures": dict(load.failures),
        "copies_received": len(latencies),
        "complete": complete,
        "posted_per_s": round(accepted / load.seconds, 1) if load.seconds else None,
        "events_per_s": round(accepted / (last - load.started), 1) if complete else None,
        **latency_summary(latencies),
    }


async def run_hub(bench: BenchHub, tokens: dict[str, str], run: HubRun) -> dict[str, Any]:
    """One run (rules 1-6); its figures."""
    workdir = bench.workdir / run.name
    protocol_path = workdir / "protocol.yaml"
    protocol = bench_protocol(run.recipients, protocol_path)
    await bench.fresh()
    fleet = HubFleet(
        env=bench.env(protocol_path),
        workdir=workdir / "logs",
        elapsed=time.monotonic,
        apis=run.apis,
        routers=run.routers,
        http_ports=tuple(own_port(API_PORT_OFFSET + i) for i in range(run.apis)),
        say=lambda _message: None,
    )
    recipients = Recipients(
        bench.amqp_url,
        bench.demo / "keys",
        workdir / "inboxes",
        FAN_OUT[: run.recipients],
        (),
        time.monotonic,
    )
    tag = f"{run.name}-{time.strftime('%H%M%S')}"
    warm = requests(
        min(2 * run.clients, WARM_UP_MAX), protocol=protocol, tokens=tokens, tag=f"w{tag}"
    )
    posts = requests(
        run.count, protocol=protocol, tokens=tokens, tag=tag, native_every=run.native_every
    )
    stop = asyncio.Event()
    receiving: asyncio.Task[None] | None = None
    try:
        await fleet.start_all()  # first: the router declares the agencies' queues
        await _until_ready(fleet.api_urls)
        receiving = asyncio.create_task(recipients.run(stop))
        warmed = await post_all(fleet.api_urls, warm, clients=run.clients)
        await _until_delivered(recipients, set(warmed.posted_at), run.recipients)
        pids = {slot.name: slot.process.pid for slot in fleet.slots if slot.process}
        pids["harness"] = os.getpid()
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load = await post_all(fleet.api_urls, posts, clients=run.clients, rate=run.rate)
        complete = await _until_delivered(recipients, set(load.posted_at), run.recipients)
        used = cpu_used(before, pids)
    finally:
        stop.set()
        if receiving is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(receiving, 10)
        await fleet.stop_all()
    figures = _figures(run, load, _received(recipients), complete)
    accepted = max(1, figures["accepted"])
    figures["cpu_ms_per_notification"] = {
        name: round(seconds * 1000 / accepted, 3) for name, seconds in used.items()
    }
    figures["subscriber_errors"] = dict(recipients.errors)
    return figures


async def _until_ready(api_urls: list[str], timeout: float = READY_SECONDS) -> None:  # noqa: ASYNC109
    """Wait until every API answers ``/readyz`` 200 (rule 3)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        for url in api_urls:
            while True:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{url}/readyz") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not become ready in {timeout:.0f} s")
                await asyncio.sleep(0.1)
