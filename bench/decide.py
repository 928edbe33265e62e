"""Benchmarks of the sharing decision: flat in the number of rules, linear in recipients.

Not a timed test: nothing here passes or fails on speed. One run measures, on the synthetic
England partnership of :mod:`bench._decide_protocols` (651 parties, the shipped rules):

1. raw baselines in the same run: ``notification.model_dump()`` (which every decision does once)
   and a bare dict lookup building a result tuple;
2. ``decide()`` (median and p99 of many calls, µs) for protocols of 10 to 1,000 rules in the
   shapes ``none_apply`` and ``candidates`` (a rule the index returns for the notification's
   type and publisher, whose conditions are judged and do not hold, its refusal recorded), each
   beside ``decide_by_scan()``, the linear scan, on the same protocol; and ``matching`` (every
   rule serves a view: linear in views produced, reported as its own curve);
3. ``decide()`` against recipients per notification, 1 to 8;
4. routing state of 10^3 to 10^6 subjects, bulk-inserted into the real routing-state tables
   (SQLite by default; PostgreSQL with ``--postgres-url``, whose database name must end in
   ``_test`` or ``_bench``: it is wiped), then ``SqlRoutingStore.load()`` and ``decide()`` for
   random known subjects (load ms and decide µs, p50 and p99).

Synthetic data only. The results go to ``bench/results/decide.json`` in the shape every part of
``make bench`` writes (``part``, ``run_at``, ``machine``, ``results``, ``curves``, ``targets``).

Usage::

    .venv/bin/python -m bench.decide [--quick] [--output bench/results/decide.json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._decide_protocols import (
    COUNCILS,
    england_protocol,
    la_code,
    notification,
    with_extra_rules,
    with_recipients,
)
from bench._scratch import refuse_unless_scratch, remove_sqlite, write_document
from hub.db import create_engine_for, metadata, subject_episodes, subject_placements
from hub.sharing import RoutingState, decide, decide_by_scan
from hub.stores import SqlAuditLog, SqlRoutingStore

__all__ = ["RESULT_KEYS", "main", "run_benchmark"]

NOW: Final = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
RULES: Final = (10, 30, 100, 300, 1000)
MATCHING: Final = (10, 30, 100, 300)
RECIPIENTS: Final = tuple(range(1, 9))
SUBJECTS: Final = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SUBJECTS: Final = (1_000, 10_000)
TARGET_US: Final = 50.0  # issue 13: decide() at most 50 µs with 1,000 rules
BATCH: Final = 50_000
RESULT_KEYS: Final = ("decide_us_at_1000_rules",)


def _say(message: str) -> None:
    print(f"bench.decide: {message}", file=sys.stderr, flush=True)


def _us(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] / 1e3, 2)

    return {"p50": at(0.5), "p99": at(0.99)}


def timed(call: Callable[[], object], calls: int) -> dict[str, float]:
    """p50 and p99 of ``calls`` calls, in µs, after a warm-up."""
    for _ in range(min(50, calls)):
        call()
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        started = clock()
        call()
        samples.append(clock() - started)
    return _us(samples)


def baselines(calls: int) -> dict[str, float]:
    event = notification()
    table = {("uk.sehub.missing_episode.started.v1", "council-000-childrens"): ("rule",)}

    def lookup() -> tuple[Any, ...]:
        return (event.id, table.get((event.type, "council-000-childrens"), ()), NOW)

    return {
        "model_dump_us": timed(lambda: event.model_dump(mode="json", exclude_none=True), calls)[
            "p50"
        ],
        "dict_lookup_us": timed(lookup, calls)["p50"],
    }


def rules_curves(sizes: Sequence[int], calls: int) -> tuple[list[dict[str, Any]], list[Any]]:
    event = notification()
    rules: list[dict[str, Any]] = []
    for size in sizes:
        point: dict[str, Any] = {"x": size}
        for shape in ("none_apply", "candidates"):
            protocol = with_extra_rules(size, shape)
            started = time.perf_counter_ns()
            first = decide(event, protocol, NOW)
            point[f"{shape}_first_call_us"] = round((time.perf_counter_ns() - started) / 1e3, 1)
            assert first == decide_by_scan(event, protocol, NOW), "the index changed a decision"
            indexed = timed(partial(decide, event, protocol, NOW), calls)
            scanned = timed(partial(decide_by_scan, event, protocol, NOW), calls // 4 or 1)
            point[f"{shape}_us_p50"], point[f"{shape}_us_p99"] = indexed["p50"], indexed["p99"]
            point[f"{shape}_scan_us_p50"] = scanned["p50"]
        rules.append(point)
        _say(f"rules {size}: {point}")
    matching = []
    for size in MATCHING if max(sizes) >= max(MATCHING) else sizes[:3]:
        protocol = with_extra_rules(size, "matching")
        views = len(decide(event, protocol, NOW).views)
        result = timed(partial(decide, event, protocol, NOW), max(20, calls // 10))
        matching.append(
            {"x": size, "views": views, "us_p50": result["p50"], "us_p99": result["p99"]}
        )
        _say(f"matching rules {size}: {views} views, {result['p50']} µs")
    return rules, matching


def recipients_curve(calls: int) -> list[dict[str, Any]]:
    event = notification()
    curve = []
    for count in RECIPIENTS:
        protocol = with_recipients(count)
        views = len(decide(event, protocol, NOW).views)
        result = timed(partial(decide, event, protocol, NOW), calls)
        curve.append({"x": count, "views": views, "us_p50": result["p50"], "us_p99": result["p99"]})
    _say(f"recipients: {[(p['x'], p['us_p50']) for p in curve]}")
    return curve


# --- routing state --------------------------------------------------------------------------


def subject_key(number: int) -> str:
    return f"bench-subject-{number:050d}"


async def _fresh(url: str) -> AsyncEngine:
    """An engine on an empty, migrated database."""
    if url.startswith("sqlite"):
        remove_sqlite(Path(make_url(url).database or ""))
    else:
        engine = create_engine_for(url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await engine.dispose()
    engine = create_engine_for(url)
    await SqlAuditLog(engine).migrate()
    return engine


def _rows(start: int, stop: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A placement and a missing episode per subject: placed by its council in the next."""
    placements, episodes = [], []
    for number in range(start, stop):
        council = number % COUNCILS
        key = subject_key(number)
        placements.append(
            (
                key,
                f"placement-{number:012d}",
                la_code(council),
                la_code((council + 1) % COUNCILS),
                NOW,
            )
        )
        episodes.append(
            (
                key,
                f"source-{number % 97:02d}",
                f"ep-{number:012d}",
                date(2026, 11, 1),
                None,
                None,
                NOW,
            )
        )
    return placements, episodes


