"""``hub run``: serve the HTTP API and route notifications until SIGINT or SIGTERM.

SIGHUP reloads the agency directory (:class:`hub.api.ReloadingDirectory`); with ``HUB_TLS_*``
set the API serves TLS, or mutual TLS (:mod:`hub.api._tls`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
from typing import Any

from aiohttp import web

from hub.agencies import AgencyDirectory
from hub.api import ProblemAppRunner, create_app, create_starting_app, server_ssl_context
from hub.bootstrap import Hub, Role, Waiting, bootstrap, load_configuration
from hub.delivery import ACK_QUEUE, DEAD_AUDIT_QUEUE
from hub.logs import get_logger
from hub.routing import DEAD_LETTER_PREFETCH, ShardSlot, consuming_ingress
from hub.settings import Settings
from protocols import Protocol

__all__ = ["register"]

log = get_logger(__name__)

ROLES = ("all", "api", "router")


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run the hub (HTTP API and routing core)")
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="run only the HTTP API or only the routing core (default: both)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    serves_api = args.role in ("all", "api")
    # A configuration error stops the process before it listens.
    configuration = load_configuration(settings)
    tls = server_ssl_context(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
    waiting = Waiting()
    # Until the broker and the database answer, the port says so (503) instead of refusing.
    starting = (
        await _serve(create_starting_app(waiting.states), settings, tls) if serves_api else None
    )
    try:
        hub = await _bootstrapped(settings, waiting, stop, configuration, role=args.role)
    finally:
        if starting is not None:
            await starting.cleanup()
    if hub is None:
        return 0
    reloads: set[asyncio.Task[bool]] = set()

    def reload_directory() -> None:
        task = asyncio.create_task(hub.directory.reload("SIGHUP"))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload_directory)
    try:
        async with contextlib.AsyncExitStack() as stack:
            stack.callback(asyncio.create_task(hub.ingress_relay.run()).cancel)
            if args.role in ("all", "router"):
                # Only a router publishes deliveries: an intake's broker user may not.
                stack.callback(asyncio.create_task(hub.outbox_relay.run()).cancel)
                stack.callback(asyncio.create_task(hub.replay_relay.run()).cancel)
                await stack.enter_async_context(
                    consuming_ingress(
                        hub.broker,
                        hub.resolver.on_message,
                        hub.shards.on_message,
                        ShardSlot.parse(settings.router_slot),
                    )
                )
                await stack.enter_async_context(
                    hub.broker.consuming(
                        ACK_QUEUE, hub.acknowledgement_consumer.on_message, prefetch=10
                    )
                )
                await stack.enter_async_context(
                    hub.broker.consuming(
                        DEAD_AUDIT_QUEUE, hub.dead_letters.on_message, prefetch=DEAD_LETTER_PREFETCH
                    )
                )
                log.info("router.started", protocol_version=hub.protocol.version_tag)
                checkpoints = asyncio.create_task(hub.checkpointer.run())
                stack.callback(checkpoints.cancel)
            if serves_api:
                app = create_app(hub.api_dependencies(), inbox=hub.inbox)
                runner = await _serve(app, settings, tls)
                stack.push_async_callback(runner.cleanup)
                port: int = runner.addresses[0][1]
                log.info("api.started", host=settings.http_host, port=port)
                _print_welcome(hub, settings, port, tls)
            await stop.wait()
            log.info("hub.stopping")
    finally:
        await hub.close()
    return 0


async def _bootstrapped(
    settings: Settings,
    waiting: Waiting,
    stop: asyncio.Event,
    configuration: tuple[AgencyDirectory, Protocol],
    *,
    role: Role,
) -> Hub | None:
    """The wired hub once its services answer; None if the process was stopped first."""
    booting = asyncio.create_task(
        bootstrap(settings, wait=waiting, configuration=configuration, role=role)
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait((booting, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not booting.done():
        booting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await booting
        return None
    return booting.result()


async def _serve(
    app: web.Application, settings: Settings, tls: ssl.SSLContext | None
) -> web.AppRunner:
    runner = ProblemAppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port, ssl_context=tls)
    await site.start()
    return runner


def _print_welcome(hub: Hub, settings: Settings, port: int, tls: ssl.SSLContext | None) -> None:
    base = f"{'https' if tls else 'http'}://{settings.http_host}:{port}"
    tokens = settings.agencies_path.with_name("tokens.env")
    print(
        f"hub listening on {base} (protocol {hub.protocol.version_tag})\n"
        f"  ready?   curl {base}/readyz\n"
        f"  post:    source {tokens}\n"
        f"           curl -X POST {base}/v1/notifications \\\n"
        '             -H "Authorization: Bearer $NORTHUMBERLAND_CHILDRENS_TOKEN" \\\n'
        "             -H 'Content-Type: application/cloudevents+json' \\\n"
        "             --data @docs/examples/missing-episode-started.json\n"
        "  watch:   .venv/bin/hub tail --agency northumbria-police",
        flush=True,
    )
