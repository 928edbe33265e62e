"""The hub end to end against the bare relay, in one run on one broker: issue 13's main figures
and its scaling curves.

One run of ``python -m bench.e2e``:

1. the bare relay (bench/relay.py), both flavours, with the same recipients and clients as the
   hub's peak run; the better flavour is the ratio's denominator;
2. the hub's *peak* run (bench/_hub_run.py): ``--count`` notifications, a quarter of them native
   police records, from ``--clients`` concurrent clients, each shared with ``--recipients``
   recipients, 1 API and 1 router process, on PostgreSQL with the audit log on;
3. the *half-load* run: the same, offered at half the peak's measured rate, paced, for about
   ``--half-seconds`` seconds; its p99 is ``hub_p99_ms_at_half_load``;
4. the curves, each point a short run of ``--curve-count`` notifications (at least one per
   client): concurrent clients, recipients per notification, routing processes, HTTP
   processes.

Writes ``bench/results/e2e.json`` (keys in docs/benchmarks.md). Every process it starts is
stopped at the end; the broker and PostgreSQL are the caller's (``make services``).

Usage::

    .venv/bin/python -m bench.e2e [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from bench._faults_services import REPO
from bench._hub_run import HubRun, run_hub
from bench._hub_setup import BenchHub, bench_protocol
from bench._measure import (
    cpu_seconds,
    document,
    latency_summary,
    percentile,
    target,
    write_document,
)
from bench.relay import run_relay_part

__all__ = [
    "CURVES",
    "QUICK",
    "BenchHub",
    "E2eConfig",
    "bench_protocol",
    "cpu_seconds",
    "latency_summary",
    "main",
    "percentile",
    "run_e2e",
    "runs_planned",
]

Say = Callable[[str], None]
RATIO_TARGET: Final = 0.70
HALF_LOAD_P99_TARGET_MS: Final = 25.0


@dataclass(frozen=True)
class E2eConfig:
    """How big each run is; ``quick`` is the smoke test's size."""

    count: int = 400
    recipients: int = 2
    clients: int = 20
    relay_count: int = 2000
    half_seconds: float = 15.0
    curve_count: int = 60
    clients_curve: tuple[int, ...] = (1, 10, 50, 100, 200)
    recipients_curve: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
    routers_curve: tuple[int, ...] = (1, 2, 4)
    apis_curve: tuple[int, ...] = (1, 2)


QUICK: Final = E2eConfig(
    count=30,
    clients=1,
    relay_count=100,
    half_seconds=3.0,
    curve_count=10,
    clients_curve=(),
    recipients_curve=(),
    routers_curve=(),
    apis_curve=(),
)

# curve name -> (the HubRun field it varies, the config field with its points)
CURVES: Final = {
    "hub_clients": ("clients", "clients_curve"),
    "hub_recipients": ("recipients", "recipients_curve"),
    "hub_routers": ("routers", "routers_curve"),
    "hub_apis": ("apis", "apis_curve"),
}


def _point(x_name: str, figures: dict[str, Any]) -> dict[str, Any]:
    keys = ("events_per_s", "p50_ms", "p99_ms", "accepted", "complete", "failures")
    cpu = figures["cpu_ms_per_notification"]
    return {
        "x": figures[x_name],
        **{key: figures[key] for key in keys},
        "cpu_ms_per_notification": round(sum(v for k, v in cpu.items() if k != "harness"), 3),
    }


def runs_planned(config: E2eConfig) -> int:
    """Hub runs a whole e2e part makes (for the progress bar)."""
    return 2 + sum(len(getattr(config, field)) for _, field in CURVES.values())


