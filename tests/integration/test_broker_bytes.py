"""What sits on the broker is sealed: planted personal data never appears in the raw bytes of
the ingress queue or of an agency's queue, yet the recipient can open its view."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import aiohttp
from aio_pika.abc import AbstractIncomingMessage

from hub.delivery import INGRESS_QUEUE, agency_queue_name
from tests.fixtures import CANARIES, canary_event
from tests.integration.conftest import AMQP_URL, HubProcess, wait_until

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"


async def _post(hub: HubProcess, event: dict[str, object]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers=hub.headers(CHILDRENS),
        ) as response,
    ):
        assert response.status == 202, await response.text()


async def _peek(queue_name: str) -> bytes | None:
    """The raw bytes of the next message on ``queue_name``, put back afterwards.

    Consumed rather than fetched: RabbitMQ refuses ``basic.get`` on a queue with a single
    active consumer, as ingress is.
    """
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1)
        queue = await channel.declare_queue(queue_name, passive=True)
        arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        tag = await queue.consume(arrived.put)
        try:
            message = await asyncio.wait_for(arrived.get(), timeout=2)
        except TimeoutError:
            return None
        finally:
            await queue.cancel(tag)
        body = message.body
        await message.nack(requeue=True)
        return body


def _assert_sealed(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    for canary in (*CANARIES, "2011-05-04"):
        assert canary not in text
    assert json.loads(raw)["v"].startswith("sehub-")


async def test_ingress_holds_only_sealed_envelopes(hub_api_only: HubProcess) -> None:
    """With no router running, the accepted notification waits on ingress as a sealed envelope."""
    await _post(hub_api_only, canary_event("raw-ingress-1"))
    raw = await _peek(INGRESS_QUEUE)
    assert raw is not None
    _assert_sealed(raw)
    assert json.loads(raw)["v"] == "sehub-source-1"


async def test_agency_queue_holds_only_sealed_views(hub_process: HubProcess) -> None:
    """The police's queue holds a sealed, hub-signed view that only the police can open."""
    await _post(hub_process, canary_event("raw-delivery-1"))
    raws: list[bytes] = []

    async def delivered() -> bool:
        raw = await _peek(agency_queue_name(POLICE))
        if raw is not None:
            raws.append(raw)
        return raw is not None

    await wait_until(delivered, timeout=20, what="a delivery on the police queue")
    _assert_sealed(raws[0])
    assert json.loads(raws[0])["recipient"] == POLICE
    async with (
        hub_process.subscriber(POLICE) as police,
        police.receive(timeout=10) as delivery,
    ):
        assert delivery.event["data"]["person"]["local_id"] == CANARIES[0]
