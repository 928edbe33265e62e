"""The audit benchmark runs end to end on a tiny log: its result has every key, all sane.

A smoke test, not a timed one: no assertion here is about speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.audit import RESULT_KEYS, run_benchmark
from bench.report import merge, render_markdown, write_plots
from tests.integration.conftest import POSTGRES_URL

N = 2000


@pytest.mark.postgres
async def test_the_benchmark_reports_every_figure_on_both_backends(tmp_path: Path) -> None:
    """At N=2000 on PostgreSQL and SQLite, the JSON has the headline keys and positive values."""
    output = tmp_path / "audit.json"

    document = await run_benchmark(
        sizes=[N],
        postgres_url=POSTGRES_URL,
        sqlite_url=f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}",
        output=output,
        queries=20,
        quiet=True,
    )

    assert json.loads(output.read_text(encoding="utf-8")) == document
    assert set(RESULT_KEYS) <= set(document)
    assert document["headline_backend"] == "postgresql"
    assert document["audit_verify_records_per_s"] > 0
    assert document["query_by_subject_ms_p50"][str(N)] > 0
    assert document["query_by_subject_ms_p99"][str(N)] > 0
    assert document["query_by_subject_ms_at_1e7"] is None
    assert document["machine"]["cores"] >= 1
    assert document["machine"]["postgresql"]
    assert document["machine"]["sqlite"]
    for backend in ("postgresql", "sqlite"):
        result = document["backends"][backend]["sizes"][str(N)]
        assert result["records"] == N
        assert 0 < result["records_naming_subjects"] < N
        assert result["subject_index_rows"] >= 2 * result["records_naming_subjects"]
        for ratio in ("verify_ratio_to_hash", "verify_ratio_to_scan", "query_ratio_p50_to_lookup"):
            assert result[ratio] > 0
        assert result["query_by_subject"]["rows_per_query_mean"] > 0
        assert result["query_by_subject"]["disclosure"]["ms"]["p50"] > 0

    latest = merge({"audit": document})
    plots = write_plots(latest, tmp_path / "plots")
    assert sorted(path.name for path in plots) == [
        "audit-query_records.png",
        "audit-verify_records.png",
    ]
    assert "#### audit: verify_records" in render_markdown(latest, plots)


async def test_a_database_not_named_as_scratch_is_never_wiped() -> None:
    """The benchmark refuses a PostgreSQL database whose name does not end in _test or _bench."""
    run = run_benchmark(
        sizes=[10],
        postgres_url="postgresql+asyncpg://hub:hub@127.0.0.1:1/hub",
        sqlite_url=None,
        output=None,
        quiet=True,
    )
    with pytest.raises(SystemExit, match="refusing to wipe"):
        await run
