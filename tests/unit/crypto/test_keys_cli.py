"""``hub keys``: generate, list, rotate and retire, against a temporary keys directory."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hub.cli import main
from hub.crypto import HPKE_HYBRID, KeyRegistry, KeyRing


@pytest.fixture(autouse=True)
def audit_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key changes are audited to a SQLite file of the test's own, never the repository's."""
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["keys", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_generate_writes_a_private_0600_and_a_public_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``generate`` creates one signing and one encryption key, private 0600, public loadable."""
    status, out, _ = run(
        capsys, "generate", "--agency", "northumbria-police", "--pq", "--dir", str(tmp_path)
    )

    assert status == 0
    private = tmp_path / "private" / "northumbria-police.jwks.json"
    if os.name == "posix":
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    registry = KeyRegistry.load(tmp_path)
    assert [key.use for key in registry.keys("northumbria-police")] == ["sig", "enc"]
    assert registry.keys("northumbria-police")[1].alg == HPKE_HYBRID
    assert KeyRing.load(tmp_path, "northumbria-police").agency == "northumbria-police"
    assert "northumbria-police-sig-" in out


def test_generate_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Generating again for an agency that has keys exits 2 and changes nothing."""
    run(capsys, "generate", "--agency", "hub", "--dir", str(tmp_path))
    before = (tmp_path / "private" / "hub.jwks.json").read_text()

    status, _, err = run(capsys, "generate", "--agency", "hub", "--dir", str(tmp_path))

    assert status == 2
    assert "rotate" in err
    assert (tmp_path / "private" / "hub.jwks.json").read_text() == before


def test_list_shows_status_and_never_private_material(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``list`` prints every kid with use, alg and status, and nothing from ``priv``."""
    run(capsys, "generate", "--agency", "hub", "--dir", str(tmp_path))
    run(
        capsys,
        "rotate",
        "--agency",
        "hub",
        "--use",
        "enc",
        "--overlap",
        "2d",
        "--dir",
        str(tmp_path),
    )

    status, out, _ = run(capsys, "list", "--dir", str(tmp_path))

    private = json.loads((tmp_path / "private" / "hub.jwks.json").read_text())
    assert status == 0
    assert all(key["priv"] not in out for key in private["keys"])
    assert all(key["kid"] in out for key in private["keys"])
    assert sorted(line.split()[-1] for line in out.splitlines()[1:]) == [
        "active",
        "active",
        "overlap",
    ]


def test_rotate_then_retire(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``rotate`` adds new kids and ``retire`` marks one retired; unknown kids exit 2."""
    run(capsys, "generate", "--agency", "northumberland-childrens", "--dir", str(tmp_path))
    status, _, _ = run(
        capsys, "rotate", "--agency", "northumberland-childrens", "--dir", str(tmp_path)
    )
    keys = KeyRegistry.load(tmp_path).keys("northumberland-childrens")
    assert status == 0
    assert [key.use for key in keys] == ["sig", "enc", "sig", "enc"]

    status, _, _ = run(
        capsys,
        "retire",
        "--agency",
        "northumberland-childrens",
        "--kid",
        keys[0].kid,
        "--dir",
        str(tmp_path),
    )
    assert status == 0
    assert KeyRegistry.load(tmp_path).keys("northumberland-childrens")[0].retired is not None

    status, _, err = run(
        capsys,
        "retire",
        "--agency",
        "northumberland-childrens",
        "--kid",
        "nope",
        "--dir",
        str(tmp_path),
    )
    assert (status, "no key" in err) == (2, True)


def test_rotate_needs_existing_keys_and_valid_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rotating an agency without keys exits 2; a malformed duration is a usage error."""
    status, _, err = run(capsys, "rotate", "--agency", "nobody", "--dir", str(tmp_path))
    assert (status, "generate" in err) == (2, True)

    with pytest.raises(SystemExit) as caught:
        main(
            ["keys", "rotate", "--agency", "nobody", "--overlap", "a week", "--dir", str(tmp_path)]
        )
    assert caught.value.code == 2
