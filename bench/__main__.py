"""``python -m bench``: every benchmark of issue 13 in one run, with one progress bar on stderr.

1. ``bench.decide`` (when the module exists) and ``bench.audit --sizes SIZES`` run as child
   processes, each writing its own ``bench/results/<part>.json``; their own progress goes to
   ``var/bench/<part>.log`` so that the bar stays one line.
2. ``bench.e2e`` runs in this process: the bare relay, the hub's peak and half-load runs and
   the curves, one bar step per hub run.
3. ``bench.report`` merges the parts into ``bench/results/latest.json`` and rewrites the
   results section and the plots of docs/benchmarks.md.

Ctrl-C or SIGTERM stops the run after the hub run under way has stopped its processes (the
harness does not trust every library below it to pass a cancellation on). A part that fails
is named on stderr and its keys stay ``null``; the exit status is then 1.
The broker and PostgreSQL are the caller's (``make bench`` starts them with the project's
scripts).

Usage::

    .venv/bin/python -m bench [--quick] [--audit-sizes 10000,100000] [--skip audit]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from bench import report
from bench._faults_services import REPO
from bench._hub_setup import BenchHub
from bench._progress import ProgressBar
from bench.e2e import QUICK, E2eConfig, add_service_options, run_e2e, runs_planned

__all__ = ["ProgressBar", "main"]

RESULTS = REPO / "bench" / "results"
LOGS = REPO / "var" / "bench"


def _child_parts(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    parts = []
    if "decide" not in args.skip and importlib.util.find_spec("bench.decide") is not None:
        parts.append(("decide", ["--quick"] if args.quick else []))
    if "audit" not in args.skip:
        sizes = "2000" if args.quick else args.audit_sizes
        # PostgreSQL only: the targets are PostgreSQL's, and SQLite would double its time.
        audit = ["--sizes", sizes, "--postgres-url", args.postgres_url, "--no-sqlite"]
        parts.append(("audit", audit))
    return parts


def _run_child(part: str, extra: list[str]) -> bool:
    LOGS.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        f"bench.{part}",
        *extra,
        "--output",
        str(RESULTS / f"{part}.json"),
    ]
    with (LOGS / f"{part}.log").open("wb") as log:
        done = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    return done.returncode == 0


async def _e2e_until_signalled(config: E2eConfig, bench: BenchHub, bar: ProgressBar) -> Any:
    """run_e2e, cancelled by SIGINT or SIGTERM, and stopped between hub runs in any case."""
    task = asyncio.current_task()
    assert task is not None
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        task.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)

    def step() -> None:
        bar.advance()
        if stopping.is_set():
            raise KeyboardInterrupt

    return await run_e2e(config, bench, say=bar.note, step=step)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add_service_options(parser)
    parser.add_argument("--quick", action="store_true", help="tiny counts (the smoke test)")
    parser.add_argument("--audit-sizes", default="10000,100000,1000000")
    parser.add_argument("--skip", action="append", default=[], choices=("decide", "audit", "e2e"))
    args = parser.parse_args(argv)
    children = _child_parts(args)
    config = QUICK if args.quick else E2eConfig()
    hub_runs = 0 if "e2e" in args.skip else runs_planned(config)
    bar = ProgressBar(len(children) + hub_runs + 1)
    failed = []
    for part, extra in children:
        bar.note(f"{part} (log: var/bench/{part}.log)")
        if not _run_child(part, extra):
            failed.append(part)
        bar.advance()
    if "e2e" not in args.skip:
        workdir = LOGS / "e2e"
        workdir.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=workdir / "harness.log", level=logging.WARNING, force=True)
        bench = BenchHub(workdir, args.amqp_url, args.postgres_url)
        try:
            result = asyncio.run(_e2e_until_signalled(config, bench, bar))
        except (KeyboardInterrupt, asyncio.CancelledError):
            bar.close()
            print("python -m bench: interrupted; its hub processes are stopped", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001  # named, and the other parts still reported
            bar.note(f"e2e failed: {type(exc).__name__}: {exc}")
            failed.append("e2e")
        else:
            (RESULTS / "e2e.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    bar.note("report")
    report.main(["--results", str(RESULTS)])
    bar.advance()
    bar.close()
    if failed:
        print(f"python -m bench: failed: {', '.join(failed)} (see var/bench/)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
