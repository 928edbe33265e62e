"""The pseudonym key: created once, mode 0600, and agreed on by processes that start at once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hub.pseudonyms import KEY_BYTES, load_or_create_key


def test_the_key_is_created_once_with_mode_0600_and_then_read(tmp_path: Path) -> None:
    """The first call creates a private key file; the next reads the same key back."""
    path = tmp_path / "keys" / "pseudonym.key"
    key, created = load_or_create_key(path)
    assert created
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == (key, False)
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]


def test_a_process_that_loses_the_race_reads_the_winners_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process wrote the key after this one looked: this one returns that key, not its
    own, and leaves no draft behind."""
    path = tmp_path / "pseudonym.key"
    winner = b"w" * KEY_BYTES
    path.write_bytes(winner)
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert load_or_create_key(path) == (winner, False)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["pseudonym.key"]


def test_a_short_key_file_is_refused(tmp_path: Path) -> None:
    """A key file shorter than a key is an error, never used."""
    path = tmp_path / "pseudonym.key"
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="fewer than"):
        load_or_create_key(path)