async def run_e2e(
    config: E2eConfig, bench: BenchHub, *, say: Say, step: Callable[[], None]
) -> dict[str, Any]:
    """Steps 1-4; the part's document."""
    say(f"relay: {config.relay_count} notifications, both flavours")
    relay = await run_relay_part(
        bench.amqp_url,
        count=config.relay_count,
        recipients=config.recipients,
        clients=config.clients,
    )
    tokens = await bench.init_demo()
    base = HubRun(count=config.count, recipients=config.recipients, clients=config.clients)
    say(f"hub peak: {base.count} notifications, {base.clients} clients")
    peak = await run_hub(bench, tokens, base)
    step()
    rate = (peak["events_per_s"] or 2.0) / 2
    half_run = replace(base, name="half", rate=rate, count=max(20, int(rate * config.half_seconds)))
    say(f"hub half load: {half_run.count} notifications at {rate:.1f}/s")
    half = await run_hub(bench, tokens, half_run)
    step()
    curves: dict[str, list[dict[str, Any]]] = {}
    for curve, (x_name, points_field) in CURVES.items():
        curves[curve] = []
        for x in getattr(config, points_field):
            say(f"{curve}: {x_name} = {x}")
            run = replace(base, name=f"{curve}-{x}", **{x_name: x})
            run = replace(run, count=max(config.curve_count, run.clients))
            curves[curve].append(_point(x_name, await run_hub(bench, tokens, run)))
            step()
    relay_rate = relay["results"]["raw_relay_events_per_s"]
    hub_rate = peak["events_per_s"]
    ratio = round(hub_rate / relay_rate, 3) if hub_rate and relay_rate else None
    half_p99 = half["p99_ms"] if half["complete"] else None
    results = {
        "recipients": config.recipients,
        "raw_relay_events_per_s": relay_rate,
        "raw_relay_mode": relay["results"]["raw_relay_mode"],
        "hub_events_per_s": hub_rate,
        "ratio": ratio,
        "hub_p50_ms": peak["p50_ms"],
        "hub_p95_ms": peak["p95_ms"],
        "hub_p99_ms": peak["p99_ms"],
        "hub_p99_ms_at_half_load": half_p99,
        "hub_cpu_ms_per_notification": peak["cpu_ms_per_notification"],
    }
    targets = {
        "ratio": target(">= 0.70", ratio, ratio is not None and ratio >= RATIO_TARGET),
        "hub_p99_ms_at_half_load": target(
            "<= 25 ms", half_p99, half_p99 is not None and half_p99 <= HALF_LOAD_P99_TARGET_MS
        ),
    }
    return document(
        "e2e",
        results,
        curves=curves,
        targets=targets,
        relay=relay["runs"],
        peak=peak,
        half_load=half,
        config=dict(config.__dict__),
    )


def _database_url() -> str:
    port = os.environ.get("HUB_PG_PORT", "55432")
    return f"postgresql+asyncpg://hub:hub@127.0.0.1:{port}/hub_bench"


def _amqp_url() -> str:
    port = os.environ.get("HUB_AMQP_PORT", "5672")
    return f"amqp://guest:guest@127.0.0.1:{port}/"


def add_service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--amqp-url", default=_amqp_url(), help="default: $HUB_AMQP_PORT")
    parser.add_argument(
        "--postgres-url",
        default=_database_url(),
        help="wiped; its name must end in _bench (default: hub_bench on $HUB_PG_PORT)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    add_service_options(parser)
    parser.add_argument("--quick", action="store_true", help="the smoke test's tiny counts")
    parser.add_argument("--count", type=int, default=E2eConfig.count)
    parser.add_argument("--curve-count", type=int, default=E2eConfig.curve_count)
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench" / "e2e")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "e2e.json")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else E2eConfig(count=args.count, curve_count=args.curve_count)
    args.workdir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=args.workdir / "harness.log", level=logging.WARNING, force=True)
    bench = BenchHub(args.workdir.resolve(), args.amqp_url, args.postgres_url)

    def say(message: str) -> None:
        print(f"bench.e2e: {message}", file=sys.stderr, flush=True)

    result = asyncio.run(run_e2e(config, bench, say=say, step=lambda: None))
    write_document(args.output, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
