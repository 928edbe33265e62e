"""Before and after a fault run: an empty broker and database to start from, and what the
broker, the database, the audit chain and the hub's logs say at the end.

Rules:

1. Starting clean: the hub's queues and exchanges (and the run's taps) are deleted, and every
   table of the hub is dropped, so nothing from an earlier run is counted.
2. At the end (hub processes stopped, services up), read-only: messages left on ingress, on
   the agencies' queues and dead-lettered (with the queue and reason each was dead-lettered
   from); outbox copies never marked sent; audit records by action; how often the hub's logs
   name the events that matter for delivery; and ``hub audit verify`` (its exit code: 0 the
   chain is intact, 1 broken, 2 could not verify).
3. Dead letters are read with ``basic.get`` and never acknowledged, so closing the channel
   puts them back.
"""

from __future__ import annotations

import contextlib
import platform
import subprocess
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import aio_pika
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from sqlalchemy import func, select, text

from bench._faults_hub import hub_command
from bench._faults_recipients import tap_queue_name
from bench._faults_services import REPO
from hub.db import audit_records, create_engine_for, metadata, outbox
from hub.delivery import (
    ACK_EXCHANGE,
    ACK_QUEUE,
    DEAD_EXCHANGE,
    DEAD_QUEUE,
    DELIVER_EXCHANGE,
    INGRESS_EXCHANGE,
    INGRESS_QUEUE,
    agency_queue_name,
    broker_urls,
    connect_first,
)

__all__ = [
    "audit_trail",
    "audit_verify",
    "end_state",
    "fresh_broker",
    "fresh_database",
    "versions",
]

LOGGED_EVENTS: Final = (
    "routing.retrying",
    "routing.gave_up",
    "routing.unexpected_error",
    "routing.refused_unverifiable",
    "notification.duplicate",
)
DEAD_LETTERS_READ: Final = 500


async def fresh_broker(amqp_url: str, agencies: Iterable[str]) -> None:
    """Delete the hub's queues and exchanges and the taps (rule 1)."""
    connection = await connect_first(broker_urls(amqp_url), attempt_timeout=10)
    async with connection:
        channel = await connection.channel()
        for agency in agencies:
            await channel.queue_delete(agency_queue_name(agency))
            await channel.queue_delete(tap_queue_name(agency))
        for name in (INGRESS_QUEUE, DEAD_QUEUE, ACK_QUEUE):
            await channel.queue_delete(name)
        for exchange in (INGRESS_EXCHANGE, DELIVER_EXCHANGE, DEAD_EXCHANGE, ACK_EXCHANGE):
            await channel.exchange_delete(exchange)


