"""Failing over between the nodes of a RabbitMQ cluster: one robust connection, several URLs.

aio-pika's robust connection reconnects to the one URL it was given, so a hub whose node dies
would wait for that node. Rules:

1. ``HUB_AMQP_URL`` may name several nodes of one cluster, comma-separated
   (``amqp://u:p@127.0.0.1:5712/,amqp://u:p@127.0.0.1:5714/``); :func:`broker_urls` splits
   it, and refuses an empty entry (a comma inside a password is written ``%2C``). One URL
   connects as before.
2. Connecting tries the URLs in turn, from the first, and keeps the first node that lets it in;
   it fails only when none does (the last node's error is raised).
3. Once connected, a lost connection, and every failed reconnection attempt, moves on to the
   next URL, round robin: after its node dies the connection comes back on another node, and
   the robust connection restores its channels, declarations and consumers there.
4. With several URLs a reconnection is tried every second rather than every five (there is
   somewhere else to go); a ``reconnect_interval`` in the first URL's query still wins.
5. The query options of the first URL (TLS files, heartbeat) apply to every node: aio-pika
   reads them once. Give every node the same ones.
6. Nothing here logs a URL: aio-pika masks the password in its own log lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika import RobustConnection
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from yarl import URL

from hub._exceptions import ConfigurationError

__all__ = ["FailoverConnection", "broker_urls", "connect_failover", "connect_first"]

FAILOVER_RECONNECT_SECONDS = 1.0
_ATTEMPT_ERRORS = (*CONNECTION_EXCEPTIONS, TimeoutError)


def broker_urls(value: str | Sequence[str]) -> tuple[str, ...]:
    """The node URLs ``value`` names: a comma-separated string, or a sequence (rule 1)."""
    entries = value.split(",") if isinstance(value, str) else list(value)
    urls = tuple(entry.strip() for entry in entries)
    if not urls or any(not url for url in urls):
        raise ConfigurationError("the broker URL list has an empty entry")
    return urls


class FailoverConnection(RobustConnection):
    """A robust connection that moves to the next node's URL whenever it loses one (rule 3)."""

    def __init__(self, urls: Sequence[str], *, start: int = 0, **kwargs: Any) -> None:
        self._urls = tuple(URL(url) for url in urls)
        self._index = start % len(self._urls)
        if len(self._urls) > 1 and "reconnect_interval" not in self._urls[0].query:
            kwargs.setdefault("reconnect_interval", FAILOVER_RECONNECT_SECONDS)
        super().__init__(self._urls[self._index], **kwargs)

    @property
    def node_index(self) -> int:
        """Which of the URLs the connection uses now (or tries next)."""
        return self._index

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        # aio-pika calls this both when an open connection is lost and when an attempt fails,
        # before it tries again: the one place that sees every attempt end.
        self._index = (self._index + 1) % len(self._urls)
        self.url = self._urls[self._index]
        await super()._on_connection_close(closing)


async def connect_failover(
    urls: Sequence[str], *, attempt_timeout: float | None = None
) -> AbstractRobustConnection:
    """A :class:`FailoverConnection` to the first node that lets it in (rule 2); ``attempt_timeout``
    bounds each attempt, reconnections included."""
    for start in range(len(urls)):
        connection = FailoverConnection(urls, start=start)
        try:
            await connection.connect(timeout=attempt_timeout)
        except _ATTEMPT_ERRORS:
            await connection.close()
            if start == len(urls) - 1:
                raise
            continue
        return connection
    raise ConfigurationError("no broker URL to connect to")


async def connect_first(
    urls: Sequence[str], *, attempt_timeout: float | None = None
) -> AbstractConnection:
    """A plain (not robust) connection to the first node that lets it in, for short tasks."""
    for position, url in enumerate(urls):
        try:
            return await aio_pika.connect(url, timeout=attempt_timeout)
        except _ATTEMPT_ERRORS:
            if position == len(urls) - 1:
                raise
    raise ConfigurationError("no broker URL to connect to")
