"""The bare relay: what the hub's topology costs with none of the hub's work.

Rules:

1. ``POST /v1/notifications`` reads the body's ``id``, publishes the body with publisher
   confirms (mandatory, persistent) to the quorum queue ``bench.relay.ingress`` through the
   direct exchange ``bench.relay.in``, and answers 202 only once the broker has confirmed it,
   as the hub's intake does.
2. One consumer of ingress (prefetch as many as one hub router routes at once,
   ``HUB_ROUTER_CONCURRENCY``'s default)
   republishes each message to the N quorum queues ``bench.relay.out.<i>`` through the direct
   exchange ``bench.relay.out``, each publish confirmed, and acks the ingress message only
   after every copy is confirmed.
3. Two flavours of that consumer: ``awaited`` takes one message at a time behind a lock and
   awaits each confirm in turn (what the hub did when issue 13 was filed); ``pipelined``
   handles the prefetched messages concurrently and awaits a message's N confirms together.
4. The queues are declared (idempotently) by :func:`declare`; the driver deletes them before a
   run so that each run starts empty.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Final

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage
from aiohttp import web

__all__ = [
    "INGRESS_QUEUE",
    "IN_EXCHANGE",
    "MODES",
    "OUT_EXCHANGE",
    "declare",
    "out_queue",
    "serve",
]

PREFIX: Final = "bench.relay."
IN_EXCHANGE: Final = PREFIX + "in"
OUT_EXCHANGE: Final = PREFIX + "out"
INGRESS_QUEUE: Final = PREFIX + "ingress"
MODES: Final = ("awaited", "pipelined")
QUORUM: Final[dict[str, Any]] = {"x-queue-type": "quorum"}


def out_queue(index: int) -> str:
    return f"{PREFIX}out.{index}"


async def declare(channel: AbstractChannel, recipients: int) -> None:
    """The relay's exchanges and queues (rule 4)."""
    inbound = await channel.declare_exchange(
        IN_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    outbound = await channel.declare_exchange(
        OUT_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    ingress = await channel.declare_queue(INGRESS_QUEUE, durable=True, arguments=QUORUM)
    await ingress.bind(inbound, routing_key=INGRESS_QUEUE)
    for index in range(recipients):
        queue = await channel.declare_queue(out_queue(index), durable=True, arguments=QUORUM)
        await queue.bind(outbound, routing_key=out_queue(index))


def _message(body: bytes, message_id: str) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        message_id=message_id,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


class _Forwarder:
    """The ingress consumer (rules 2 and 3)."""

    def __init__(self, exchange: AbstractExchange, recipients: int, mode: str) -> None:
        self._exchange = exchange
        self._keys = [out_queue(index) for index in range(recipients)]
        self._lock = asyncio.Lock() if mode == "awaited" else None

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        if self._lock is None:
            await asyncio.gather(*(self._copy(message, key) for key in self._keys))
        else:
            async with self._lock:
                for key in self._keys:
                    await self._copy(message, key)
        await message.ack()

    async def _copy(self, message: AbstractIncomingMessage, key: str) -> None:
        await self._exchange.publish(
            _message(message.body, str(message.message_id)), routing_key=key, mandatory=True
        )


async def _relay(app: web.Application) -> AsyncIterator[None]:
    settings = app["settings"]
    connection = await aio_pika.connect_robust(settings["amqp_url"])
    publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
    await declare(publisher, settings["recipients"])
    app["inbound"] = await publisher.get_exchange(IN_EXCHANGE)
    forwarding = await connection.channel(publisher_confirms=True, on_return_raises=True)
    await forwarding.set_qos(prefetch_count=settings["prefetch"])
    forwarder = _Forwarder(
        await forwarding.get_exchange(OUT_EXCHANGE), settings["recipients"], settings["mode"]
    )
    ingress = await forwarding.get_queue(INGRESS_QUEUE)
    await ingress.consume(forwarder)
    yield
    await connection.close()


async def _post(request: web.Request) -> web.Response:
    body = await request.read()
    message_id = str(json.loads(body)["id"])
    await request.app["inbound"].publish(
        _message(body, message_id), routing_key=INGRESS_QUEUE, mandatory=True
    )
    return web.json_response({"id": message_id, "status": "accepted"}, status=202)


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def serve(amqp_url: str, port: int, *, recipients: int, mode: str, prefetch: int) -> None:
    """Run the relay on 127.0.0.1:``port`` until SIGINT or SIGTERM."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}")
    app = web.Application()
    app["settings"] = {
        "amqp_url": amqp_url,
        "recipients": recipients,
        "mode": mode,
        "prefetch": prefetch,
    }
    app.cleanup_ctx.append(_relay)
    app.router.add_post("/v1/notifications", _post)
    app.router.add_get("/healthz", _healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
