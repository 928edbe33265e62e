"""The API's directory reloads when its file changes or on demand, and only when it is sound."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from hub.agencies import AgencyDirectory
from hub.api import ApiDependencies, ReloadingDirectory, create_app
from hub.audit import AuditAction, AuditEntry
from hub.bootstrap import (
    directory_loaded,
    directory_refused,
    load_configuration,
    reloading_directory,
)
from hub.cli import write_demo
from hub.settings import Settings
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FixedClock
from tests.unit.conftest import SHIPPED_PROTOCOL

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OLD, NEW = "synthetic-reload-old", "synthetic-reload-new"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _document(*tokens: str, revoked: str | None = None) -> dict[str, Any]:
    return {
        "agencies": [
            {
                "id": "northumbria-police",
                "name": "Police",
                "kind": "police",
                "tokens": [
                    token_of(
                        token, token_id=f"t{n}", revoked=NOW if token == revoked else None
                    ).model_dump(mode="json", exclude_none=True)
                    for n, token in enumerate(tokens)
                ],
            }
        ]
    }


def _write(path: Path, document: dict[str, Any] | str) -> None:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)  # as hub tokens does: a new inode every write


def _entry(fresh: AgencyDirectory, cause: str) -> AuditEntry:
    return directory_loaded(fresh, FixedClock(NOW), cause=cause)


def _refused(in_use: AgencyDirectory, cause: str, error: str) -> AuditEntry:
    return directory_refused(in_use, FixedClock(NOW), cause, error)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A directory file with the police holding the OLD token."""
    target = tmp_path / "agencies.yaml"
    _write(target, _document(OLD))
    return target


def _reloading(path: Path, audit: FakeAuditLog, ticks: Ticks) -> ReloadingDirectory:
    return ReloadingDirectory(
        AgencyDirectory.load(path),
        path,
        load=AgencyDirectory.load,
        loaded_entry=_entry,
        refused_entry=_refused,
        audit=audit,
        monotonic=ticks,
    )


async def test_a_changed_file_is_used_after_at_most_a_second_and_audited(path: Path) -> None:
    """A new token works once a second has passed since the last look, and the reload is
    audited with the new file's hash and its cause."""
    audit, ticks = FakeAuditLog(), Ticks()
    reloading = _reloading(path, audit, ticks)
    _write(path, _document(OLD, NEW))

    before = await reloading.current()
    ticks.now += 1.0
    after = await reloading.current()

    with pytest.raises(Exception, match="not recognised"):
        before.authenticate(NEW, now=NOW)
    assert after.authenticate(NEW, now=NOW).agency.id == "northumbria-police"
    [entry] = audit.entries
    assert entry.action is AuditAction.DIRECTORY_LOADED
    assert entry.detail["content_sha256"] == after.content_sha256
    assert entry.detail["reloaded"] == "file changed"


@pytest.mark.parametrize(
    "broken",
    ["agencies: [", "agencies:\n  - {id: Bad_Id, name: x, kind: police}\n", ""],
    ids=["bad-yaml", "invalid", "empty"],
)
async def test_a_reload_that_fails_keeps_the_directory_in_use(path: Path, broken: str) -> None:
    """A broken file is logged and audited once as refused, naming the directory that stays
    in use and none of the file, and the old directory keeps authenticating."""
    audit, ticks = FakeAuditLog(), Ticks()
    reloading = _reloading(path, audit, ticks)
    in_use = reloading.directory.content_sha256
    _write(path, broken)
    ticks.now += 1.0

    with capture_logs() as logs:
        current = await reloading.current()
        ticks.now += 5.0
        await reloading.current()  # the same broken file: not tried, nor audited, again

    assert current.authenticate(OLD, now=NOW).agency.id == "northumbria-police"
    [entry] = audit.entries
    assert entry.action is AuditAction.DIRECTORY_REFUSED
    assert entry.detail.keys() == {"reloaded", "error", "in_use_sha256"}
    assert entry.detail["reloaded"] == "file changed"
    assert entry.detail["in_use_sha256"] == in_use
    assert "Bad_Id" not in str(entry.detail)
    assert [log["event"] for log in logs] == ["directory.reload_failed"]
    assert logs[0]["cause"] == "file changed"


