"""Benchmarks of the audit log: how fast the chain verifies, how fast a subject is found.

Not a timed test: nothing here passes or fails on speed. One run, per backend (PostgreSQL, and
SQLite for comparison) and per size N:

1. populate a fresh log with N synthetic chained records, each with its writer's MAC, and their
   ``audit_subjects`` rows, built in parallel (:mod:`bench._audit_workload`) and bulk-inserted
   (COPY on PostgreSQL); its time is printed and kept, not a result;
2. time :meth:`hub.stores.SqlAuditLog.verify` over the whole log with the writer's MAC keys, as
   ``hub audit verify`` holding them does (records/s; best of 3 up to 10^5 records, one run
   above), and once without them, as an auditor without the key;
3. time :meth:`hub.stores.SqlAuditReader.page` by one subject token (p50/p95/p99 in ms, known
   and unknown tokens, after a warm-up), and the disclosure-style pair of queries;
4. time raw baselines in the same run (hashing the canonical bytes without a database, a bare
   keyed scan of the table through the driver, a bare indexed lookup in ``audit_subjects``)
   and report the ratios against them.

The JSON follows the benchmark parts' shared shape (``part``, ``run_at``, ``machine``,
``results``, ``curves``, ``targets``), and keeps everything measured under ``backends``.

Usage::

    .venv/bin/python -m bench.audit [--quick] [--output FILE] --postgres-url URL
    .venv/bin/python -m bench.audit --sizes 10000000 --no-sqlite --postgres-url URL  # 10^7
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._audit_workload import (
    CHUNK,
    COPY_COLUMNS,
    BuiltChunk,
    as_table_row,
    build_chunk,
    chain_chunk,
    link_check,
    tokens_of,
)
from bench._scratch import refuse_unless_scratch, remove_sqlite, write_document
from hub.audit import ABOUT_A_SUBJECT, GENESIS, AuditQuery, RecordMacs, record_hash
from hub.crypto import AuditMacKeys
from hub.db import audit_records, audit_subjects, create_engine_for, metadata
from hub.stores import SqlAuditLog, SqlAuditReader

__all__ = [
    "DEFAULT_SIZES",
    "RESULT_KEYS",
    "BackendRun",
    "main",
    "run_benchmark",
]

# About five minutes on this 2-core machine, most of it the 10^6 log; --quick about one.
DEFAULT_SIZES: Final = (10_000, 100_000, 1_000_000)
QUICK_SIZES: Final = (10_000, 100_000)
SQLITE_MAX: Final = 100_000  # SQLite is the comparison, not the target: small logs only
# A benchmark's own MAC key (synthetic; never a hub's), as the writer vouches with its own.
BENCH_MACS: Final = AuditMacKeys(Path("/nonexistent/bench-audit-mac.json"),
                                 [("audit-mac-20260101-0000", bytes(range(32)))])  # fmt: skip
HASH_SAMPLE: Final = 100_000  # rows kept in memory for the hashing baseline
SCAN_BATCH: Final = 2000  # the batch SqlAuditLog.verify reads by default
WARM_UP: Final = 20
TARGET_VERIFY_RECORDS_PER_S: Final = 100_000  # issue 13
TARGET_QUERY_MS_AT_1E7: Final = 50.0  # issue 13, PostgreSQL
RESULT_KEYS: Final = (
    "audit_verify_records_per_s",
    "query_by_subject_ms_p50",
    "query_by_subject_ms_p99",
    "query_by_subject_ms_at_1e7",
)
MACHINE_NOTE: Final = (
    "2 cores shared with other engineers' test runs: figures are noisy, compare ratios"
)

# --- backends -------------------------------------------------------------------------------


def _dialect(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    assert database, "a file-backed SQLite URL is needed"
    return database


async def _fresh(url: str) -> AsyncEngine:
    """An engine on an empty, migrated database."""
    if _dialect(url) == "sqlite":
        remove_sqlite(Path(_sqlite_path(url)))
    else:
        engine = create_engine_for(url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await engine.dispose()
    engine = create_engine_for(url)
    await SqlAuditLog(engine).migrate()
    return engine


async def _insert_postgres(driver: Any, chained: list[tuple[Any, ...]], index: list[Any]) -> None:
    """COPY a chunk of records and their index rows (binary, through asyncpg)."""
    await driver.copy_records_to_table("audit_records", records=chained, columns=COPY_COLUMNS)
    if index:
        await driver.copy_records_to_table(
            "audit_subjects", records=index, columns=("subject", "seq")
        )


class _Progress:
    """A plain progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.started = label, total, time.perf_counter()

    def __call__(self, done: int) -> None:
        width = 30
        filled = width * done // max(1, self.total)
        rate = done / max(1e-9, time.perf_counter() - self.started)
        sys.stderr.write(
            f"\r  {self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:>{len(str(self.total))}}/{self.total} {rate:,.0f}/s"
        )
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@dataclass
class Populated:
    """What populating left: its time, a sample of rows, and the subjects named."""

    seconds: float
    sample: list[dict[str, Any]]
    named: list[int]
    index_rows: int
    naming_records: int


