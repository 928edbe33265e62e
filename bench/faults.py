"""Fault injection: kill -9 the broker and the hub's processes, and take the database away,
while notifications flow; then count, from the recipients' side, what was lost or repeated.

Not a benchmark of speed: it checks issue 10's promise that a notification answered 202 reaches
every recipient the protocol names, exactly once as the agency's handler sees it. One run:

1. Starts its own RabbitMQ and PostgreSQL with the project's scripts (state under
   ``var/faults/services``, node name ``faults-PORT``; or, ``--running-services``, the
   checkout's usual services on the ports given), empties the broker's hub topology and the
   database, and writes a fresh demo directory with ``hub demo init``.
2. Starts the hub as separate processes: ``hub run --role api`` (``--apis``, each on its own
   port) and ``hub run --role router`` (``--routers``, sharing the ingress shards).
3. Posts ``--notifications`` synthetic notifications at ``--rate`` per second, each retried with
   the same body on 503, connection errors and timeouts until it gets 202, round-robin over
   the APIs. Who should receive each is what ``hub.sharing.decide`` says.
4. Subscribes, with the subscriber library, as every expected recipient, and taps every
   agency's deliveries on the broker (bench/_faults_recipients.py).
5. Meanwhile, at seeded points of the posting: ``--broker-kills`` kill -9 of RabbitMQ and a
   restart, ``--hub-kills`` kill -9 of an API or router process and a restart,
   ``--db-outages`` ``pg_ctl stop -m immediate`` for ``--db-outage-seconds`` and a restart.
6. After posting, waits (at most ``--drain-timeout``) until every accepted notification has
   reached every expected recipient, then until no copy has arrived for ``--settle-seconds``.
7. Stops the hub, reads what is left on the broker and in the outbox, runs ``hub audit
   verify``, stops its services, and writes ``bench/results/faults.json`` (docs/faults.md).

Whatever happens (an error, Ctrl-C, SIGTERM), every process it started is stopped, and so are
its own services. Exit status: 0 when nothing was lost or repeated and the audit chain verifies,
1 otherwise (the figures are written either way).

Usage::

    .venv/bin/python -m bench.faults --notifications 10000 --seed 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from bench._faults_chaos import ChaosEvent, plan_chaos
from bench._faults_cluster import ClusterServices
from bench._faults_recipients import Tally
from bench._faults_report import delivery_figures
from bench._faults_run import FaultConfig, FaultRun
from bench._faults_services import ServiceError, Services
from bench._faults_traffic import PlannedNotification, plan_notifications

__all__ = [
    "RESULT_KEYS",
    "ChaosEvent",
    "ClusterServices",
    "FaultConfig",
    "PlannedNotification",
    "Services",
    "Tally",
    "delivery_figures",
    "guarantees_hold",
    "main",
    "plan_chaos",
    "plan_notifications",
    "run_faults",
]

RESULT_KEYS: Final = (
    "accepted",
    "expected",
    "delivered",
    "lost",
    "duplicated",
    "raw_redeliveries",
    "broker_kills",
    "hub_kills",
    "db_outages",
    "audit_chain_ok",
)


async def run_faults(config: FaultConfig) -> dict[str, Any]:
    """One fault run (steps 1-7); returns the document it writes to ``config.output``."""
    run = FaultRun(config)
    async with contextlib.AsyncExitStack() as stack:
        await run.set_up(stack)
        await run.exercise()
        await run.finish()
    document = run.document()
    if config.output is not None:
        config.output.parent.mkdir(parents=True, exist_ok=True)
        config.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def guarantees_hold(document: dict[str, Any]) -> bool:
    """Nothing lost, nothing handed twice, the audit chain intact."""
    return bool(
        document["lost"] == 0 and document["duplicated"] == 0 and document["audit_chain_ok"]
    )


def _env_default(name: str, fallback: str) -> str:
    return os.environ.get(name, fallback)


def _parser(prog: str) -> argparse.ArgumentParser:
    defaults = FaultConfig()
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").split("\n")[0])

    def option(flag: str, kind: Callable[[str], Any], default: object, text: str) -> None:
        # Every number can also come from FAULTS_<NAME> (for make faults VAR=...).
        variable = "FAULTS_" + flag.removeprefix("--").replace("-", "_").upper()
        parser.add_argument(
            flag,
            type=kind,
            default=kind(_env_default(variable, str(default))),
            help=f"{text} (default {default}; env {variable})",
        )

    option("--notifications", int, defaults.notifications, "notifications to post")
    option("--broker-kills", int, defaults.broker_kills, "kill -9 of RabbitMQ")
    option("--hub-kills", int, defaults.hub_kills, "kill -9 of an API or router process")
    option("--db-outages", int, defaults.db_outages, "PostgreSQL stop -m immediate")
    option("--db-outage-seconds", float, defaults.db_outage_seconds, "length of each outage")
    option("--apis", int, defaults.apis, "hub run --role api processes")
    option("--routers", int, defaults.routers, "hub run --role router processes")
    option("--rate", float, defaults.rate, "new notifications per second")
    option("--concurrency", int, defaults.concurrency, "posts in flight")
    option("--seed", int, defaults.seed, "seed of the notifications and the chaos")
    option("--http-port", int, defaults.http_ports[0], "first API port (then +1, +2, ...)")
    option("--cluster-nodes", int, defaults.cluster_nodes, "RabbitMQ cluster nodes (0: one node)")
    option("--drain-timeout", float, defaults.drain_timeout, "longest wait for deliveries")
    option("--settle-seconds", float, defaults.settle_seconds, "quiet needed after the last copy")
    parser.add_argument(
        "--amqp-port",
        type=int,
        default=int(_env_default("HUB_AMQP_PORT", "5672")),
        help="RabbitMQ port (default $HUB_AMQP_PORT or 5672)",
    )
    parser.add_argument(
        "--pg-port",
        type=int,
        default=int(_env_default("HUB_PG_PORT", "55432")),
        help="PostgreSQL port (default $HUB_PG_PORT or 55432)",
    )
    parser.add_argument(
        "--services-dir",
        type=Path,
        default=defaults.services_dir,
        help="where the run's own services keep their state (default var/faults/services)",
    )
    parser.add_argument(
        "--running-services",
        action="store_true",
        help="use (and crash) the checkout's usual services on these ports instead",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="demo directory and logs (default var/faults/<time>)",
    )
    parser.add_argument("--output", type=Path, default=defaults.output)
    parser.add_argument("--quiet", action="store_true", help="print only the figures")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m bench.faults") -> int:
    args = _parser(prog).parse_args(argv)
    config = FaultConfig(
        notifications=args.notifications,
        broker_kills=args.broker_kills,
        hub_kills=args.hub_kills,
        db_outages=args.db_outages,
        db_outage_seconds=args.db_outage_seconds,
        apis=args.apis,
        routers=args.routers,
        rate=args.rate,
        concurrency=args.concurrency,
        seed=args.seed,
        amqp_port=args.amqp_port,
        pg_port=args.pg_port,
        services_dir=None if args.running_services else args.services_dir.resolve(),
        http_ports=tuple(args.http_port + i for i in range(args.apis)),
        output=args.output,
        drain_timeout=args.drain_timeout,
        settle_seconds=args.settle_seconds,
        quiet=args.quiet,
        cluster_nodes=args.cluster_nodes,
    )
    if args.workdir is not None:
        config = replace(config, workdir=args.workdir.resolve())
    # The AMQP clients log every failed reconnection; keep that out of the terminal.
    config.workdir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=config.workdir / "harness.log",
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        force=True,
    )
    try:
        document = asyncio.run(_run_until_signalled(config))
    except ServiceError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"{prog}: interrupted; its processes and services are stopped")
        return 130
    print(json.dumps({key: document[key] for key in RESULT_KEYS}, indent=2))
    return 0 if guarantees_hold(document) else 1


async def _run_until_signalled(config: FaultConfig) -> dict[str, Any]:
    """SIGTERM cancels the run as Ctrl-C does, so that its clean-up runs."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run_faults(config)


if __name__ == "__main__":
    raise SystemExit(main())
