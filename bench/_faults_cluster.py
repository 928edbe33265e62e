"""The fault run's broker as a RabbitMQ cluster: ``scripts/services/rabbitmq-cluster.sh``'s
nodes instead of one node, crashed one node at a time.

Rules:

1. Always the run's own services (``state_dir``): the cluster's nodes keep their state in
   ``state_dir/rabbitmq-cluster`` and PostgreSQL in ``state_dir/postgres``. Each run's cluster
   starts empty: the previous run's node directories (all but the cookie's ``home``) are
   removed first,
   so the nodes join afresh and every queue is declared on all of them.
2. The hub, the subscribers and the harness are given every node's URL, comma-separated
   (``HUB_AMQP_URL``), and fail over between them (:mod:`hub.delivery`'s failover).
3. A broker crash is ``kill -9`` of one node's ``beam.smp``, by the pid ``rabbitmq-cluster.sh
   pid --node I`` reads from that node's pid file; the nodes are taken in turn (1, 2, 3, 1,
   ...), so the first kill is of the node every process connected to first. A restart is
   ``rabbitmq-cluster.sh start``, which starts the node that is down and returns once the
   whole cluster runs again. One node is down at a time, so quorum queues keep a majority.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench._faults_services import Services, kill_by_pid

__all__ = ["CLUSTER_SCRIPT", "ClusterServices"]

CLUSTER_SCRIPT = "rabbitmq-cluster"
PORT_STEP = 2  # rabbitmq-cluster.sh's default: room for an amqps port below each AMQP port


@dataclass(frozen=True, slots=True)
class ClusterServices(Services):
    """A cluster of ``nodes`` RabbitMQ nodes from ``amqp_port`` on, and PostgreSQL."""

    nodes: int = 3
    killed: list[int] = field(default_factory=list)  # the node of each kill, in order

    @property
    def node_ports(self) -> tuple[int, ...]:
        return tuple(self.amqp_port + PORT_STEP * i for i in range(self.nodes))

    @property
    def amqp_url(self) -> str:
        return ",".join(f"amqp://guest:guest@127.0.0.1:{port}/" for port in self.node_ports)

    def _cluster_dir(self) -> Path:
        if self.state_dir is None:
            raise ValueError("a cluster fault run uses services of its own (rule 1)")
        return self.state_dir / "rabbitmq-cluster"

    async def _cluster(self, action: str, *options: str) -> str:
        return await self.script(CLUSTER_SCRIPT, action, "--nodes", str(self.nodes), *options)

    async def start(self) -> None:
        """An empty cluster (rule 1) and the database."""
        cluster_dir = self._cluster_dir()
        cluster_dir.parent.mkdir(parents=True, exist_ok=True)
        await self._cluster("stop")  # idempotent: a crashed run may have left it
        if cluster_dir.is_dir():
            for node_dir in cluster_dir.iterdir():
                if node_dir.is_dir() and node_dir.name != "home":
                    await asyncio.to_thread(shutil.rmtree, node_dir, ignore_errors=True)
        await self.script("postgres", "start")
        await self._cluster("start")

    async def stop(self) -> None:
        await self._cluster("stop")
        await self.script("postgres", "stop")

    async def kill_broker(self) -> int:
        """``kill -9`` the next node in turn (rule 3); returns the pid killed."""
        node = len(self.killed) % self.nodes + 1
        self.killed.append(node)
        pid = int(await self._cluster("pid", "--node", str(node)))
        return await kill_by_pid(pid)

    async def start_broker(self) -> None:
        await self._cluster("start")
