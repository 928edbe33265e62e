"""Agency credentials through a running hub: tokens issued and revoked while it runs, the
directory reloaded on change and on SIGHUP, and mutual TLS mapping certificates to agencies."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from hub.audit import AuditAction, ListedRecord
from hub.stores import SqlAuditLog
from tests.fixtures import example_event
from tests.integration.conftest import REPO, HubProcess, running_hub, wait_until
from tests.tls_support import Issued, TestCA

CHILDRENS = "northumberland-childrens"
POLICE = "northumbria-police"


def _tokens_cli(hub: HubProcess, *args: str) -> str:
    """Run ``hub tokens ARGS`` against the running hub's directory file; its standard output."""
    env = {**os.environ, "HUB_AGENCIES_PATH": str(hub.log_path.with_name("agencies.yaml"))}
    done = subprocess.run(  # noqa: S603  # our own module, fixed arguments
        [sys.executable, "-m", "hub", "tokens", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


async def _post_status(
    hub: HubProcess, token: str, event_id: str, tls: ssl.SSLContext | None = None
) -> int:
    event = {**example_event(), "id": event_id}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents+json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.base_url}/v1/notifications",
            data=json.dumps(event),
            headers=headers,
            ssl=tls or True,
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response,
    ):
        return response.status


async def _entries(hub: HubProcess, action: AuditAction) -> list[ListedRecord]:
    audit = SqlAuditLog.from_url(hub.database_url)
    try:
        return list(await audit.entries(action=action))
    finally:
        await audit.close()


async def test_a_token_issued_and_revoked_while_the_hub_runs(
    clean_broker: None, tmp_path: Path
) -> None:
    """``hub tokens issue`` works within seconds without a restart; ``revoke`` stops it; both
    reloads are audited, and the hub never logs the token."""
    async with running_hub(tmp_path, role="api") as hub:
        issued = _tokens_cli(hub, "issue", "--agency", CHILDRENS, "--scopes", "post")
        token_id, token = issued.split()[1], issued.strip().splitlines()[-1]
        counter = iter(range(1000))

        async def status_is(wanted: int) -> bool:
            return await _post_status(hub, token, f"reload-{next(counter):04d}") == wanted

        await wait_until(lambda: status_is(202), timeout=10, what="the new token to work")
        _tokens_cli(hub, "revoke", "--agency", CHILDRENS, "--id", token_id)
        await wait_until(lambda: status_is(401), timeout=10, what="the revoked token to fail")
        loaded = await _entries(hub, AuditAction.DIRECTORY_LOADED)
        logs = hub.logs()

    assert [e.detail.get("reloaded") for e in loaded] == [None, "file changed", "file changed"]
    assert token not in logs


async def test_sighup_reloads_the_directory(clean_broker: None, tmp_path: Path) -> None:
    """A revocation read on SIGHUP, with no request to notice the file, refuses the token."""
    async with running_hub(tmp_path, role="api") as hub:
        token = hub.tokens[CHILDRENS]
        (token_id, *_) = _tokens_cli(hub, "list", "--agency", CHILDRENS).split("\t")
        _tokens_cli(hub, "revoke", "--agency", CHILDRENS, "--id", token_id)
        hub.process.send_signal(signal.SIGHUP)

        async def reloaded() -> bool:
            return any(
                e.detail.get("reloaded") == "SIGHUP"
                for e in await _entries(hub, AuditAction.DIRECTORY_LOADED)
            )

        await wait_until(reloaded, timeout=10, what="the SIGHUP reload to be audited")
        assert await _post_status(hub, token, "sighup-0001") == 401
        assert hub.process.poll() is None


async def test_a_refused_reload_is_audited_and_keeps_the_directory_in_use(
    clean_broker: None, tmp_path: Path
) -> None:
    """A directory file edited by hand into something the hub refuses is audited as refused,
    naming the directory still in use, whose tokens keep working."""
    async with running_hub(tmp_path, role="api") as hub:
        token = hub.tokens[CHILDRENS]
        path = hub.log_path.with_name("agencies.yaml")
        temporary = path.with_name("agencies.yaml.new")
        temporary.write_text("agencies: [", encoding="utf-8")
        os.replace(temporary, path)
        hub.process.send_signal(signal.SIGHUP)

        async def refused() -> bool:
            return bool(await _entries(hub, AuditAction.DIRECTORY_REFUSED))

        await wait_until(refused, timeout=10, what="the refused reload to be audited")
        [record] = await _entries(hub, AuditAction.DIRECTORY_REFUSED)
        [loaded] = await _entries(hub, AuditAction.DIRECTORY_LOADED)
        assert await _post_status(hub, token, "refused-0001") == 202

    assert record.detail["reloaded"] == "SIGHUP"
    assert record.detail["in_use_sha256"] == loaded.detail["content_sha256"]


def _client(ca: TestCA, issued: Issued | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca.cert)
    if issued is not None:
        context.load_cert_chain(issued.cert, issued.key)
    return context


def _map_certificates(hub: HubProcess, fingerprints: dict[str, str]) -> None:
    path = hub.log_path.with_name("agencies.yaml")
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in document["agencies"]:
        if entry["id"] in fingerprints:
            entry["certificates"] = [fingerprints[entry["id"]]]
    temporary = path.with_name("agencies.yaml.new")
    temporary.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    os.replace(temporary, path)  # whole, as hub tokens writes it


async def test_mutual_tls_maps_certificates_to_agencies(clean_broker: None, tmp_path: Path) -> None:
    """Over mutual TLS: no certificate and another CA's fail the handshake; A's certificate
    with A's token is accepted; with B's token it is a 401, audited as a failed
    authentication."""
    ca, stranger = TestCA(tmp_path / "pki", "partnership"), TestCA(tmp_path / "other", "other")
    server = ca.issue("hub-server", server=True)
    childrens, police = ca.issue("childrens-edge"), ca.issue("police-edge")
    foreign = stranger.issue("foreign-edge")
    settings = {
        "HUB_TLS_CERT": str(server.cert),
        "HUB_TLS_KEY": str(server.key),
        "HUB_TLS_CLIENT_CA": str(ca.cert),
    }
    async with running_hub(
        tmp_path, role="api", extra_env=settings, client_tls=_client(ca, police)
    ) as hub:
        _map_certificates(hub, {CHILDRENS: childrens.fingerprint, POLICE: police.fingerprint})
        own = _client(ca, childrens)
        polled: list[int] = []

        async def accepted() -> bool:
            event_id = f"mtls-{len(polled):04d}"
            polled.append(await _post_status(hub, hub.tokens[CHILDRENS], event_id, own))
            return polled[-1] == 202

        await wait_until(accepted, timeout=10, what="the certificate mapping to be loaded")
        crossed = await _post_status(hub, hub.tokens[POLICE], "mtls-cross", own)
        for refused in (_client(ca, None), _client(ca, foreign)):
            with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
                await _post_status(hub, hub.tokens[CHILDRENS], "mtls-refused", refused)

    failed = await _entries(hub, AuditAction.AUTHENTICATION_FAILED)
    assert crossed == 401
    # Until the mapping was loaded, A's own certificate was unknown: each such poll failed too.
    assert set(polled[:-1]) <= {401}
    assert sum(e.detail["attempts"] for e in failed) == polled.count(401) + 1