async def populate(engine: AsyncEngine, subjects: int, already: int) -> None:
    """Add subjects ``already`` to ``subjects`` to the routing-state tables, in bulk."""
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        for start in range(already, subjects, BATCH):
            placements, episodes = _rows(start, min(subjects, start + BATCH))
            if engine.dialect.name == "postgresql":
                await driver.copy_records_to_table(
                    subject_placements.name,
                    records=placements,
                    columns=[c.name for c in subject_placements.c],
                )
                await driver.copy_records_to_table(
                    subject_episodes.name,
                    records=episodes,
                    columns=[c.name for c in subject_episodes.c],
                )
            else:
                await driver.executemany(
                    "INSERT INTO subject_placements VALUES (?, ?, ?, ?, ?)", placements
                )
                await driver.executemany(
                    "INSERT INTO subject_episodes VALUES (?, ?, ?, ?, ?, ?, ?)", episodes
                )
                await driver.commit()
        if engine.dialect.name == "postgresql":
            await driver.execute("ANALYZE subject_placements; ANALYZE subject_episodes")


async def subjects_curve(url: str, sizes: Sequence[int], queries: int, seed: int) -> list[Any]:
    refuse_unless_scratch(url)
    engine = await _fresh(url)
    store, protocol, event = SqlRoutingStore(engine), england_protocol(), notification()
    rng = random.Random(seed)  # noqa: S311  # which synthetic subjects to look up
    curve, done = [], 0
    try:
        for size in sizes:
            started = time.perf_counter()
            await populate(engine, size, done)
            populate_s, done = round(time.perf_counter() - started, 2), size
            loads: list[int] = []
            decides: list[int] = []
            for number in [rng.randrange(size) for _ in range(queries + 10)]:
                began = time.perf_counter_ns()
                state = await store.load([subject_key(number)])
                loaded = time.perf_counter_ns()
                decide(event, protocol, NOW, state)
                loads.append(loaded - began)
                decides.append(time.perf_counter_ns() - loaded)
                assert state != RoutingState(), "a known subject has a placement"
            load, decided = _us(loads[10:]), _us(decides[10:])
            point = {
                "x": size,
                "populate_s": populate_s,
                "load_ms_p50": round(load["p50"] / 1e3, 3),
                "load_ms_p99": round(load["p99"] / 1e3, 3),
                "decide_us_p50": decided["p50"],
                "decide_us_p99": decided["p99"],
            }
            curve.append(point)
            _say(f"subjects {size} ({engine.dialect.name}): {point}")
    finally:
        await engine.dispose()
    return curve


async def run_benchmark(*, quick: bool, url: str, output: Path, seed: int = 13) -> dict[str, Any]:
    """Run every measurement and write the part's JSON to ``output``."""
    calls = 300 if quick else 2000
    _say("baselines")
    base = baselines(calls)
    rules, matching = rules_curves(RULES, calls)
    recipients = recipients_curve(calls)
    sizes = QUICK_SUBJECTS if quick else SUBJECTS
    subjects = await subjects_curve(url, sizes, 100 if quick else 300, seed)
    at_1000 = next(point for point in rules if point["x"] == max(RULES))
    value = at_1000["candidates_us_p50"]
    document = {
        "part": "decide",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "quick": quick,
        "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
        "results": {
            "decide_us_at_1000_rules": value,
            "decide_us_at_1000_rules_none_apply": at_1000["none_apply_us_p50"],
            "decide_scan_us_at_1000_rules": at_1000["candidates_scan_us_p50"],
            "baseline_model_dump_us": base["model_dump_us"],
            "baseline_dict_lookup_us": base["dict_lookup_us"],
        },
        "curves": {
            "rules": rules,
            "matching_rules": matching,
            "recipients": recipients,
            "subjects": subjects,
        },
        "targets": {
            "decide_us_at_1000_rules": {
                "target": f"<= {TARGET_US:g} us",
                "met": value <= TARGET_US,
                "value": value,
            }
        },
    }
    write_document(output, document)
    _say(f"wrote {output}")
    return document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.decide", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer calls, 10^3 and 10^4 subjects")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HUB_BENCH_POSTGRES_URL"),
        help="a scratch PostgreSQL database (name ending _test or _bench); it is wiped",
    )
    parser.add_argument("--sqlite-path", type=Path, default=Path("var/bench/decide.db"))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=Path("bench/results/decide.json"))
    args = parser.parse_args(argv)
    url = args.postgres_url or f"sqlite+aiosqlite:///{args.sqlite_path}"
    asyncio.run(run_benchmark(quick=args.quick, url=url, output=args.output, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
