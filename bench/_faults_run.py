"""How one fault run goes, step by step (the steps of :mod:`bench.faults`).

Rules:

1. Set-up registers its undoing as it goes: the services' stop first, so that it runs last,
   then the hub processes' stop. Whatever fails after that point, both still run.
2. While posting, crashing and draining, the recipients, the supervisor of the hub processes
   and the progress report run beside them in one task group: a failure of any part cancels
   the others, and the run's clean-up follows.
3. The demo directory and the logs of a run stay in its work directory afterwards, so that a
   loss or a duplicate can be traced in the hub's own logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench._faults_chaos import BROKER, DATABASE, HUB, Chaos, plan_chaos
from bench._faults_cluster import ClusterServices
from bench._faults_hub import HubFleet, hub_command, hub_env
from bench._faults_inspect import (
    audit_trail,
    audit_verify,
    end_state,
    fresh_broker,
    fresh_database,
    versions,
)
from bench._faults_recipients import Recipients, subscribed_agencies
from bench._faults_report import delivery_figures
from bench._faults_services import REPO, ServiceError, Services
from bench._faults_traffic import PlannedNotification, Poster, plan_notifications
from hub.pseudonyms import load_or_create_key
from hub.settings import PROTOCOLS_DIR
from protocols import load_protocol

__all__ = ["FaultConfig", "FaultRun"]

PROTOCOL_PATH: Final = PROTOCOLS_DIR / "northumberland.yaml"
PROGRESS_EVERY_SECONDS: Final = 15.0


@dataclass(frozen=True)
class FaultConfig:
    """What one run does; the defaults are ``make faults``'s."""

    notifications: int = 10_000
    broker_kills: int = 5
    hub_kills: int = 20
    db_outages: int = 2
    db_outage_seconds: float = 5.0
    apis: int = 2
    routers: int = 2
    rate: float = 25.0
    concurrency: int = 8
    seed: int = 10
    amqp_port: int = 5672
    pg_port: int = 55432
    services_dir: Path | None = REPO / "var" / "faults" / "services"
    http_ports: tuple[int, ...] = (18080, 18081)
    workdir: Path = field(
        default_factory=lambda: (
            REPO / "var" / "faults" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        )
    )
    output: Path | None = REPO / "bench" / "results" / "faults.json"
    drain_timeout: float = 300.0
    settle_seconds: float = 10.0
    quiet: bool = False
    # RabbitMQ nodes of a cluster from amqp_port on (bench/_faults_cluster.py); 0: one node.
    cluster_nodes: int = 0


