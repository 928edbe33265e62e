"""The hub refuses to start on an invalid configuration, saying where the problem is."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.cli import main, write_demo

SHIPPED = Path(__file__).resolve().parents[2] / "protocols" / "northumberland.yaml"


def test_an_invalid_protocol_stops_the_hub_before_it_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hub run` with a protocol whose deadline is malformed exits 1 naming file and line."""
    agencies = tmp_path / "agencies.yaml"
    write_demo(agencies, tmp_path / "tokens.env")
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "acknowledge_within: 1h", "acknowledge_within: soon", 1
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if "acknowledge_within: soon" in row
    )
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(agencies))
    monkeypatch.setenv("HUB_PROTOCOL_PATH", str(broken))
    monkeypatch.setenv("HUB_AMQP_URL", "amqp://guest:guest@127.0.0.1:9/")  # never reached

    assert main(["run"]) == 1
    error = capsys.readouterr().err
    assert f"{broken}:{line}:" in error
    assert "acknowledge_within" in error


def _run_with_demo_directory_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> int:
    """`hub run` on the shipped protocol with the demo directory's ``old`` (which it must hold)
    replaced by ``new``; what it returns."""
    agencies = tmp_path / "agencies.yaml"
    write_demo(agencies, tmp_path / "tokens.env")
    text = agencies.read_text(encoding="utf-8")
    assert old in text
    agencies.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(agencies))
    monkeypatch.setenv("HUB_PROTOCOL_PATH", str(SHIPPED))
    monkeypatch.setenv("HUB_AMQP_URL", "amqp://guest:guest@127.0.0.1:9/")  # never reached
    return main(["run"])


def test_a_directory_disagreeing_with_the_protocol_on_an_la_stops_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A council whose LA code differs between directory and protocol is a configuration error."""
    status = _run_with_demo_directory_changed(
        tmp_path, monkeypatch, "la_code: '391'", "la_code: '392'"
    )

    error = capsys.readouterr().err
    assert status == 1
    assert "LA code differs" in error
    assert "newcastle" in error


def test_a_party_missing_from_the_directory_stops_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the registered provider in the directory the hub has no queue or credential for
    it, so `hub run` exits 1 naming the party."""
    status = _run_with_demo_directory_changed(
        tmp_path, monkeypatch, "id: synthetic-care-homes", "id: other-care-homes"
    )

    error = capsys.readouterr().err
    assert status == 1
    assert "no entry in the agency directory" in error
    assert "synthetic-care-homes" in error


def test_a_scottish_councils_gss_code_must_agree_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Scottish Borders named by another Scottish council's GSS code in the directory is a
    configuration error naming the Borders' services."""
    status = _run_with_demo_directory_changed(
        tmp_path, monkeypatch, "la_code: S12000026", "la_code: S12000036"
    )

    error = capsys.readouterr().err
    assert status == 1
    assert "LA code differs" in error
    assert "scottish-borders-childrens" in error
