"""make bench's harness runs for real at tiny counts: the relay and the hub as separate
processes on the tests' RabbitMQ and PostgreSQL, subscribers opening every copy, and a
document with every key of issue 13 that this part owns.

A smoke test, not a timed one: no assertion here is about speed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.e2e import QUICK, BenchHub, run_e2e
from bench.report import KEYS
from tests.integration.conftest import AMQP_URL, POSTGRES_URL

BENCH_DATABASE_URL = POSTGRES_URL.rsplit("/", 1)[0] + "/hub_bench"
# latest.json's keys but decide's and the audit log's (docs/benchmarks.md: who writes which).
OWNED_KEYS = tuple(key for key in KEYS if not key.startswith(("decide_", "audit_", "query_")))


@pytest.mark.postgres
@pytest.mark.timeout(150)
async def test_the_quick_run_delivers_every_copy_and_reports_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One client, one router: every notification reaches both recipients and every key is set."""
    monkeypatch.setenv("HUB_AMQP_PORT", str(urlsplit(AMQP_URL).port or 5672))
    steps: list[int] = []
    document = await run_e2e(
        QUICK,
        BenchHub(tmp_path, AMQP_URL, BENCH_DATABASE_URL),
        say=lambda _message: None,
        step=lambda: steps.append(1),
    )
    results = document["results"]
    assert len(steps) == 2
    assert {"part", "run_at", "machine", "results", "curves", "targets"} <= set(document)
    assert len(OWNED_KEYS) == 7
    for key in OWNED_KEYS:
        assert results[key] is not None, key
        assert results[key] > 0, key
    for run in (document["peak"], document["half_load"]):
        assert run["complete"]
        assert run["failures"] == {}
        assert run["copies_received"] == run["accepted"] * QUICK.recipients
    assert document["peak"]["accepted"] == QUICK.count
    assert {"api-1", "router-1"} <= set(document["peak"]["cpu_ms_per_notification"])
    assert set(document["relay"]) == {"awaited", "pipelined"}
    assert all(run["complete"] for run in document["relay"].values())
    assert document["targets"]["ratio"]["met"] in (True, False)


async def test_a_database_not_named_for_the_benchmark_is_never_wiped(tmp_path: Path) -> None:
    """The harness refuses to set up on a database whose name does not end in _bench."""
    bench = BenchHub(tmp_path, AMQP_URL, POSTGRES_URL.rsplit("/", 1)[0] + "/hub")
    with pytest.raises(ValueError, match="_bench"):
        await bench.init_demo()
