"""``hub dlq list|show|requeue``: what is on the dead queue (``sehub.dead``), and putting it back.

Metadata only: the payloads are sealed and stay so; no body is ever printed.

* ``list [--limit N] [--json]`` prints one line per dead letter, oldest first (the oldest N):
  its id, the queue it died in, why, how often, when it first died, its type and its size in
  bytes. The messages stay where they are, in their order (``hub.delivery.DeadLetterQueue``
  looks at them all, whatever N).
* ``show ID`` prints one dead letter's metadata as a JSON object (every ``x-death`` entry,
  properties, ``sehub-*`` headers, the SHA-256 of the body).
* ``requeue ID`` or ``requeue --all`` republishes each chosen dead letter, unchanged, to the
  exchange and routing key it died from, confirmed by RabbitMQ; records
  ``dead_letter.requeued`` (``actor``: the operating-system user running the command); and only
  then removes it from the dead queue. The database is checked before anything is moved. At
  least once: a crash between the publish and the removal leaves a copy on the dead queue
  too, which the routers and subscribers' de-duplication absorbs if it is requeued again.

Exit codes: 0 done; 1 no dead letter has that id, one could not be requeued (no origin), the
broker or the database failed, or a requeue's record is missing (said on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub._exceptions import StoreUnavailable
from hub.bootstrap import writing_audit_log
from hub.delivery import DeadLetter, DeadLetterQueue
from hub.ports import utc_now
from hub.routing import requeued_entry
from hub.settings import Settings

__all__ = ["register"]

FAILED = 1
COLUMNS = ("ID", "QUEUE", "REASON", "COUNT", "FIRST DEATH", "TYPE", "SIZE")


def register(commands: Any) -> None:
    dlq = commands.add_parser("dlq", help="list, show and requeue dead letters (metadata only)")
    actions = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = actions.add_parser("list", help="the dead letters, oldest first")
    listing.add_argument("--limit", type=int, default=None, help="print the oldest N only")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=list_command)
    show = actions.add_parser("show", help="one dead letter's metadata as JSON")
    show.add_argument("id", help="the id `hub dlq list` prints")
    show.set_defaults(handler=show_command)
    requeue = actions.add_parser("requeue", help="put dead letters back where they died from")
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", default=None, help="the id `hub dlq list` prints")
    which.add_argument("--all", action="store_true", help="every dead letter on the queue")
    requeue.set_defaults(handler=requeue_command)


def _table(letters: Sequence[DeadLetter]) -> list[str]:
    """The lines ``list`` prints: a header, then one row per dead letter, in columns."""
    rows = [COLUMNS] + [
        (
            letter.id,
            letter.queue or "-",
            letter.reason or "-",
            str(letter.count),
            _when(letter.first_death_at),
            letter.type or "-",
            str(letter.size),
        )
        for letter in letters
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _when(time: datetime | None) -> str:
    return "-" if time is None else time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def list_command(args: argparse.Namespace, settings: Settings) -> int:
    async with DeadLetterQueue(settings.amqp_url) as dlq:
        letters = (await dlq.list())[: args.limit]
    if args.json:
        for letter in letters:
            print(json.dumps(letter.as_json(), sort_keys=True))
    else:
        print("\n".join(_table(letters)))
    print(f"{len(letters)} dead letter(s) shown", file=sys.stderr)
    return 0


async def show_command(args: argparse.Namespace, settings: Settings) -> int:
    async with DeadLetterQueue(settings.amqp_url) as dlq:
        matches = [letter for letter in await dlq.list() if letter.id == args.id]
    if not matches:
        print(f"hub dlq show: no dead letter {args.id}", file=sys.stderr)
        return FAILED
    print(json.dumps(matches[0].as_json(), indent=2, sort_keys=True))
    if len(matches) > 1:
        print(
            f"hub dlq show: {len(matches)} dead letters share the id {args.id} (the same message "
            "dead-lettered more than once); requeue puts back all of them",
            file=sys.stderr,
        )
    return 0


async def requeue_command(args: argparse.Namespace, settings: Settings) -> int:
    actor = getpass.getuser()
    audit = writing_audit_log(settings)
    try:
        # Migrating first proves the audit log answers before anything is moved.
        await audit.migrate()

        async def record(letter: DeadLetter, origin: tuple[str, str]) -> None:
            try:
                await audit.record(requeued_entry(letter, origin, actor=actor, now=utc_now()))
            except StoreUnavailable:
                print(
                    f"hub dlq requeue: {letter.id} was republished to {_where(origin)}, but its "
                    "audit record (dead_letter.requeued) is MISSING, so it was left on the dead "
                    "queue as well. Tell whoever keeps the audit log; do not requeue it again "
                    "until the database answers.",
                    file=sys.stderr,
                )
                raise
            print(f"requeued {letter.id} to {_where(origin)}")

        async with DeadLetterQueue(settings.amqp_url) as dlq:
            done = await dlq.requeue(lambda letter: args.all or letter.id == args.id, record=record)
    finally:
        await audit.close()
    for letter in done.left:
        print(
            f"hub dlq requeue: {letter.id} was not dead-lettered by a queue (no x-death), so it "
            "has nowhere to go back to; left on the dead queue",
            file=sys.stderr,
        )
    if not args.all and not done.requeued and not done.left:
        print(f"hub dlq requeue: no dead letter {args.id}", file=sys.stderr)
        return FAILED
    print(f"{len(done.requeued)} dead letter(s) requeued", file=sys.stderr)
    return FAILED if done.left else 0


def _where(origin: tuple[str, str]) -> str:
    exchange, routing_key = origin
    return f"{exchange or '(default exchange)'} / {routing_key}"
