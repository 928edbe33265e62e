"""What the partnership's end-to-end tests share: reading every watched agency's queue."""

from __future__ import annotations

from collections.abc import Iterable

from hub.subscriber import Delivery
from tests.integration.conftest import HubProcess

__all__ = ["drain"]


async def drain(hub: HubProcess, agencies: Iterable[str]) -> dict[str, list[Delivery]]:
    """Everything each agency's queue holds now (waiting two seconds for more), acknowledged."""
    received: dict[str, list[Delivery]] = {}
    for agency in agencies:
        got: list[Delivery] = []
        async with hub.subscriber(agency) as subscriber:
            while True:
                try:
                    async with subscriber.receive(timeout=2) as delivery:
                        got.append(delivery)
                except TimeoutError:
                    break
        received[agency] = got
    return received
