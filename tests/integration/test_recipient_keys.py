"""One recipient whose key cannot be used, on the real database and RabbitMQ: that recipient
alone is refused and audited; the others are delivered, and the copies' records say so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hub.audit import AuditAction
from tests.integration.obligations_rig import obligations_rig
from tests.unit.builders import EDUCATION, POLICE, documented_example

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


async def test_a_recipient_without_a_usable_key_is_refused_and_the_others_delivered(
    clean_broker: None, fresh_database_url: str, tmp_path: Path
) -> None:
    """Education has no key: the police get their sealed copy on their queue, education's
    queue stays empty, and education's refusal is audited with the failed key check."""
    async with obligations_rig(
        fresh_database_url, tmp_path / "keys", NOW, without_keys=(EDUCATION,)
    ) as rig:
        decision = await rig.route(documented_example("missing_episode.started", id="keyless-1"))
        assert {view.recipient for view in decision.views} >= {POLICE, EDUCATION}

        assert [d.event["id"] for d in await rig.taken(POLICE)] == ["keyless-1"]
        assert await rig.taken(EDUCATION) == []
        refused = [
            e for e in await rig.actions(AuditAction.SHARING_REFUSED) if e.recipient == EDUCATION
        ]
        assert [(e.detail["check"], e.detail["copy"]) for e in refused] == [
            ("no_usable_key", "notification")
        ]
        shared = {e.recipient for e in await rig.actions(AuditAction.NOTIFICATION_SHARED)}
        assert POLICE in shared
        assert EDUCATION not in shared
        published = {e.recipient for e in await rig.actions(AuditAction.DELIVERY_PUBLISHED)}
        assert POLICE in published
        assert EDUCATION not in published
