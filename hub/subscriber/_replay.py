"""Asking the hub to replay: an agency's own copies sent again to its queue, marked replayed.

::

    replayed = await request_replay(hub_url, token, since=outage_began)
    # then receive() as usual: each replayed copy is handed even if the inbox has it

The hub answers a page at a time; this follows its cursors until the last page. It is plain
HTTP with the agency's bearer token, so it works beside any AMQP client. A refusal (the hub's
problem+json) raises :class:`~hub.PeerError` with the hub's ``detail``; an unreachable or
unavailable hub raises :class:`~hub.ServiceError`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiohttp

from hub._exceptions import PeerError, ServiceError

__all__ = ["request_replay"]

TIMEOUT_SECONDS = 60.0


async def request_replay(
    hub_url: str,
    token: str,
    *,
    since: datetime,
    page: int = 500,
) -> int:
    """Ask the hub to send again every copy made for this agency since ``since``; how many."""
    body: dict[str, Any] = {"since": since.isoformat(), "limit": page}
    total = 0
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
    ) as session:
        while True:
            answer = await _ask(session, f"{hub_url.rstrip('/')}/v1/deliveries/replay", body)
            total += int(answer["replayed"])
            if answer.get("next") is None:
                return total
            body = {"after": answer["next"], "limit": page}


async def _ask(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        async with session.post(url, json=body) as response:
            document = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
        raise ServiceError("the hub did not answer the replay request") from exc
    if status == 200 and isinstance(document, dict):
        return document
    detail = document.get("detail") if isinstance(document, dict) else None
    message = f"the hub refused the replay ({status}): {detail or 'no detail'}"
    raise (ServiceError(message) if status >= 500 else PeerError(message))
