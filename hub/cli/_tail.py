"""``hub tail --agency AGENCY``: print what arrives on an agency's queue, for demos and debugging.

It consumes (and acknowledges) what it prints, like any subscriber; its inbox is in memory, so
it skips a copy it already printed only within one run. The output is the recipient's view,
so it is as sensitive as that agency's own copy: use it on demo data.
Stdout carries only the JSON lines; when ``--timeout`` runs out, stderr says so and how many
notifications arrived. It logs in as the agency's own broker user when ``hub provision`` wrote
that user's credentials (``var/demo/amqp/sehub-agency-<id>.url``), else with ``HUB_AMQP_URL``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hub.cli._provision import credentials_dir
from hub.delivery import BrokerCredentials, agency_user
from hub.settings import Settings
from hub.subscriber import Subscriber, UnreadableDelivery

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser("tail", help="print notifications arriving for an agency")
    parser.add_argument("--agency", required=True, help="agency id, e.g. northumbria-police")
    parser.add_argument("--count", type=int, default=None, help="stop after N notifications")
    parser.add_argument(
        "--timeout", type=float, default=None, help="stop if nothing arrives for SECONDS"
    )
    parser.set_defaults(handler=tail)


async def tail(args: argparse.Namespace, settings: Settings) -> int:
    received = 0
    own = BrokerCredentials(credentials_dir(settings)).url(agency_user(args.agency))
    amqp_url = own or settings.amqp_url
    async with Subscriber(amqp_url, args.agency, keys_dir=settings.keys_dir) as subscriber:
        while args.count is None or received < args.count:
            try:
                async with subscriber.receive(timeout=args.timeout) as delivery:
                    print(json.dumps(delivery.model_dump(mode="json"), sort_keys=True), flush=True)
            except TimeoutError:
                _say_timed_out(args, received)
                break
            except UnreadableDelivery as exc:
                print(f"hub tail: {exc.detail}", file=sys.stderr, flush=True)
                continue
            received += 1
    # With --count, falling short (a timeout) is a failure a script can see.
    return 0 if args.count is None or received >= args.count else 1


def _say_timed_out(args: argparse.Namespace, received: int) -> None:
    """On stderr, so that stdout stays the JSON lines: the wait ran out, and how many arrived."""
    of_count = "" if args.count is None else f" of {args.count}"
    print(
        f"hub tail: no notification for {args.timeout:g} s; {received}{of_count} received",
        file=sys.stderr,
        flush=True,
    )
