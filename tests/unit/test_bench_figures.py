"""make bench's arithmetic: percentiles, CPU of a process, the benchmark protocol's fan-out and
the progress bar, without any service."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.__main__ import ProgressBar
from bench.e2e import (
    QUICK,
    E2eConfig,
    bench_protocol,
    cpu_seconds,
    latency_summary,
    percentile,
    runs_planned,
)
from bench.faults import plan_notifications


def test_a_percentile_is_the_nearest_rank_in_milliseconds() -> None:
    """Of 1..100 ms, p50 is 50 ms and p99 is 99 ms; the maximum is the largest sample."""
    samples = [i / 1000 for i in range(100, 0, -1)]
    assert percentile(samples, 0.50) == 50.0
    assert percentile(samples, 0.99) == 99.0
    assert latency_summary(samples)["max_ms"] == 100.0
    assert percentile([i / 1000 for i in range(1, 11)], 0.95) == 10.0  # rank ceil(9.5)


def test_no_samples_have_no_latency() -> None:
    """A run that delivered nothing reports None, never zero."""
    assert latency_summary([]) == {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}


def test_cpu_seconds_grow_with_work_and_a_gone_process_reads_none() -> None:
    """This process's utime+stime rises after a busy loop; a pid that is not there is None."""
    before = cpu_seconds(os.getpid())
    total = 0
    while (cpu_seconds(os.getpid()) or 0.0) - (before or 0.0) < 0.02:
        total += sum(range(10_000))
    assert before is not None
    assert total > 0
    assert cpu_seconds(2**22 + 12345) is None


@pytest.mark.parametrize("recipients", [1, 2, 5, 8])
def test_the_bench_protocol_shares_each_notification_with_exactly_r_recipients(
    tmp_path: Path, recipients: int
) -> None:
    """Every planned notification of the benchmark protocol with R recipients reaches R parties."""
    protocol = bench_protocol(recipients, tmp_path / "protocol.yaml")
    planned = plan_notifications(
        20, seed=1, run_tag="t", protocol=protocol, now=datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert {len(notification.recipients) for notification in planned} == {recipients}


def test_the_bench_protocol_refuses_more_recipients_than_it_has_parties(tmp_path: Path) -> None:
    """Nine recipients is more than the fan-out list holds: a clear error, not a quiet eight."""
    with pytest.raises(ValueError, match="recipients"):
        bench_protocol(9, tmp_path / "protocol.yaml")


def test_the_progress_bar_writes_one_line_per_step_off_a_terminal() -> None:
    """Off a terminal every step is a line of its own, ending with the count of the total."""
    stream = io.StringIO()
    bar = ProgressBar(4, stream)
    bar.note("relay")
    bar.advance()
    bar.advance()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("[" + "#" * 15 + "." * 15 + "] 2/4")
    assert lines[0].endswith("relay")


def test_the_planned_hub_runs_count_every_curve_point() -> None:
    """Peak and half load plus one run per curve point; the quick run has no curve."""
    assert runs_planned(E2eConfig()) == 2 + 5 + 8 + 3 + 2
    assert runs_planned(QUICK) == 2
