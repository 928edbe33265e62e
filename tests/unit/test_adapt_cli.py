"""``hub adapt``: offline mapping of a file of native records, for integrators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters import ADAPTER_KINDS
from hub.cli import main

NATIVE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "native"


@pytest.fixture(autouse=True)
def _no_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(tmp_path / "absent.yaml"))


@pytest.mark.parametrize("kind", ADAPTER_KINDS)
def test_each_documented_native_file_maps_and_exits_0(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each agency's example file maps to canonical JSON notifications, exit status 0."""
    status = main(["adapt", "--agency", kind, "--la-code", "929", str(NATIVE / f"{kind}.json")])
    printed = json.loads(capsys.readouterr().out)
    assert status == 0
    assert printed, "the example file should produce notifications"
    assert all(event["type"].startswith("uk.sehub.") for event in printed)
    assert all(event["specversion"] == "1.0" for event in printed)


def test_problems_are_printed_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with a bad record prints every problem, names the native fields, and exits 2."""
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [{"record_type": "ssda903_missing", "CHILD": "C-1", "DOB": "01/01/2012",
              "MISSING": "X", "MIS_START": "31/02/2026", "NOPE": 1}]
        )
    )  # fmt: skip
    status = main(["adapt", "--agency", "children_services", "--la-code", "929", str(bad)])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert status == 2
    assert {p["field"] for p in problems} >= {
        "records[0].MISSING",
        "records[0].MIS_START",
        "records[0].(unknown field #1)",
    }
    assert "C-1" not in json.dumps(problems)


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    """A missing file is a usage problem: exit 2."""
    assert main(["adapt", "--agency", "police", str(tmp_path / "none.json")]) == 2


def test_a_too_long_integer_is_a_problem_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 5,000-digit integer is printed as an int_too_large problem on its field, exit 2."""
    big = tmp_path / "big.json"
    big.write_text('[{"record_type": "ssda903_missing", "CHILD": ' + "7" * 5000 + "}]")
    status = main(["adapt", "--agency", "children_services", str(big)])
    out = capsys.readouterr().out
    assert status == 2
    assert [(p["field"], p["rule"]) for p in json.loads(out)["problems"]] == [
        ("records[0].CHILD", "int_too_large")
    ]
    assert "7" * 20 not in out
