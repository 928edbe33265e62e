"""Issue 10's guarantees on a real hub process, RabbitMQ and database: a retried post is
delivered once, a changed one is a 409, a failed publish is finished by the relay, and a hub
started before its broker waits for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import pytest

from hub.delivery import agency_queue_name, declare_agency_queue
from hub.subscriber import Subscriber
from tests.fixtures import example_event
from tests.integration.conftest import (
    AMQP_URL,
    HubProcess,
    readyz_status,
    running_hub,
    wait_until,
)

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"
EDUCATION = "northumberland-education"


async def _post(hub: HubProcess, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return await hub.post(event)


def _event(event_id: str) -> dict[str, Any]:
    event = example_event()
    event["id"] = event_id
    return event


async def _received(subscriber: Subscriber, *, timeout: float) -> list[str]:  # noqa: ASYNC109
    """Every notification id the subscriber receives until ``timeout`` passes with nothing."""
    ids: list[str] = []
    while True:
        try:
            async with subscriber.receive(timeout=timeout) as delivery:
                ids.append(delivery.notification_id)
        except TimeoutError:
            return ids


async def test_a_retried_post_is_accepted_twice_and_delivered_once(
    hub_process: HubProcess,
) -> None:
    """The same body posted three times: three 202s, and the police get it exactly once."""
    answers = [await _post(hub_process, _event("retry-1")) for _ in range(3)]
    assert [status for status, _ in answers] == [202, 202, 202]
    assert {body["id"] for _, body in answers} == {"retry-1"}
    async with hub_process.subscriber(POLICE) as police:
        assert await _received(police, timeout=5) == ["retry-1"]


async def test_a_changed_re_post_is_a_409_that_names_no_value(hub_process: HubProcess) -> None:
    """Other content under an accepted source + id: 409 problem+json without the values, and
    the police get only the first version."""
    assert (await _post(hub_process, _event("changed-1")))[0] == 202
    changed = _event("changed-1")
    changed["data"]["missing_type"] = "away_without_authorisation"
    status, problem = await _post(hub_process, changed)
    assert status == 409
    assert problem["status"] == 409
    assert "away_without_authorisation" not in json.dumps(problem)
    async with hub_process.subscriber(POLICE) as police, police.receive(timeout=30) as first:
        assert first.event["data"]["missing_type"] == "missing"


@pytest.mark.timeout(120)
async def test_a_copy_whose_publish_failed_is_published_by_the_relay(
    hub_process: HubProcess,
) -> None:
    """With the police queue gone, their copy cannot be published (unroutable) while education
    gets its own at once; once the queue is back, the relay publishes the police copy."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(agency_queue_name(POLICE))
        assert (await _post(hub_process, _event("relayed-1")))[0] == 202
        async with hub_process.subscriber(EDUCATION) as education:
            assert await _received(education, timeout=5) == ["relayed-1"]
        await declare_agency_queue(channel, POLICE)
    async with hub_process.subscriber(POLICE) as police, police.receive(timeout=60) as delivery:
        assert delivery.notification_id == "relayed-1"
    assert "outbox.publish_failed" in hub_process.logs()


@pytest.mark.timeout(300)  # stops and restarts the real broker
async def test_a_hub_started_while_the_broker_is_down_waits_for_it(
    clean_broker: None, tmp_path: Path, rabbitmq_control: Callable[[str], None]
) -> None:
    """Started with RabbitMQ down, the hub answers /readyz 503 and posts 503 instead of
    exiting; once RabbitMQ is up it becomes ready and accepts and delivers."""
    rabbitmq_control("stop")
    async with running_hub(tmp_path, role="all", wait_ready=False) as hub:

        async def says_not_ready() -> bool:
            assert hub.process.poll() is None, hub.logs()
            return await readyz_status(hub.base_url) == 503

        await wait_until(says_not_ready, timeout=30, what="/readyz to answer 503")
        assert (await _post(hub, _event("early-1")))[0] == 503
        await asyncio.sleep(3)
        assert hub.process.poll() is None, "the hub exited instead of waiting"
        rabbitmq_control("start")

        async def ready() -> bool:
            return await readyz_status(hub.base_url) == 200

        await wait_until(ready, timeout=90, what="the hub to become ready")
        assert (await _post(hub, _event("early-2")))[0] == 202
        async with hub.subscriber(POLICE) as police, police.receive(timeout=30) as delivery:
            assert delivery.notification_id == "early-2"
        assert "hub.waiting" in hub.logs()


async def _acknowledge(
    hub: HubProcess, delivery: str, body: object, *, as_agency: str = POLICE
) -> tuple[int, dict[str, Any]]:
    headers = {**hub.headers(as_agency), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/deliveries/{delivery}/acknowledgements",
            data=json.dumps(body),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_an_agency_acknowledges_its_delivery_over_http(hub_process: HubProcess) -> None:
    """The police acknowledge their copy by its delivery id (200, the ladder's three waiting
    copies stopped; again, the same answer); education gets 404 for it; a bad action is a 422
    naming the field, not the value."""
    assert (await _post(hub_process, _event("acked-1")))[0] == 202
    async with hub_process.subscriber(POLICE) as police, police.receive(timeout=30) as delivery:
        copy = delivery.delivery_id
    body = {"action": "received", "by": "pc.1234"}

    status, answer = await _acknowledge(hub_process, copy, body)
    assert (status, answer["status"], answer["escalations_stopped"]) == (200, "acknowledged", 3)
    again, repeated = await _acknowledge(hub_process, copy, body)
    assert (again, repeated["escalations_stopped"]) == (200, 0)
    assert (await _acknowledge(hub_process, copy, body, as_agency=EDUCATION))[0] == 404
    status, problem = await _acknowledge(hub_process, copy, {"action": "shrugged", "by": "x"})
    assert status == 422
    assert [error["field"] for error in problem["errors"]] == ["action"]
    assert "shrugged" not in json.dumps(problem)
