"""The bare relay benchmark: issue 13's yardstick, run on the same broker in the same run as
the hub.

One run per flavour (``awaited``, ``pipelined``; bench/_relay_server.py):

1. deletes and declares the relay's own queues (``bench.relay.*``), so nothing of an earlier
   run is counted;
2. starts the relay as a child process (``python -m bench.relay serve``) with the hub
   router's prefetch, and N consumers here, each on a connection of its own with the hub
   subscriber's prefetch, acknowledging each message;
3. posts ``count`` small JSON notifications from ``clients`` concurrent aiohttp clients and
   waits until every consumer has had every one;
4. reports notifications/s (posted and delivered to all N, first post to last copy), latency
   from POST to arrival at each consumer (p50/p95/p99, by the ``id`` in the body, which is the
   AMQP ``message_id`` of every copy), and the relay process's CPU seconds per notification.

``raw_relay_events_per_s`` is the better flavour's rate; the document says which.

Usage::

    .venv/bin/python -m bench.relay --count 2000 --recipients 2 --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench._faults_hub import hub_env
from bench._faults_services import REPO
from bench._load import Post, post_all
from bench._measure import cpu_seconds, document, latency_summary, write_document
from bench._processes import HttpChild, own_port
from bench._relay_server import INGRESS_QUEUE, MODES, declare, out_queue, serve
from hub.settings import Settings

__all__ = ["main", "run_relay", "run_relay_part"]

SUBSCRIBER_PREFETCH: Final = 10  # hub.subscriber.Subscriber's default
DRAIN_TIMEOUT_SECONDS: Final = 120.0
RELAY_PORT_OFFSET: Final = 12100


def _amqp_url() -> str:
    port = os.environ.get("HUB_AMQP_PORT", "5672")
    return os.environ.get("HUB_TEST_AMQP_URL", f"amqp://guest:guest@127.0.0.1:{port}/")


async def _fresh_queues(amqp_url: str, recipients: int) -> None:
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        for name in (INGRESS_QUEUE, *(out_queue(i) for i in range(8))):
            await channel.queue_delete(name)
        await declare(channel, recipients)


class _Arrivals:
    """When each (id, consumer) first arrived, counted until every copy is in."""

    def __init__(self, expected: int) -> None:
        self.first: dict[tuple[str, int], float] = {}
        self.expected = expected
        self.done = asyncio.Event()

    def callback(self, index: int) -> Any:
        async def arrived(message: AbstractIncomingMessage) -> None:
            self.first.setdefault((str(message.message_id), index), time.monotonic())
            await message.ack()
            if len(self.first) >= self.expected:
                self.done.set()

        return arrived


def _posts(count: int, tag: str) -> list[Post]:
    headers = {"Content-Type": "application/json"}
    filler = "x" * 900  # about the size of a canonical notification
    return [
        Post(
            "/v1/notifications",
            headers,
            json.dumps({"id": f"relay-{tag}-{i:06d}", "data": filler}).encode(),
        )
        for i in range(count)
    ]


async def run_relay(
    amqp_url: str,
    *,
    count: int,
    recipients: int,
    clients: int,
    mode: str,
    port: int | None = None,
    workdir: Path = REPO / "var" / "bench" / "relay",
) -> dict[str, Any]:
    """One relay run (steps 1-4) of one flavour; its figures."""
    port = own_port(RELAY_PORT_OFFSET) if port is None else port
    await _fresh_queues(amqp_url, recipients)
    prefetch = Settings.model_fields["router_concurrency"].default
    child = HttpChild(
        "bench.relay",
        [
            *("serve", "--amqp-url", amqp_url, "--port", str(port)),
            *("--recipients", str(recipients), "--mode", mode, "--prefetch", str(prefetch)),
        ],
        port,
        workdir / f"relay-{mode}.log",
        hub_env({}),
    )
    arrivals = _Arrivals(count * recipients)
    connections = [await aio_pika.connect(amqp_url, timeout=10) for _ in range(recipients)]
    try:
        await child.start()
        for index, connection in enumerate(connections):
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=SUBSCRIBER_PREFETCH)
            queue = await channel.get_queue(out_queue(index))
            await queue.consume(arrivals.callback(index))
        cpu_before = cpu_seconds(child.pid)
        load = await post_all([child.url], _posts(count, mode), clients=clients)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrivals.done.wait(), DRAIN_TIMEOUT_SECONDS)
        cpu_after = cpu_seconds(child.pid)
    finally:
        child.stop()
        for connection in connections:
            await connection.close()
    last = max(arrivals.first.values(), default=load.finished)
    latencies = [
        at - load.posted_at[message_id]
        for (message_id, _), at in arrivals.first.items()
        if message_id in load.posted_at
    ]
    complete = len(arrivals.first) >= count * recipients
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "mode": mode,
        "count": count,
        "recipients": recipients,
        "clients": clients,
        "accepted": load.accepted_posts,
        "failures": dict(load.failures),
        "copies_received": len(arrivals.first),
        "complete": complete,
        "posted_per_s": round(load.accepted_posts / load.seconds, 1),
        "events_per_s": round(count / (last - load.started), 1) if complete else None,
        **latency_summary(latencies),
        "cpu_ms_per_notification": {"relay": round(cpu * 1000 / count, 3)} if cpu else {},
    }


async def run_relay_part(
    amqp_url: str, *, count: int, recipients: int, clients: int
) -> dict[str, Any]:
    """Both flavours, the better as ``raw_relay_events_per_s``."""
    runs = {}
    for mode in MODES:
        print(f"bench.relay: {mode}, {count} x {recipients} recipients", file=sys.stderr)
        runs[mode] = await run_relay(
            amqp_url, count=count, recipients=recipients, clients=clients, mode=mode
        )
    best = max(MODES, key=lambda mode: runs[mode]["events_per_s"] or 0.0)
    return document(
        "relay",
        {
            "recipients": recipients,
            "raw_relay_events_per_s": runs[best]["events_per_s"],
            "raw_relay_mode": best,
            "raw_relay_awaited_events_per_s": runs["awaited"]["events_per_s"],
            "raw_relay_pipelined_events_per_s": runs["pipelined"]["events_per_s"],
            "raw_relay_p99_ms": runs[best]["p99_ms"],
        },
        runs=runs,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("action", nargs="?", choices=("run", "serve"), default="run")
    parser.add_argument("--amqp-url", default=_amqp_url())
    parser.add_argument("--port", type=int, default=own_port(RELAY_PORT_OFFSET))
    parser.add_argument("--recipients", type=int, default=2)
    parser.add_argument("--mode", choices=MODES, default="pipelined")
    parser.add_argument("--prefetch", type=int, default=100)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="200 notifications, 4 clients")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "relay.json")
    args = parser.parse_args(argv)
    if args.action == "serve":
        serve(
            args.amqp_url,
            args.port,
            recipients=args.recipients,
            mode=args.mode,
            prefetch=args.prefetch,
        )
        return 0
    if args.quick:
        args.count, args.clients = 200, 4
    result = asyncio.run(
        run_relay_part(
            args.amqp_url, count=args.count, recipients=args.recipients, clients=args.clients
        )
    )
    write_document(args.output, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
