"""``bench/results/latest.json``, the tables and the plots, from the parts' own results.

Rules:

1. Each part's document is read from ``bench/results/<part>.json`` (e2e, decide, audit); a
   missing part leaves its keys ``null``. A key is read from the document's ``results``, or
   from its top level for a document written before parts had ``results``.
2. ``latest.json`` holds every key of :data:`KEYS` (``null`` when not measured), the targets
   of every part, each with ``met`` true, false or null (not measured), the curves by part,
   and which run each part came from (``run_at``).
3. Each curve is one PNG under ``docs/benchmarks/`` (matplotlib, Agg backend), one panel per
   numeric metric of its points against ``x``.
4. docs/benchmarks.md keeps its prose: only what lies between :data:`START` and :data:`END`
   is rewritten (the markers are added after the page's first paragraph when missing).
"""

from __future__ import annotations

import argparse
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import matplotlib

from bench._faults_services import REPO

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

__all__ = ["KEYS", "main", "merge", "render_markdown", "write_plots", "write_section"]

RESULTS: Final = REPO / "bench" / "results"
DOC: Final = REPO / "docs" / "benchmarks.md"
PLOTS: Final = REPO / "docs" / "benchmarks"
PARTS: Final = ("e2e", "decide", "audit")
KEYS: Final = (
    "recipients",
    "raw_relay_events_per_s",
    "hub_events_per_s",
    "ratio",
    "hub_p50_ms",
    "hub_p99_ms",
    "hub_p99_ms_at_half_load",
    "decide_us_at_1000_rules",
    "audit_verify_records_per_s",
    "query_by_subject_ms_at_1e7",
)
_NOT_PLOTTED: Final = frozenset({"x", "accepted", "count", "complete"})
START: Final = "<!-- bench:results:start (written by python -m bench.report) -->"
END: Final = "<!-- bench:results:end -->"
# Audit targets as the audit part wrote them before parts had {target, met, value} entries.
_LEGACY_TARGETS: Final[dict[str, tuple[str, Callable[[float, float], bool]]]] = {
    "audit_verify_records_per_s": (">= 100,000 records/s", operator.ge),
    "query_by_subject_ms_at_1e7": ("<= 50 ms", operator.le),
}


def _read(directory: Path) -> dict[str, dict[str, Any]]:
    parts = {}
    for part in PARTS:
        path = directory / f"{part}.json"
        if path.exists():
            parts[part] = json.loads(path.read_text(encoding="utf-8"))
    return parts


def _targets(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    targets = {}
    for key, value in (document.get("targets") or {}).items():
        if isinstance(value, Mapping):
            targets[key] = dict(value)
        elif key in _LEGACY_TARGETS:
            text, holds = _LEGACY_TARGETS[key]
            measured = document.get(key)
            met = None if measured is None else bool(holds(measured, value))
            targets[key] = {"target": text, "met": met, "value": measured}
    return targets


def merge(parts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The latest.json document of rules 1 and 2."""
    values: dict[str, Any] = {}
    for document in parts.values():
        flat = {**document, **(document.get("results") or {})}
        values.update({key: flat[key] for key in KEYS if key in flat})
    return {
        **{key: values.get(key) for key in KEYS},
        "targets": {key: t for document in parts.values() for key, t in _targets(document).items()},
        "curves": {part: document.get("curves") or {} for part, document in parts.items()},
        "parts": {
            part: {
                "run_at": document.get("run_at") or document.get("created_at"),
                "results": document.get("results"),
            }
            for part, document in parts.items()
        },
        "machine": next((d["machine"] for d in parts.values() if "machine" in d), None),
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def render_markdown(latest: Mapping[str, Any], plots: Sequence[Path]) -> str:
    """The results section: the keys, the targets, each curve as a table, the plots."""
    lines = ["#### Headline figures (`bench/results/latest.json`)", ""]
    lines += _table(["key", "value"], [(key, latest[key]) for key in KEYS])
    lines += ["", "#### Targets", ""]
    lines += _table(
        ["key", "target", "value", "met"],
        [
            (
                key,
                t.get("target"),
                t.get("value"),
                "not measured" if t.get("met") is None else t["met"],
            )
            for key, t in latest["targets"].items()
        ],
    )
    for part, curves in latest["curves"].items():
        for name, points in curves.items():
            if not points:
                continue
            columns = list(points[0])
            lines += ["", f"#### {part}: {name}", ""]
            lines += _table(columns, [[point.get(c) for c in columns] for point in points])
    if plots:
        lines += ["", "#### Plots", ""]
        lines += [f"![{path.stem}](benchmarks/{path.name})" for path in plots]
    machine = latest.get("machine") or {}
    runs = ", ".join(f"{p} {v['run_at']}" for p, v in latest["parts"].items())
    lines += ["", f"Machine: {_cell(machine)}. Runs: {runs}."]
    return "\n".join(lines) + "\n"


def write_plots(latest: Mapping[str, Any], directory: Path = PLOTS) -> list[Path]:
    """One PNG per curve (rule 3); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for part, curves in latest["curves"].items():
        for name, points in curves.items():
            metrics = [
                key
                for key, value in (points[0].items() if points else ())
                if key not in _NOT_PLOTTED
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ]
            if not metrics:
                continue
            figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2))
            for axis, metric in zip(axes if len(metrics) > 1 else [axes], metrics, strict=True):
                xs = [p["x"] for p in points if p.get(metric) is not None]
                axis.plot(xs, [p[metric] for p in points if p.get(metric) is not None], "o-")
                axis.set_xlabel(name.split("_", 1)[-1])
                axis.set_title(metric, fontsize=9)
                axis.grid(alpha=0.3)
            figure.suptitle(f"{part}: {name}", fontsize=10)
            figure.tight_layout()
            path = directory / f"{part}-{name}.png"
            figure.savefig(path, dpi=90)
            plt.close(figure)
            written.append(path)
    return written


def write_section(text: str, doc: Path = DOC) -> None:
    """Replace the results section of ``doc`` (rule 4)."""
    page = doc.read_text(encoding="utf-8")
    if START not in page:
        first_break = page.find("\n\n", page.find("\n\n") + 2)
        head, tail = page[:first_break], page[first_break:]
        page = f"{head}\n\n## Results of `make bench`\n\n{START}\n{END}{tail}"
    head, rest = page.split(START, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(f"{head}{START}\n{text}{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--plots", type=Path, default=PLOTS)
    parser.add_argument("--no-doc", action="store_true", help="latest.json only")
    args = parser.parse_args(argv)
    latest = merge(_read(args.results))
    (args.results / "latest.json").write_text(json.dumps(latest, indent=2) + "\n", "utf-8")
    if not args.no_doc:
        plots = write_plots(latest, args.plots)
        write_section(render_markdown(latest, plots), args.doc)
    print(json.dumps({key: latest[key] for key in KEYS}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
