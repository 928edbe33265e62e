"""Requests aiohttp cannot parse are answered problem+json without echoing what was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from hub.api import ApiDependencies, ProblemAppRunner, create_app
from tests.unit.conftest import PROBLEM


@pytest.fixture
async def port(deps: ApiDependencies) -> AsyncIterator[int]:
    runner = ProblemAppRunner(create_app(deps), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


async def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"GET /canary\x01path HTTP/1.1\r\nHost: x\r\n\r\n", id="control-byte-target"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nCanary Header: v\r\n\r\n", id="bad-header"),
        pytest.param(b"G\x01T /canary HTTP/1.1\r\nHost: x\r\n\r\n", id="bad-method"),
        pytest.param(b"GET /canary HTTP/9.canary\r\n\r\n", id="bad-version"),
    ],
)
async def test_unparsable_request_is_400_problem_without_echo(port: int, raw: bytes) -> None:
    """A request aiohttp cannot parse gets a 400 problem+json that repeats none of its bytes."""
    status, headers, body = await _exchange(port, raw)
    assert status == 400
    assert headers["content-type"].split(";")[0] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["detail"] == "the request line or a header could not be parsed"
    assert problem["correlation_id"] == headers["x-correlation-id"]
    assert b"canary" not in body.lower()
    assert b"Canary" not in body


async def test_a_parsable_request_still_reaches_the_application(port: int) -> None:
    """The runner changes only error answers: a well-formed request is served as before."""
    status, headers, body = await _exchange(
        port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["content-type"].startswith("application/json")
