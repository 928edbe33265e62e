"""``hub tokens issue|revoke|list``: the directory file edited atomically, the token shown once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.agencies import AgencyDirectory, hash_token
from hub.cli import main, write_demo
from hub.ports import utc_now
from tests.unit.conftest import SHIPPED_PROTOCOL

POLICE = "northumbria-police"


@pytest.fixture
def agencies_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo directory that HUB_AGENCIES_PATH points at."""
    path = tmp_path / "agencies.yaml"
    write_demo(path, tmp_path / "tokens.env", SHIPPED_PROTOCOL)
    monkeypatch.setenv("HUB_AGENCIES_PATH", str(path))
    return path


def _issued(out: str) -> tuple[str, str]:
    """The token id and the token from ``issue``'s output."""
    lines = out.strip().splitlines()
    return lines[0].split()[1], lines[-1]


def test_issue_prints_a_token_once_and_stores_only_its_hash(
    agencies_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The printed token authenticates with the default scopes; the file holds its hash only."""
    assert main(["tokens", "issue", "--agency", POLICE, "--days", "30"]) == 0
    captured = capsys.readouterr()
    token_id, token = _issued(captured.out)

    credential = AgencyDirectory.load(agencies_path).authenticate(token, now=utc_now())
    text = agencies_path.read_text(encoding="utf-8")
    assert (credential.agency.id, credential.token.id) == (POLICE, token_id)
    assert credential.token.scopes == ("post", "inbox")
    assert 29 <= (credential.token.expires - utc_now()).days <= 30
    assert token not in text
    assert hash_token(token) in text
    assert token not in captured.err
    assert captured.out.count(token) == 1


def test_issue_with_chosen_scopes_and_refusals(
    agencies_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scopes picks the scopes; an unknown scope, or one the agency may not hold, changes
    nothing and exits 1."""
    before = agencies_path.read_bytes()

    assert main(["tokens", "issue", "--agency", POLICE, "--scopes", "read"]) == 1
    assert main(["tokens", "issue", "--agency", POLICE, "--scopes", "audit"]) == 1
    assert main(["tokens", "issue", "--agency", "nobody", "--scopes", "post"]) == 1
    assert agencies_path.read_bytes() == before
    capsys.readouterr()
    assert main(["tokens", "issue", "--agency", POLICE, "--scopes", "inbox"]) == 0
    _, token = _issued(capsys.readouterr().out)
    assert AgencyDirectory.load(agencies_path).authenticate(token, now=utc_now()).token.scopes == (
        "inbox",
    )


def test_revoke_stops_a_token_and_list_shows_it_revoked(
    agencies_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A revoked token no longer authenticates; list shows ids and states, never a hash."""
    main(["tokens", "issue", "--agency", POLICE])
    token_id, token = _issued(capsys.readouterr().out)

    assert main(["tokens", "revoke", "--agency", POLICE, "--id", token_id]) == 0
    assert main(["tokens", "revoke", "--agency", POLICE, "--id", token_id]) == 0
    assert main(["tokens", "revoke", "--agency", POLICE, "--id", "tok-none"]) == 1
    capsys.readouterr()
    assert main(["tokens", "list", "--agency", POLICE]) == 0
    listing = capsys.readouterr().out

    with pytest.raises(Exception, match="not recognised"):
        AgencyDirectory.load(agencies_path).authenticate(token, now=utc_now())
    rows = dict(line.split("\t", 1) for line in listing.strip().splitlines())
    assert "revoked" in rows[token_id]
    assert sum("live" in row for row in rows.values()) == 1  # the demo's own token
    assert hash_token(token) not in listing


def test_the_file_is_replaced_whole(agencies_path: Path) -> None:
    """An edit renames a new file over the old (a new inode), leaving no temporary behind."""
    inode = agencies_path.stat().st_ino

    main(["tokens", "issue", "--agency", POLICE])

    assert agencies_path.stat().st_ino != inode
    assert sorted(p.name for p in agencies_path.parent.iterdir()) == [
        "agencies.yaml",
        "tokens.env",
    ]


def test_issue_with_types_limits_what_the_token_may_post(
    agencies_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--types stores the notification types the token may post; a type the catalogue does not
    have changes nothing and exits 1."""
    missing = "uk.sehub.missing_episode.started.v1"
    before = agencies_path.read_bytes()
    assert main(["tokens", "issue", "--agency", POLICE, "--types", "uk.sehub.made_up.v1"]) == 1
    assert agencies_path.read_bytes() == before
    capsys.readouterr()

    assert main(["tokens", "issue", "--agency", POLICE, "--types", missing]) == 0
    _, token = _issued(capsys.readouterr().out)
    credential = AgencyDirectory.load(agencies_path).authenticate(token, now=utc_now())
    assert credential.post_types == frozenset({missing})


def test_an_edit_the_running_hub_would_refuse_is_not_written(
    agencies_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory that loads but disagrees with the protocol (a council's LA code changed) is
    refused by issue, exit 1, and the file is left as it was: a running hub would keep its old
    directory, so a revocation written there would not take effect."""
    text = agencies_path.read_text(encoding="utf-8").replace("la_code: '929'", "la_code: '391'", 1)
    assert text != agencies_path.read_text(encoding="utf-8")
    agencies_path.write_text(text, encoding="utf-8")
    AgencyDirectory.load(agencies_path)  # still a directory: only the protocol disagrees

    assert main(["tokens", "issue", "--agency", POLICE]) == 1
    assert agencies_path.read_text(encoding="utf-8") == text
    assert "LA code" in capsys.readouterr().err
