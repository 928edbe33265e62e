"""``hub adapt``: offline mapping of a file of native records, for integrators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters import ADAPTER_KINDS
from hub.agencies import Agency
from hub.cli import main
from hub.intake import adapt
from hub.pseudonyms import Pseudonymiser

NATIVE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "native"
HUB_KEY = b"p" * 32


@pytest.fixture(autouse=True)
def _no_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(tmp_path / "absent.yaml"))
    key = tmp_path / "pseudonym.key"
    key.write_bytes(HUB_KEY)
    monkeypatch.setenv("HUB_PSEUDONYM_KEY_PATH", str(key))


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


def test_offline_ids_are_the_ids_the_hub_gives(capsys: pytest.CaptureFixture[str]) -> None:
    """``hub adapt`` keys ids with the hub's pseudonym key, as the intake does for a post."""
    file = NATIVE / "police.json"
    status = main(["adapt", "--agency", "police", str(file)])
    offline = [event["id"] for event in json.loads(capsys.readouterr().out)]
    agency = Agency(id="offline-police", name="police", kind="police")
    records = json.loads(file.read_text(encoding="utf-8"))

    posted = [n.id for n in adapt(agency, records, datetime.now(UTC), Pseudonymiser(HUB_KEY))]
    other = [n.id for n in adapt(agency, records, datetime.now(UTC), Pseudonymiser(b"q" * 32))]

    assert status == 0
    assert offline == posted
    assert set(offline).isdisjoint(other)


def test_without_the_hubs_pseudonym_key_it_says_so_and_creates_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No key at HUB_PSEUDONYM_KEY_PATH: exit 1 naming the setting; no key file appears."""
    absent = tmp_path / "nowhere" / "pseudonym.key"
    monkeypatch.setenv("HUB_PSEUDONYM_KEY_PATH", str(absent))

    status = main(["adapt", "--agency", "police", str(NATIVE / "police.json")])

    assert status == 1
    assert "HUB_PSEUDONYM_KEY_PATH" in capsys.readouterr().err
    assert not absent.exists()
