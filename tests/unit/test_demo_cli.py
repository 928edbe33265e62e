"""``hub demo init``: demo agencies, tokens and keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.cli import main


def test_demo_init_replaces_a_directory_that_lacks_protocol_parties(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo directory from an older protocol is rewritten so that the hub can start."""
    agencies = tmp_path / "agencies.yaml"
    agencies.write_text("agencies:\n  - {id: northumbria-police, name: P, kind: police}\n")
    (tmp_path / "tokens.env").write_text("OLD=1\n")
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(agencies))
    monkeypatch.setenv("HUB_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    assert main(["demo", "init"]) == 0
    assert "newcastle-childrens" in agencies.read_text()
    assert (tmp_path / "keys" / "private" / "hub.jwks.json").exists()


def test_demo_init_replaces_a_directory_of_the_old_token_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A demo directory with bare ``token_sha256`` lists no longer loads, so ``hub demo init``
    (and so ``make run``) writes scoped, expiring tokens in its place."""
    agencies = tmp_path / "agencies.yaml"
    agencies.write_text(
        "agencies:\n  - {id: northumbria-police, name: P, kind: police, token_sha256: ['00']}\n"
    )
    (tmp_path / "tokens.env").write_text("OLD=1\n")
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(agencies))
    monkeypatch.setenv("HUB_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")

    assert main(["demo", "init", "--no-audit"]) == 0
    text = agencies.read_text()
    assert "token_sha256" not in text
    assert "scopes:" in text
    assert "expires:" in text
