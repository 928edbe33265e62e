"""``make faults`` against a RabbitMQ cluster: ``python -m bench.faults`` with its broker a
cluster of three nodes on loopback (scripts/services/rabbitmq-cluster.sh), PostgreSQL as the
store, two API and two router processes, one node killed with kill -9 at a time and started
again, while notifications are posted (docs/faults.md, "On a RabbitMQ cluster").

Its defaults are much smaller than ``make faults``'s (800 notifications at 10/s, 3 node kills,
2 hub kills, 1 database outage), so that a run takes under ten minutes on two busy cores (a
node takes some 20 s to restart and rejoin, and routing on the cluster is slower); every flag
of ``bench.faults`` is accepted and wins over them (``--notifications 10000``). It writes
``bench/results/cluster-faults.json``; the nodes listen on ``--amqp-port`` (``$HUB_AMQP_PORT``),
``+2`` and ``+4``, with the distribution ports 20000 above and no management plugin.

Usage::

    .venv/bin/python -m bench.cluster_faults [--notifications 10000] [--broker-kills 9]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from bench.faults import main as faults_main

__all__ = ["CLUSTER_DEFAULTS", "main"]

CLUSTER_DEFAULTS: Final = {
    "--cluster-nodes": "3",
    "--notifications": "800",
    "--rate": "10",
    "--broker-kills": "3",
    "--hub-kills": "2",
    "--db-outages": "1",
}
OUTPUT: Final = Path(__file__).resolve().parent / "results" / "cluster-faults.json"


def main(argv: Sequence[str] | None = None) -> int:
    """``bench.faults`` with the cluster's defaults; a ``FAULTS_<FLAG>`` variable, and a flag
    given, win over them."""
    given = list(sys.argv[1:] if argv is None else argv)
    defaults = [
        f"{flag}={value}"
        for flag, value in CLUSTER_DEFAULTS.items()
        if "FAULTS_" + flag.removeprefix("--").replace("-", "_").upper() not in os.environ
    ]
    return faults_main(
        [*defaults, f"--output={OUTPUT}", *given], prog="python -m bench.cluster_faults"
    )


if __name__ == "__main__":
    raise SystemExit(main())
