"""Steps audited by a running hub, read back from its real database."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import aiohttp

from hub.agencies import AgencyDirectory, hash_token
from hub.audit import AuditAction
from hub.stores import SqlAuditLog
from protocols import load_protocol
from tests.integration.conftest import REPO, HubProcess, running_hub


async def test_a_starting_hub_records_the_protocol_it_shares_by(hub_process: HubProcess) -> None:
    """Each hub process records, as it starts, which protocol (version and file hash) it loaded."""
    shipped = load_protocol(REPO / "protocols" / "northumberland.yaml")
    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        (loaded,) = await audit.entries(action=AuditAction.PROTOCOL_LOADED)
        verifier = await audit.verify()
    finally:
        await audit.close()

    assert loaded.protocol_version == shipped.version_tag
    assert loaded.detail["content_sha256"] == shipped.content_hash
    assert verifier.broken is None


async def test_a_starting_hub_records_the_agency_directory_it_loaded(
    hub_process: HubProcess, tmp_path: Path
) -> None:
    """Each hub process records, as it starts, the directory's agency ids and file hash."""
    content = (tmp_path / "agencies.yaml").read_bytes()
    audit = SqlAuditLog.from_url(hub_process.database_url)
    try:
        (loaded,) = await audit.entries(action=AuditAction.DIRECTORY_LOADED)
        verifier = await audit.verify()
    finally:
        await audit.close()

    assert loaded.detail["content_sha256"] == hashlib.sha256(content).hexdigest()
    assert loaded.detail["agency_ids"] == sorted(AgencyDirectory.load(tmp_path / "agencies.yaml"))
    assert loaded.detail["agencies"] == len(loaded.detail["agency_ids"])
    assert "token_sha256" not in json.dumps(loaded.detail)
    for token in hub_process.tokens.values():
        assert hash_token(token) not in json.dumps(loaded.detail)
    assert verifier.broken is None


async def test_refused_credentials_are_audited_when_the_hub_stops(
    clean_broker: None, tmp_path: Path
) -> None:
    """A real hub answers a wrong token 401 and, stopping, writes the minute's count."""
    async with running_hub(tmp_path, role="api") as hub, aiohttp.ClientSession() as session:
        for _ in range(3):
            response = await session.post(
                f"{hub.base_url}/v1/notifications",
                json={},
                headers={"Authorization": "Bearer not-a-real-token"},
            )
            assert response.status == 401
    audit = SqlAuditLog.from_url(hub.database_url)
    try:
        (record,) = await audit.entries(action=AuditAction.AUTHENTICATION_FAILED)
    finally:
        await audit.close()

    assert record.detail["attempts"] == 3
    assert "not-a-real-token" not in json.dumps(record.detail)