class FaultRun:
    """One run: its clock, and its parts once they are set up."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._started = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.services = (
            ClusterServices(
                config.amqp_port, config.pg_port, config.services_dir, nodes=config.cluster_nodes
            )
            if config.cluster_nodes
            else Services(config.amqp_port, config.pg_port, config.services_dir)
        )
        self.protocol = load_protocol(PROTOCOL_PATH)
        self.timings: dict[str, float] = {}
        self.drained = False

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def say(self, message: str) -> None:
        if not self.config.quiet:
            print(f"[{self.elapsed():7.1f}s] {message}", flush=True)

    async def set_up(self, stack: contextlib.AsyncExitStack) -> None:
        """Steps 1-4, each undone by ``stack`` whatever happens next."""
        config, services, parties = self.config, self.services, self.protocol.party_ids
        nodes = f", {config.cluster_nodes} nodes" if config.cluster_nodes else ""
        self.say(f"starting services (AMQP {config.amqp_port}{nodes}, PostgreSQL {config.pg_port})")
        stack.push_async_callback(services.stop)
        try:
            await services.start()
        except ServiceError as exc:
            if not services.own:
                raise
            raise ServiceError(
                f"{exc}\nThe run's own services need ports {config.amqp_port} (AMQP) and"
                f" {config.pg_port} (PostgreSQL): stop the checkout's services there"
                " (make services-stop), or give --amqp-port and --pg-port."
            ) from exc
        await fresh_broker(services.amqp_url, parties)
        await fresh_database(services.database_url)
        self.env, variables = await _demo(config.workdir / "demo", services)
        self.planned = plan_notifications(
            config.notifications,
            seed=config.seed,
            run_tag=f"{config.seed}-{datetime.now(UTC).strftime('%H%M%S')}",
            protocol=self.protocol,
            now=datetime.now(UTC),
        )
        self.fleet = HubFleet(
            env=self.env,
            workdir=config.workdir / "logs",
            elapsed=self.elapsed,
            apis=config.apis,
            routers=config.routers,
            http_ports=config.http_ports,
            say=self.say,
        )
        stack.push_async_callback(self.fleet.stop_all)
        self.say(f"starting {config.apis} API and {config.routers} router processes")
        await self.fleet.start_all()
        self.recipients = Recipients(
            services.amqp_url,
            config.workdir / "demo" / "keys",
            config.workdir / "inboxes",
            subscribed_agencies(n.recipients for n in self.planned),
            parties,
            self.elapsed,
        )
        await self.recipients.install_taps()
        tokens = {n.publisher: _token_of(variables, n.publisher) for n in self.planned}
        self.poster = Poster(
            self.fleet.api_urls,
            tokens,
            self.elapsed,
            rate=config.rate,
            concurrency=config.concurrency,
        )
        self.chaos = Chaos(
            plan_chaos(
                broker_kills=config.broker_kills,
                hub_kills=config.hub_kills,
                db_outages=config.db_outages,
                seed=config.seed,
            ),
            services,
            self.fleet,
            config.seed,
            self.elapsed,
            lambda: len(self.poster.accepted),
            len(self.planned),
            db_outage_seconds=config.db_outage_seconds,
            say=self.say,
        )

    async def exercise(self) -> None:
        """Steps 3-6: post, crash, drain, with the recipients and the supervisor running."""
        stop, posting_done, chaos_done = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def chaos() -> None:
            try:
                await self.chaos.run(posting_done)
            finally:
                chaos_done.set()

        async def drive() -> None:
            try:
                self.say(f"posting {len(self.planned)} notifications at {self.config.rate}/s")
                await self.poster.run(self.planned, stop)
                self.timings["posting_s"] = self.elapsed()
                posting_done.set()
                await chaos_done.wait()
                self.say("posting done; draining")
                self.drained = await _drain(self, self.planned, self.poster, self.recipients)
                self.timings["drained_at_s"] = self.elapsed()
            finally:
                stop.set()

        async with asyncio.TaskGroup() as group:
            group.create_task(self.recipients.run(stop))
            group.create_task(self.fleet.supervise(stop))
            group.create_task(chaos())
            group.create_task(
                _progress(self, len(self.planned), self.poster, self.recipients, stop)
            )
            group.create_task(drive())

    async def finish(self) -> None:
        """Step 7, up to the services' stop: the figures, what is left, the audit chain."""
        await self.fleet.stop_all()
        self.say("hub stopped; reading what is left, verifying the audit chain")
        self.performed = [event for event in self.chaos.events if event.began_s is not None]
        self.figures = delivery_figures(
            self.planned,
            self.poster.accepted,
            self.recipients.handler,
            self.recipients.tap,
            self.performed,
        )
        self.left = await end_state(
            self.services.amqp_url,
            self.services.database_url,
            self.protocol.party_ids,
            [slot.log_path for slot in self.fleet.slots],
        )
        evidence = [
            e["notification_id"] for e in self.figures["duplicates"] + self.figures["losses"]
        ]
        self.trail = await audit_trail(self.services.database_url, evidence, self.started_at)
        self.verify_rc, self.verify_said = await audit_verify(self.env)

    def document(self) -> dict[str, Any]:
        """The figures of the run (bench/_faults_report.py) and how it went."""
        performed = self.performed
        hub_kills = [event for event in performed if event.kind == HUB]
        poster, fleet, recipients = self.poster, self.fleet, self.recipients
        posting_s = self.timings.get("posting_s", 0.0)
        return {
            **self.figures,
            "broker_kills": sum(1 for event in performed if event.kind == BROKER),
            "hub_kills": len(hub_kills),
            "db_outages": sum(1 for event in performed if event.kind == DATABASE),
            "api_kills": sum(1 for event in hub_kills if str(event.target).startswith("api")),
            "router_kills": sum(1 for event in hub_kills if str(event.target).startswith("router")),
            "audit_chain_ok": self.verify_rc == 0,
            "audit_verify": {"exit_code": self.verify_rc, "said": self.verify_said},
            "notifications": len(self.planned),
            "unaccepted": len(self.planned) - len(poster.accepted) - sum(poster.refused.values()),
            "refused_by_status": {str(status): n for status, n in poster.refused.items()},
            "posts": {"attempts": poster.attempts, "retries_by_cause": dict(poster.retries)},
            "hub_processes": {
                "starts": sum(slot.starts for slot in fleet.slots),
                "failed_starts": len(fleet.start_failures),
                "failed_starts_detail": fleet.start_failures[:50],
                "unexpected_exits": fleet.unexpected_exits,
            },
            "subscribers": {
                "reopened": dict(recipients.reopenings),
                "errors": dict(recipients.errors),
            },
            "end_state": self.left,
            "audit_trail_of_evidence": self.trail,
            "drained": self.drained,
            "duration_s": round(self.elapsed(), 1),
            "posting_s": round(posting_s, 1),
            "drain_s": round(self.timings.get("drained_at_s", posting_s) - posting_s, 1),
            "seed": self.config.seed,
            "settings": _settings(self.config),
            "events": [event.as_dict() for event in self.chaos.events],
            "cluster": self._cluster(),
            "versions": {
                **versions(),
                "rabbitmq": self.left.get("rabbitmq"),
                "postgresql": self.left.get("postgresql"),
            },
            "machine": {"cores": os.cpu_count()},
            "logs": str(self.config.workdir),
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _cluster(self) -> dict[str, Any] | None:
        services = self.services
        if not isinstance(services, ClusterServices):
            return None
        return {
            "nodes": services.nodes,
            "amqp_ports": list(services.node_ports),
            "killed_nodes_in_order": list(services.killed),
        }


async def _demo(directory: Path, services: Services) -> tuple[dict[str, str], dict[str, str]]:
    """``hub demo init`` into ``directory``; the hub processes' environment and the tokens."""
    env = hub_env(
        {
            "HUB_AMQP_URL": services.amqp_url,
            "HUB_DATABASE_URL": services.database_url,
            "HUB_AGENCIES_PATH": str(directory / "agencies.yaml"),
            "HUB_KEYS_DIR": str(directory / "keys"),
            "HUB_PSEUDONYM_KEY_PATH": str(directory / "keys" / "pseudonym.key"),
            "HUB_LOG_LEVEL": "INFO",
        }
    )
    # Fresh: demo init keeps existing keys, and their keys.generated would then be missing.
    shutil.rmtree(directory, ignore_errors=True)
    done = await hub_command(env, "demo", "init")
    if done.returncode != 0:
        raise ServiceError(f"hub demo init failed: {done.stderr.strip()[-400:]}")
    # Before any process starts: each would otherwise create a key of its own.
    load_or_create_key(directory / "keys" / "pseudonym.key")
    variables = dict(
        line.split("=", 1)
        for line in (directory / "tokens.env").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    return env, variables


def _token_of(variables: dict[str, str], agency: str) -> str:
    """The token ``hub demo init`` wrote for ``agency`` (as NORTHUMBRIA_POLICE_TOKEN=...)."""
    return variables[agency.upper().replace("-", "_") + "_TOKEN"]


async def _drain(
    run: FaultRun, planned: Sequence[PlannedNotification], poster: Poster, recipients: Recipients
) -> bool:
    """Wait until every expected pair has arrived, then for quiet (step 6); True if complete."""
    recipients_of = {n.id: n.recipients for n in planned}
    expected = {(n, r) for n in poster.accepted for r in recipients_of[n]}
    deadline = time.monotonic() + run.config.drain_timeout
    while not expected <= recipients.pairs_received():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    quiet_deadline = time.monotonic() + max(60.0, 6 * run.config.settle_seconds)
    while time.monotonic() < quiet_deadline:
        newest = max(recipients.handler.last_at, recipients.tap.last_at)
        if run.elapsed() - newest >= run.config.settle_seconds:
            break
        await asyncio.sleep(0.25)
    return True


async def _progress(
    run: FaultRun, planned: int, poster: Poster, recipients: Recipients, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PROGRESS_EVERY_SECONDS)
        run.say(
            f"{len(poster.accepted)}/{planned} accepted, {recipients.handler.raw} copies received,"
            f" {sum(poster.retries.values())} post retries"
        )


def _settings(config: FaultConfig) -> dict[str, Any]:
    settings = asdict(config)
    for name in ("services_dir", "workdir", "output", "quiet"):
        settings.pop(name)
    settings["http_ports"] = list(config.http_ports)
    return settings
