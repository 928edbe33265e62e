"""Steps audited by a running hub, read back from its real database."""

from __future__ import annotations

from hub.audit import AuditAction
from hub.stores import SqlAuditLog
from protocols import load_protocol
from tests.integration.conftest import REPO, HubProcess


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