def _chunks(n: int, seed: int, workers: int) -> Iterator[BuiltChunk]:
    """The log's chunks in order, built by ``workers`` processes (one: in this one)."""
    count = -(-n // CHUNK)
    if workers <= 1 or count == 1:
        for chunk in range(count):
            yield build_chunk(n, seed, chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(build_chunk, [n] * count, [seed] * count, range(count))


async def populate(
    engine: AsyncEngine,
    n: int,
    *,
    seed: int,
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
) -> Populated:
    """Fill the (empty) log with N chained, MAC-ed records and their subject index."""
    started = time.perf_counter()
    sample: list[dict[str, Any]] = []
    named: set[int] = set()
    done = index_rows = naming = 0
    head = GENESIS
    postgres = engine.dialect.name == "postgresql"
    async with engine.connect() as connection:
        driver: Any = None
        if postgres:
            driver = (await connection.get_raw_connection()).driver_connection
        # Building the next chunks (in the workers) overlaps the COPY of this one.
        for chunk in _chunks(n, seed, workers):
            chained, head = chain_chunk(chunk, head, BENCH_MACS)
            if not sample:
                link_check(as_table_row(chained[0]))
            if len(sample) < HASH_SAMPLE:
                sample.extend(as_table_row(v) for v in chained[: HASH_SAMPLE - len(sample)])
            if postgres:
                await _insert_postgres(driver, chained, chunk.index)
            else:
                await connection.execute(insert(audit_records), [as_table_row(v) for v in chained])
                if chunk.index:
                    rows = [{"subject": subject, "seq": seq} for subject, seq in chunk.index]
                    await connection.execute(insert(audit_subjects), rows)
                await connection.commit()
            named |= chunk.named
            naming += chunk.naming
            index_rows += len(chunk.index)
            done += len(chained)
            if progress is not None:
                progress(done)
        if postgres:
            # Autovacuum would analyse a table this size soon after; do it now.
            await driver.execute("ANALYZE audit_records; ANALYZE audit_subjects")
    return Populated(
        seconds=time.perf_counter() - started,
        sample=sample,
        named=sorted(named),
        index_rows=index_rows,
        naming_records=naming,
    )


# --- measurements ---------------------------------------------------------------------------


async def measure_verify(
    log: SqlAuditLog, n: int, runs: int, macs: RecordMacs | None = BENCH_MACS
) -> dict[str, Any]:
    """Verify the whole log ``runs`` times, with the writer's MAC keys as ``hub audit verify``
    holding them does (or, with ``macs=None``, as an auditor without them); the best rate
    counts."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        verifier = await log.verify(macs=macs)
        times.append(time.perf_counter() - started)
        assert verifier.broken is None, f"the synthetic log does not verify: {verifier.broken}"
        assert verifier.checked == n
    best = min(times)
    return {"runs": runs, "seconds": times, "records_per_s": n / best}


def hash_baseline(rows: Sequence[dict[str, Any]], runs: int = 3) -> dict[str, Any]:
    """``record_hash`` over prebuilt rows in a tight loop: the chain's cost with no database."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for row in rows:
            record_hash(row, seq=row["seq"], prev=row["prev_hash"])
        best = min(best, time.perf_counter() - started)
    return {"rows": len(rows), "records_per_s": len(rows) / best}


_SCAN: Final = "SELECT * FROM audit_records WHERE seq > {p} ORDER BY seq LIMIT {b}"


async def scan_baseline(engine: AsyncEngine, url: str, n: int) -> dict[str, Any]:
    """Every record read by key in ``verify``'s batches, straight through the driver: the
    database's cost of the walk, with no decoding into Python objects beyond the driver's."""
    started = time.perf_counter()
    seen = 0
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            statement = await driver.prepare(_SCAN.format(p="$1", b="$2"))
            position = 0
            while True:
                rows = await statement.fetch(position, SCAN_BATCH)
                seen += len(rows)
                if len(rows) < SCAN_BATCH:
                    break
                position = rows[-1]["seq"]
    else:
        database = sqlite3.connect(_sqlite_path(url))
        try:
            position = 0
            while True:
                found = database.execute(_SCAN.format(p="?", b="?"), (position, SCAN_BATCH))
                rows = found.fetchall()
                seen += len(rows)
                if len(rows) < SCAN_BATCH:
                    break
                position = rows[-1][-5]  # seq, before prev_hash, record_hash, mac_kid, mac
        finally:
            database.close()
    seconds = time.perf_counter() - started
    assert seen == n
    return {"seconds": seconds, "records_per_s": n / seconds}


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def _choose_tokens(named: Sequence[int], queries: int, seed: int) -> tuple[list[str], list[str]]:
    """Known tokens (one of each chosen subject's) and about a tenth as many unknown ones."""
    rng = random.Random(seed + 1)  # noqa: S311 - synthetic
    subjects = rng.sample(list(named), min(queries, len(named)))
    known = [rng.choice(tokens_of(subject)) for subject in subjects]
    unknown = [
        hashlib.sha256(f"bench-unknown-{i}".encode()).hexdigest()
        for i in range(max(2, queries // 10))
    ]
    return known, unknown


async def _timed(calls: Sequence[Callable[[], Any]]) -> tuple[list[float], list[int]]:
    """Milliseconds per call, after a warm-up; and how many rows each returned."""
    for call in calls[:WARM_UP]:
        await call()
    times, counts = [], []
    for call in calls:
        started = time.perf_counter()
        found = await call()
        times.append((time.perf_counter() - started) * 1000)
        counts.append(found)
    return times, counts


async def measure_queries(
    engine: AsyncEngine, known: list[str], unknown: list[str], seed: int
) -> dict[str, Any]:
    """Query by one subject token through :class:`SqlAuditReader` (and the disclosure view's
    two reads), known and unknown tokens shuffled together."""
    reader = SqlAuditReader(engine)
    tokens = known + unknown
    random.Random(seed + 2).shuffle(tokens)  # noqa: S311 - synthetic

    def by_subject(subject: str) -> Callable[[], Any]:
        async def call() -> int:
            return len(await reader.page(AuditQuery(subjects=frozenset({subject})), limit=100))

        return call

    def disclosure(subject: str) -> Callable[[], Any]:
        async def call() -> int:
            query = AuditQuery(subjects=frozenset({subject}), actions=ABOUT_A_SUBJECT)
            about = await reader.page(query, limit=100)
            related = await reader.of_notifications(
                (record.entry.actor, record.entry.notification_id or "") for record in about
            )
            return len(about) + len(related)

        return call

    times, counts = await _timed([by_subject(subject) for subject in tokens])
    known_set = set(known)
    known_times = [t for t, s in zip(times, tokens, strict=True) if s in known_set]
    unknown_times = [t for t, s in zip(times, tokens, strict=True) if s not in known_set]
    disclosure_times, disclosure_counts = await _timed(
        [disclosure(subject) for subject in known[: max(1, len(known) // 2)]]
    )
    return {
        "queries": len(tokens),
        "known": len(known),
        "unknown": len(unknown),
        "ms": _percentiles(times),
        "ms_known": _percentiles(known_times),
        "ms_unknown": _percentiles(unknown_times),
        "rows_per_query_mean": statistics.fmean(counts),
        "disclosure": {
            "queries": len(disclosure_times),
            "ms": _percentiles(disclosure_times),
            "rows_per_query_mean": statistics.fmean(disclosure_counts),
        },
    }


_LOOKUP: Final = "SELECT seq FROM audit_subjects WHERE subject = {p}"


async def raw_query_baseline(
    engine: AsyncEngine, url: str, known: list[str], unknown: list[str]
) -> dict[str, Any]:
    """The bare indexed lookup of a token's records, straight through the driver."""
    tokens = known + unknown
    times = []
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            statement = await driver.prepare(_LOOKUP.format(p="$1"))
            for subject in tokens[:WARM_UP]:
                await statement.fetch(subject)
            for subject in tokens:
                started = time.perf_counter()
                await statement.fetch(subject)
                times.append((time.perf_counter() - started) * 1000)
    else:
        database = sqlite3.connect(_sqlite_path(url))
        try:
            for subject in tokens[:WARM_UP]:
                database.execute(_LOOKUP.format(p="?"), (subject,)).fetchall()
            for subject in tokens:
                started = time.perf_counter()
                database.execute(_LOOKUP.format(p="?"), (subject,)).fetchall()
                times.append((time.perf_counter() - started) * 1000)
        finally:
            database.close()
    return {"queries": len(tokens), "ms": _percentiles(times)}


# --- one run --------------------------------------------------------------------------------


@dataclass
class BackendRun:
    """The results of one backend, size by size."""

    backend: str
    version: str
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)


async def _server_version(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return str(await connection.scalar(text("SHOW server_version")))
        return str(await connection.scalar(text("SELECT sqlite_version()")))


async def run_size(
    url: str, n: int, *, seed: int, queries: int, verify_runs: int, quiet: bool = False
) -> dict[str, Any]:
    """Populate a fresh log of N records on ``url`` and take every measurement of it."""
    backend = _dialect(url)
    engine = await _fresh(url)
    try:
        progress = None if quiet else _Progress(f"{backend} N={n:,} populate", n)
        populated = await populate(engine, n, seed=seed, progress=progress)
        _say(quiet, f"  populated in {populated.seconds:.1f} s")
        log = SqlAuditLog(engine)
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(audit_records))
        assert count == n
        verify = await measure_verify(log, n, verify_runs)
        keyless = await measure_verify(log, n, 1, macs=None)
        hashing = hash_baseline(populated.sample)
        scan = await scan_baseline(engine, url, n)
        _say(
            quiet,
            f"  verify {verify['records_per_s']:,.0f} records/s (hash only "
            f"{hashing['records_per_s']:,.0f}/s, bare scan {scan['records_per_s']:,.0f}/s)",
        )
        known, unknown = _choose_tokens(populated.named, queries, seed)
        query = await measure_queries(engine, known, unknown, seed)
        lookup = await raw_query_baseline(engine, url, known, unknown)
        _say(
            quiet,
            f"  query by subject p50 {query['ms']['p50']:.2f} ms, p99 {query['ms']['p99']:.2f} ms"
            f" (bare lookup p50 {lookup['ms']['p50']:.3f} ms); disclosure p50 "
            f"{query['disclosure']['ms']['p50']:.2f} ms",
        )
        # Both walks done one after the other, with nothing between: the floor verify could reach.
        serial = 1 / (1 / hashing["records_per_s"] + 1 / scan["records_per_s"])
        return {
            "records": n,
            "subjects": max(1, n // 20),
            "subjects_named": len(populated.named),
            "records_naming_subjects": populated.naming_records,
            "subject_index_rows": populated.index_rows,
            "populate_seconds": populated.seconds,
            "verify": verify,
            "verify_without_macs": keyless,
            "baseline_hash": hashing,
            "baseline_scan": scan,
            "baseline_hash_then_scan_records_per_s": serial,
            "verify_ratio_to_hash": verify["records_per_s"] / hashing["records_per_s"],
            "verify_ratio_to_scan": verify["records_per_s"] / scan["records_per_s"],
            "verify_ratio_to_hash_then_scan": verify["records_per_s"] / serial,
            "query_by_subject": query,
            "baseline_lookup": lookup,
            "query_ratio_p50_to_lookup": query["ms"]["p50"] / lookup["ms"]["p50"],
            "query_ratio_p99_to_lookup": query["ms"]["p99"] / lookup["ms"]["p99"],
        }
    finally:
        await engine.dispose()


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)


async def run_benchmark(
    *,
    sizes: Sequence[int],
    postgres_url: str | None,
    sqlite_url: str | None,
    output: Path | None,
    seed: int = 9,
    queries: int = 200,
    quiet: bool = False,
    sqlite_sizes: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Every size on every backend given; the result document (also written to ``output``)."""
    runs: list[BackendRun] = []
    for url in (postgres_url, sqlite_url):
        if url is None:
            continue
        refuse_unless_scratch(url)
        probe = await _fresh(url)
        try:
            run = BackendRun(_dialect(url), await _server_version(probe))
        finally:
            await probe.dispose()
        chosen = sizes
        if run.backend == "sqlite":
            chosen = sqlite_sizes or [n for n in sizes if n <= SQLITE_MAX] or [min(sizes)]
        for n in chosen:
            _say(quiet, f"{run.backend} {run.version}, N={n:,}")
            verify_runs = 3 if n <= 100_000 else 1
            run.sizes[str(n)] = await run_size(
                url, n, seed=seed, queries=queries, verify_runs=verify_runs, quiet=quiet
            )
        runs.append(run)
    document = _document(runs, sizes)
    if output is not None:
        write_document(output, document)
        _say(quiet, f"results written to {output}")
    return document


def _target(value: float | None, target: str, met: bool) -> dict[str, Any]:
    return {"target": target, "met": None if value is None else met, "value": value}


def _document(runs: list[BackendRun], sizes: Sequence[int]) -> dict[str, Any]:
    """The result: the shared shape (headline results, curves, targets) from the production
    backend, then everything measured."""
    by_backend = {run.backend: run for run in runs}
    headline = by_backend.get("postgresql") or by_backend.get("sqlite")
    assert headline is not None, "no backend was run"
    largest = str(max(int(n) for n in headline.sizes))
    verify_rate = headline.sizes[largest]["verify"]["records_per_s"]
    at_1e7 = headline.sizes.get(str(10_000_000))
    query_1e7 = None if at_1e7 is None else at_1e7["query_by_subject"]["ms"]["p99"]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    machine = {
        "cpu_count": os.cpu_count(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": by_backend["postgresql"].version if "postgresql" in by_backend else None,
        "sqlite": by_backend["sqlite"].version if "sqlite" in by_backend else None,
        "note": MACHINE_NOTE,
    }
    ordered = sorted(headline.sizes.items(), key=lambda item: int(item[0]))
    return {
        "part": "audit",
        "run_at": now,
        "machine": machine,
        "results": {
            "audit_verify_records_per_s": verify_rate,
            "query_by_subject_ms_at_1e7": query_1e7,
        },
        "curves": {  # the shared curve shape: each point's "x" is the number of records
            "verify_records": [
                {"x": int(n), "records_per_s": r["verify"]["records_per_s"]} for n, r in ordered
            ],
            "query_records": [
                {
                    "x": int(n),
                    "p50_ms": r["query_by_subject"]["ms"]["p50"],
                    "p99_ms": r["query_by_subject"]["ms"]["p99"],
                }
                for n, r in ordered
            ],
        },
        "targets": {
            "audit_verify_records_per_s": _target(
                verify_rate, ">= 100000 records/s", verify_rate >= TARGET_VERIFY_RECORDS_PER_S
            ),
            "query_by_subject_ms_at_1e7": _target(
                query_1e7,
                "<= 50 ms (p99, 10^7 records, PostgreSQL)",
                query_1e7 is not None and query_1e7 <= TARGET_QUERY_MS_AT_1E7,
            ),
        },
        "benchmark": "audit",
        "created_at": now,
        "headline_backend": headline.backend,
        "largest_size": int(largest),
        "audit_verify_records_per_s": verify_rate,
        "query_by_subject_ms_p50": {
            n: result["query_by_subject"]["ms"]["p50"] for n, result in headline.sizes.items()
        },
        "query_by_subject_ms_p99": {
            n: result["query_by_subject"]["ms"]["p99"] for n, result in headline.sizes.items()
        },
        # p99 at 10^7 records, the figure issue 13's target is about; null when not run.
        "query_by_subject_ms_at_1e7": query_1e7,
        "backends": {run.backend: {"version": run.version, "sizes": run.sizes} for run in runs},
    }


def _sizes(text_value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text_value.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("sizes are whole numbers, comma-separated") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give at least one size, each 1 or more")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="comma-separated record counts on PostgreSQL (default 10000,100000,1000000;"
        " 10000000 works); SQLite runs those up to 100000",
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes 10000,100000 (SQLite: 10000), about a minute"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HUB_BENCH_POSTGRES_URL"),
        help="a scratch PostgreSQL database (name ending _test or _bench); it is wiped",
    )
    parser.add_argument(
        "--sqlite-path",
        type=Path,
        default=Path("var/bench/audit.db"),
        help="the SQLite file to (re)create (default var/bench/audit.db)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--queries", type=int, default=200, help="known subjects queried")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--output", type=Path, default=Path("bench/results/audit.json"))
    args = parser.parse_args(argv)
    sqlite_url = None if args.no_sqlite else f"sqlite+aiosqlite:///{args.sqlite_path}"
    if args.postgres_url is None and sqlite_url is None:
        parser.error("nothing to run: give --postgres-url or drop --no-sqlite")
    sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    asyncio.run(
        run_benchmark(
            sizes=sizes,
            postgres_url=args.postgres_url,
            sqlite_url=sqlite_url,
            output=args.output,
            seed=args.seed,
            queries=args.queries,
            sqlite_sizes=[10_000] if args.quick and args.sizes is None else None,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
