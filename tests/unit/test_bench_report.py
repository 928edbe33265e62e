"""bench.report: latest.json from the parts, the targets met or not, and the results section of
docs/benchmarks.md rewritten between its markers with the prose around it kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import END, KEYS, START, main, merge, render_markdown, write_section

E2E: dict[str, Any] = {
    "part": "e2e",
    "run_at": "2026-12-01T21:00:00+00:00",
    "machine": {"cpu_count": 2},
    "results": {"recipients": 2, "hub_events_per_s": 8.0, "raw_relay_events_per_s": 800.0},
    "curves": {"hub_clients": [{"x": 1, "events_per_s": 5.0}, {"x": 10, "events_per_s": 8.0}]},
    "targets": {"ratio": {"target": ">= 0.70", "met": False, "value": 0.01}},
}
# The audit part's document as issue 9 wrote it: keys and bare target numbers at the top level.
LEGACY_AUDIT: dict[str, Any] = {
    "benchmark": "audit",
    "created_at": "2026-12-01T12:00:00+00:00",
    "audit_verify_records_per_s": 37000.0,
    "query_by_subject_ms_at_1e7": None,
    "targets": {"audit_verify_records_per_s": 100000, "query_by_subject_ms_at_1e7": 50.0},
}


def test_latest_has_every_key_and_null_for_a_part_not_run() -> None:
    """Keys come from each part's results or top level; decide was not run, so its key is null."""
    latest = merge({"e2e": E2E, "audit": LEGACY_AUDIT})
    assert set(KEYS) <= set(latest)
    assert latest["hub_events_per_s"] == 8.0
    assert latest["audit_verify_records_per_s"] == 37000.0
    assert latest["decide_us_at_1000_rules"] is None


def test_a_bare_target_number_is_judged_and_an_unmeasured_one_is_not() -> None:
    """37,000/s against >= 100,000/s is not met; a query never run at 10^7 is null, not a pass."""
    targets = merge({"audit": LEGACY_AUDIT})["targets"]
    assert targets["audit_verify_records_per_s"]["met"] is False
    assert targets["query_by_subject_ms_at_1e7"]["met"] is None


def test_the_markdown_names_each_target_and_tabulates_each_curve() -> None:
    """The section says the ratio target is not met and lists both points of the clients curve."""
    text = render_markdown(merge({"e2e": E2E}), [])
    assert "| ratio | >= 0.70 | 0.010 | no |" in text
    assert "#### e2e: hub_clients" in text
    assert "| 10 | 8.0 |" in text


def test_the_section_is_replaced_between_markers_and_the_prose_is_kept(tmp_path: Path) -> None:
    """A second write replaces the first; the prose before and after the markers survives."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro.\n\n## Audit log\n\nAudit prose.\n", encoding="utf-8")
    write_section("first\n", doc)
    write_section("second\n", doc)
    page = doc.read_text(encoding="utf-8")
    assert page.count(START) == 1
    assert page.count(END) == 1
    assert "second\n" in page
    assert "first" not in page
    assert page.startswith("# Benchmarks\n\nIntro.")
    assert page.endswith("## Audit log\n\nAudit prose.\n")


def test_the_report_writes_latest_json_the_plots_and_the_section(tmp_path: Path) -> None:
    """From e2e.json alone: latest.json with its keys, one PNG for the curve, the doc section."""
    results, plots, doc = tmp_path / "results", tmp_path / "plots", tmp_path / "benchmarks.md"
    results.mkdir()
    (results / "e2e.json").write_text(json.dumps(E2E), encoding="utf-8")
    doc.write_text("# Benchmarks\n\nIntro.\n", encoding="utf-8")
    assert main(["--results", str(results), "--doc", str(doc), "--plots", str(plots)]) == 0
    latest = json.loads((results / "latest.json").read_text(encoding="utf-8"))
    assert latest["raw_relay_events_per_s"] == 800.0
    png = plots / "e2e-hub_clients.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "(benchmarks/e2e-hub_clients.png)" in doc.read_text(encoding="utf-8")
