"""bench.decide --quick runs and writes the keys the benchmark report reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.decide import RESULT_KEYS, main


@pytest.mark.timeout(120)
def test_quick_run_writes_the_shared_keys(tmp_path: Path) -> None:
    """A quick run writes part, results, the four curves and the decide target."""
    output = tmp_path / "decide.json"

    assert main(["--quick", "--output", str(output), "--sqlite-path", str(tmp_path / "d.db")]) == 0

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["part"] == "decide"
    assert {"run_at", "machine", "results", "curves", "targets"} <= set(document)
    assert all(isinstance(document["results"][key], float) for key in RESULT_KEYS)
    assert set(document["curves"]) == {"rules", "matching_rules", "recipients", "subjects"}
    assert [point["x"] for point in document["curves"]["rules"]] == [10, 30, 100, 300, 1000]
    assert document["targets"]["decide_us_at_1000_rules"]["met"] in (True, False)
