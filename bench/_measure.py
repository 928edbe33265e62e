"""What every benchmark part measures the same way: latency percentiles, CPU seconds of a
process, the machine, and the shape of a part's JSON document.

Rules:

1. A percentile is nearest-rank over the sorted samples, in milliseconds rounded to 0.01;
   with no samples every percentile is ``None`` (a run that delivered nothing has no latency).
2. CPU of a process is ``utime + stime`` from ``/proc/<pid>/stat`` (fields 14 and 15, in clock
   ticks), read before and after the measured window; a process that has gone reads as
   ``None``, never as zero.
3. A part's document always has ``part``, ``run_at`` (ISO UTC, seconds), ``machine``,
   ``results`` (flat keys), ``curves`` and ``targets`` (docs/benchmarks.md), whatever else it
   carries.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

__all__ = [
    "cpu_seconds",
    "cpu_used",
    "document",
    "latency_summary",
    "machine",
    "percentile",
    "target",
    "write_document",
]

_TICKS: Final = os.sysconf("SC_CLK_TCK")


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank ``fraction`` percentile of ``samples`` (seconds), in ms (rule 1)."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1] * 1000, 2)


def latency_summary(samples: Sequence[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max of ``samples`` (seconds), in ms."""
    return {
        "p50_ms": percentile(samples, 0.50),
        "p95_ms": percentile(samples, 0.95),
        "p99_ms": percentile(samples, 0.99),
        "max_ms": percentile(samples, 1.0),
    }


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds the process ``pid`` has used so far (rule 2)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_used(before: Mapping[str, float | None], pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds each named process used since ``before`` (those still readable)."""
    used = {}
    for name, pid in pids.items():
        start, now = before.get(name), cpu_seconds(pid)
        if start is not None and now is not None:
            used[name] = round(now - start, 3)
    return used


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def target(text: str, value: float | None, met: bool | None) -> dict[str, Any]:
    """One entry of a part's ``targets``: ``met`` is None when the value was not measured."""
    return {"target": text, "met": None if value is None else met, "value": value}


def document(
    part: str,
    results: Mapping[str, Any],
    *,
    curves: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    targets: Mapping[str, Mapping[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A part's JSON document (rule 3)."""
    return {
        "part": part,
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "results": dict(results),
        "curves": {name: list(points) for name, points in (curves or {}).items()},
        "targets": {key: dict(value) for key, value in (targets or {}).items()},
        **extra,
    }


def write_document(path: Path, result: Mapping[str, Any]) -> None:
    """Write a part's document to ``path`` and print its flat results on stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["results"], indent=2))
