"""On a real three-node RabbitMQ cluster (scripts/services/rabbitmq-cluster.sh), the hub and an
agency's subscriber fail over: kill -9 the node both are connected to, and a notification
posted after the kill still reaches the agency.

Three nodes, not two: the hub's quorum queues need a majority of their members, so on two
nodes losing one stops every queue. The cluster listens on its own ports, next to the tests'
broker: ``$HUB_TEST_CLUSTER_AMQP_PORT`` (default: the tests' broker port + 1) and the next two,
with no management plugin and no amqps listener; it is stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hub.delivery import broker_urls, connect_first
from hub.subscriber import Subscriber
from tests.fixtures import example_event
from tests.integration.conftest import AMQP_URL, REPO, readyz_status, running_hub, wait_until

NODES = 3
SCRIPT = REPO / "scripts" / "services" / "rabbitmq-cluster.sh"
POLICE = "northumbria-police"


def _cluster_env() -> dict[str, str]:
    base = os.environ.get("HUB_TEST_CLUSTER_AMQP_PORT", str((urlsplit(AMQP_URL).port or 5672) + 1))
    return {
        **os.environ,
        "HUB_AMQP_PORT": base,
        "HUB_CLUSTER_PORT_STEP": "1",
        "HUB_RABBITMQ_MANAGEMENT": "0",
    }


def _cluster(*args: str) -> str:
    done = subprocess.run(  # noqa: S603  # our own script, fixed arguments
        [str(SCRIPT), *args, "--nodes", str(NODES)],
        env=_cluster_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"rabbitmq-cluster.sh {args[0]}: {done.stderr[-2000:]}"
    return done.stdout.strip()


@pytest.fixture
def cluster() -> Iterator[str]:
    """A running three-node cluster, stopped afterwards; its node URLs, comma-separated."""
    try:
        _cluster("start")
        yield _cluster("urls")
    finally:
        _cluster("stop")


def _kill_node(node: int) -> None:
    pid = int(_cluster("pid", "--node", str(node)))
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        if stat and stat[0] == "Z":
            break
        time.sleep(0.05)


def _refused(url: str) -> bool:
    """Whether a TCP connect to ``url``'s port is refused (nothing listens there any more)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


async def _receive(subscriber: Subscriber, notification_id: str, *, within: float) -> None:
    """Take deliveries until ``notification_id``'s arrives (earlier runs' copies are passed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with subscriber.receive(timeout=2) as delivery:
                if delivery.notification_id == notification_id:
                    return
        except TimeoutError:
            continue
    pytest.fail(f"{notification_id} did not arrive within {within}s")


@pytest.mark.timeout(300)  # the cluster starts in 30-60 s on two cores
async def test_a_notification_posted_after_its_node_is_killed_is_delivered(
    cluster: str, tmp_path: Path
) -> None:
    """With node 1 (the first URL, where the hub and the subscriber connect) killed, the hub is
    ready again within seconds while the node stays dead, and the police receive a post made
    then through the other two nodes."""
    nodes = broker_urls(cluster)
    assert len(nodes) == NODES
    async with (
        running_hub(tmp_path, role="all", amqp_url=cluster) as hub,
        Subscriber(cluster, POLICE, keys_dir=hub.keys_dir) as police,
    ):
        run = uuid.uuid4().hex[:8]
        before = example_event() | {"id": f"cluster-before-{run}"}
        assert (await hub.post(before))[0] == 202
        await _receive(police, before["id"], within=30)

        await asyncio.to_thread(_kill_node, 1)
        await wait_until(
            lambda: asyncio.to_thread(_refused, nodes[0]),
            timeout=15,
            what="node 1's port to close (the node's helper process holds it a moment longer)",
        )
        with pytest.raises(ConnectionError, match="Connect call failed"):  # really gone
            await connect_first(nodes[:1], attempt_timeout=2)

        async def ready() -> bool:
            return await readyz_status(hub.base_url) == 200

        # A post while the hub reconnects is 503 (fail closed), as in any broker outage.
        await wait_until(ready, timeout=30, what="the hub to fail over to another node")
        after = example_event() | {"id": f"cluster-after-{run}"}
        status, answer = await hub.post(after)
        assert status == 202, answer
        await _receive(police, after["id"], within=45)