async def test_a_refusal_the_audit_log_could_not_take_is_audited_later(path: Path) -> None:
    """With the audit log down, a refused reload's record is kept and written at a later check."""
    audit, ticks = FakeAuditLog(fail=True), Ticks()
    reloading = _reloading(path, audit, ticks)
    _write(path, "agencies: [")

    assert await reloading.reload("SIGHUP") is False
    audit.fail = False
    ticks.now += 1.0
    await reloading.current()

    assert [(e.action, e.detail["reloaded"]) for e in audit.entries] == [
        (AuditAction.DIRECTORY_REFUSED, "SIGHUP")
    ]


async def test_an_unchanged_file_is_not_audited_again(path: Path) -> None:
    """Rewriting the same bytes changes nothing and records nothing."""
    audit, ticks = FakeAuditLog(), Ticks()
    reloading = _reloading(path, audit, ticks)
    _write(path, _document(OLD))  # the same bytes as the fixture wrote
    ticks.now += 5

    assert await reloading.reload("SIGHUP") is False
    assert audit.entries == []


async def test_a_reload_the_audit_log_refused_is_used_and_audited_later(path: Path) -> None:
    """With the audit log down the new directory is used anyway; its record follows."""
    audit, ticks = FakeAuditLog(fail=True), Ticks()
    reloading = _reloading(path, audit, ticks)
    _write(path, _document(NEW))

    assert await reloading.reload("SIGHUP") is True
    assert reloading.directory.authenticate(NEW, now=NOW)
    audit.fail = False
    ticks.now += 1.0
    await reloading.current()

    assert [e.detail["reloaded"] for e in audit.entries] == ["SIGHUP"]


async def test_a_revoked_token_stops_at_the_next_request_after_the_reload(
    path: Path, deps: ApiDependencies
) -> None:
    """Through the app: a token works, is revoked in the file, and the next request is a 401."""
    audit, ticks = FakeAuditLog(), Ticks()
    reloading = _reloading(path, audit, ticks)
    wired = replace(deps, directory=reloading, clock=FixedClock(NOW + timedelta(seconds=1)))
    headers = {"Authorization": f"Bearer {OLD}", "Content-Type": "application/json"}
    async with TestClient(TestServer(create_app(wired))) as client:
        before = await client.post("/v1/notifications", data=b"{}", headers=headers)
        _write(path, _document(OLD, revoked=OLD))
        ticks.now += 1.0
        after = await client.post("/v1/notifications", data=b"{}", headers=headers)

    assert before.status == 422  # authenticated; the empty body is what is refused
    assert after.status == 401


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The demo directory of the shipped protocol, and its tokens."""
    target = tmp_path / "demo" / "agencies.yaml"
    return target, write_demo(target, tmp_path / "demo" / "tokens.env", SHIPPED_PROTOCOL)


def _wired(path: Path, audit: FakeAuditLog, **settings: Any) -> ReloadingDirectory:
    """The reloading directory as ``bootstrap`` wires it: the start's checks at every reload."""
    configured = Settings(agencies_path=path, protocol_path=SHIPPED_PROTOCOL, **settings)
    agencies, protocol = load_configuration(configured)
    return reloading_directory(agencies, protocol, configured, audit, FixedClock(NOW))


def _edited(path: Path, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document["agencies"])
    _write(path, document)


async def test_a_directory_missing_a_protocol_party_is_refused_at_reload(
    demo: tuple[Path, dict[str, str]],
) -> None:
    """The start's checks hold at reload: without a protocol party the reload is refused."""
    path, tokens = demo
    audit = FakeAuditLog()
    reloading = _wired(path, audit)
    _edited(path, lambda agencies: agencies.pop(0))

    assert await reloading.reload("SIGHUP") is False
    assert len(reloading.directory) == len(tokens)
    assert [e.action for e in audit.entries] == [AuditAction.DIRECTORY_REFUSED]


async def test_a_body_limit_above_the_hubs_is_refused_at_reload(
    demo: tuple[Path, dict[str, str]],
) -> None:
    """An agency may lower HUB_MAX_BODY_BYTES, never raise it: that reload is refused; a lower
    limit is taken and audited."""
    path, _ = demo
    audit = FakeAuditLog()
    reloading = _wired(path, audit, max_body_bytes=1000)
    _edited(path, lambda agencies: agencies[0].update(limits={"max_body_bytes": 1001}))
    refused = await reloading.reload("SIGHUP")
    _edited(path, lambda agencies: agencies[0].update(limits={"max_body_bytes": 999}))
    taken = await reloading.reload("SIGHUP")

    assert (refused, taken) == (False, True)
    assert [e.action for e in audit.entries] == [
        AuditAction.DIRECTORY_REFUSED,
        AuditAction.DIRECTORY_LOADED,
    ]
