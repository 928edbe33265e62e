"""Failing over between a cluster's nodes (hub.delivery._failover): how a URL list is read, and
that every lost connection or failed attempt moves on to the next node, without a broker."""

from __future__ import annotations

import asyncio
from typing import Any

import aiormq
import pytest

from hub import ConfigurationError
from hub.delivery import (
    Broker,
    FailoverConnection,
    broker_urls,
    connect_failover,
    connect_first,
    url_with_credentials,
    vhost_of,
)

NODES = (
    "amqp://u:p@127.0.0.1:5712/",
    "amqp://u:p@127.0.0.1:5714/",
    "amqp://u:p@127.0.0.1:5716/",
)


def test_a_comma_separated_list_names_every_node_and_one_url_names_one() -> None:
    """HUB_AMQP_URL's comma-separated nodes are split and stripped; a single URL stays one."""
    assert broker_urls(" , ".join(NODES)) == NODES
    assert broker_urls(NODES[0]) == (NODES[0],)
    assert broker_urls(list(NODES[:2])) == NODES[:2]


@pytest.mark.parametrize("value", ["", NODES[0] + ",", f"{NODES[0]},,{NODES[1]}", []])
def test_an_empty_entry_is_a_configuration_error(value: str | list[str]) -> None:
    """A list with an empty entry (a stray comma) is refused before anything connects."""
    with pytest.raises(ConfigurationError):
        broker_urls(value)
    with pytest.raises(ConfigurationError):
        Broker(value)


def test_credentials_go_into_every_node_url_and_the_vhost_is_the_first_ones() -> None:
    """A provisioned user's URL file names every node, each with that user's credentials."""
    listed = url_with_credentials(",".join(NODES), "sehub-router", "s3cret")
    assert broker_urls(listed) == tuple(
        url.replace("u:p@", "sehub-router:s3cret@") for url in NODES
    )
    assert vhost_of("amqp://u:p@h:1/sehub,amqp://u:p@h:2/sehub") == "sehub"


def _closed(error: BaseException) -> asyncio.Future[Any]:
    closing: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    closing.set_exception(error)
    return closing


async def test_each_lost_connection_moves_to_the_next_node_round_robin() -> None:
    """After its node goes, the connection's next attempt is on the next URL, wrapping round."""
    connection = FailoverConnection(NODES, start=1)
    assert str(connection.url) == NODES[1]
    seen = []
    for _ in range(3):
        await connection._on_connection_close(_closed(ConnectionResetError()))
        seen.append(str(connection.url))
    assert seen == [NODES[2], NODES[0], NODES[1]]
    assert connection.node_index == 1
    await connection.close()


async def test_several_nodes_reconnect_every_second_and_one_node_as_before() -> None:
    """A cluster reconnects after 1 s; a single node keeps aio-pika's 5 s, and a URL's own
    reconnect_interval wins over both."""
    clustered = FailoverConnection(NODES)
    single = FailoverConnection(NODES[:1])
    told = FailoverConnection([NODES[0] + "?reconnect_interval=3", NODES[1]])
    try:
        assert clustered.reconnect_interval == 1.0
        assert single.reconnect_interval == 5.0
        assert told.reconnect_interval == 3.0
    finally:
        for connection in (clustered, single, told):
            await connection.close()


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AMQP connection attempt is refused, and the URLs tried are recorded in order."""
    tried: list[str] = []

    async def refuse(url: Any, *args: object, **kwargs: object) -> None:
        tried.append(str(url))
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(aiormq, "connect", refuse)
    return tried


async def test_connecting_tries_every_node_in_turn_before_it_fails(refused: list[str]) -> None:
    """With every node down, the robust connect tries each URL once, first to last, and raises
    the connection error."""
    with pytest.raises(ConnectionRefusedError):
        await connect_failover(NODES, attempt_timeout=1.0)
    assert refused == list(NODES)


async def test_a_plain_connection_also_tries_every_node(refused: list[str]) -> None:
    """The short-lived connection (hub dlq) tries each node in turn as well."""
    with pytest.raises(ConnectionRefusedError):
        await connect_first(NODES, attempt_timeout=1.0)
    assert refused == list(NODES)