async def fresh_database(database_url: str) -> None:
    """Drop every table of the hub and Alembic's version (rule 1)."""
    engine = create_engine_for(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()


async def _queue_depths(
    channel: aio_pika.abc.AbstractChannel, names: Iterable[str]
) -> dict[str, int]:
    depths = {}
    for name in names:
        queue = await channel.declare_queue(name, passive=True)
        depths[name] = int(queue.declaration_result.message_count or 0)
    return depths


async def _dead_letters(channel: aio_pika.abc.AbstractChannel) -> Counter[str]:
    """(queue it died in, reason) of each dead letter, read without acknowledging (rule 3)."""
    queue = await channel.declare_queue(DEAD_QUEUE, passive=True)
    found: Counter[str] = Counter()
    for _ in range(DEAD_LETTERS_READ):
        message = await queue.get(no_ack=False, fail=False, timeout=5)
        if message is None:
            break
        headers = message.headers or {}
        queue_name = _text(headers.get("x-first-death-queue"))
        found[f"{queue_name}: {_text(headers.get('x-first-death-reason'))}"] += 1
    return found


async def _broker_end_state(amqp_url: str, agencies: Iterable[str]) -> dict[str, Any]:
    connection = await connect_first(broker_urls(amqp_url), attempt_timeout=10)
    async with connection:
        channel = await connection.channel()
        depths = await _queue_depths(
            channel, [INGRESS_QUEUE, DEAD_QUEUE, *(agency_queue_name(a) for a in agencies)]
        )
        dead = await _dead_letters(channel)
        server = connection.transport.connection.server_properties if connection.transport else {}
    return {
        "ingress_left": depths.pop(INGRESS_QUEUE),
        "dead_lettered": depths.pop(DEAD_QUEUE),
        "dead_letters_by_queue_and_reason": dict(dead),
        "left_on_agency_queues": sum(depths.values()),
        "rabbitmq": _text(server.get("version")),
    }


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return None if value is None else str(value)


async def _database_end_state(database_url: str) -> dict[str, Any]:
    engine = create_engine_for(database_url)
    try:
        async with engine.connect() as connection:
            unsent = await connection.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.sent_at.is_(None), outbox.c.cancelled_at.is_(None))
            )
            actions = await connection.execute(
                select(audit_records.c.action, func.count().label("n")).group_by(
                    audit_records.c.action
                )
            )
            by_action = {str(row.action): int(row.n) for row in actions}
            server = await connection.scalar(text("SHOW server_version"))
    finally:
        await engine.dispose()
    return {
        "outbox_unsent": unsent if isinstance(unsent, int) else 0,
        "audit_actions": by_action,
        "postgresql": server,
    }


def _logged_events(logs: Iterable[Path]) -> dict[str, int]:
    counts = dict.fromkeys(LOGGED_EVENTS, 0)
    for path in logs:
        with contextlib.suppress(OSError):
            content = path.read_text(encoding="utf-8", errors="replace")
            for event in LOGGED_EVENTS:
                counts[event] += content.count(f'"{event}"')
    return counts


async def end_state(
    amqp_url: str, database_url: str, agencies: Iterable[str], logs: Iterable[Path]
) -> dict[str, Any]:
    """What is left where, at the end of the run (rule 2)."""
    agencies = tuple(agencies)
    state: dict[str, Any] = {}
    try:
        state.update(await _broker_end_state(amqp_url, agencies))
    except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
        state["broker_error"] = type(exc).__name__
    state.update(await _database_end_state(database_url))
    state["logged_events"] = _logged_events(logs)
    return state


async def audit_trail(
    database_url: str, notification_ids: Iterable[str], started_at: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The audit records of these notifications, in chain order, times in seconds into the run:
    what the hub itself says happened to a notification that was lost or repeated."""
    ids = sorted(set(notification_ids))
    trail: dict[str, list[dict[str, Any]]] = {n: [] for n in ids}
    if not ids:
        return trail
    engine = create_engine_for(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    audit_records.c.notification_id,
                    audit_records.c.action,
                    audit_records.c.recipient,
                    audit_records.c.recorded_at,
                    audit_records.c.detail,
                )
                .where(audit_records.c.notification_id.in_(ids))
                .order_by(audit_records.c.seq)
            )
            for row in rows:
                detail = row.detail if isinstance(row.detail, dict) else {}
                trail[row.notification_id].append(
                    {
                        "action": row.action,
                        "recipient": row.recipient,
                        "at_s": round((row.recorded_at - started_at).total_seconds(), 2),
                        **{k: detail[k] for k in ("retry", "reason", "cause") if k in detail},
                    }
                )
    finally:
        await engine.dispose()
    return trail


async def audit_verify(env: dict[str, str]) -> tuple[int, str]:
    """``hub audit verify`` against the run's database: its exit code and last output line."""
    done = await hub_command(env, "audit", "verify")
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def versions() -> dict[str, Any]:
    """The code and the libraries this run was made with (the servers come from end_state)."""
    commit = subprocess.run(  # noqa: S603  # fixed arguments
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],  # noqa: S607  # git on PATH
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "hub_commit": commit or None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "aio_pika": version("aio-pika"),
        "sqlalchemy": version("SQLAlchemy"),
        "asyncpg": version("asyncpg"),
    }
