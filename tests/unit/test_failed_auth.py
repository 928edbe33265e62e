"""Refused credentials are audited per minute, source and token fingerprint, never one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from hub.api import (
    MAX_KEYS_PER_MINUTE,
    ApiDependencies,
    FailedAuthentications,
    create_app,
    token_fingerprint,
)
from hub.audit import AuditAction
from tests.fakes import FakeAuditLog, FixedClock
from tests.fixtures import example_event

T0 = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
WRONG = "wrong-token-CANARY-5521"


def _failed(audit: FakeAuditLog) -> list[dict[str, object]]:
    return [e.detail for e in audit.entries if e.action is AuditAction.AUTHENTICATION_FAILED]


async def test_a_flood_in_one_minute_is_one_record_per_source_and_token() -> None:
    """A thousand tries of one wrong token in a minute make one record, counted, once it ends."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    failed = FailedAuthentications(audit, clock)

    for _ in range(1000):
        await failed.note("192.0.2.7", WRONG)
    during = list(audit.entries)
    clock.now = T0 + timedelta(minutes=1)
    await failed.flush_due()

    assert during == []
    assert _failed(audit) == [
        {
            "minute": "2026-12-01T09:30:00+00:00",
            "until": "2026-12-01T09:31:00+00:00",
            "source": "192.0.2.7",
            "token_sha256_prefix": token_fingerprint(WRONG),
            "attempts": 1000,
        }
    ]
    assert WRONG not in repr(audit.entries)


async def test_distinct_pairs_beyond_the_cap_are_counted_together() -> None:
    """Many sources in one minute cost a bounded number of records, and every try is counted."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    failed = FailedAuthentications(audit, clock)

    for n in range(MAX_KEYS_PER_MINUTE + 50):
        await failed.note(f"198.51.100.{n % 250}", f"token-{n}")
    await failed.flush()

    records = _failed(audit)
    assert len(records) == MAX_KEYS_PER_MINUTE + 1
    others = [r for r in records if r["source"] == "(others)"]
    assert [r["attempts"] for r in others] == [50]
    assert sum(int(str(r["attempts"])) for r in records) == MAX_KEYS_PER_MINUTE + 50


async def test_counts_survive_an_audit_outage() -> None:
    """When the audit log is down the counts are kept and written at the next flush."""
    audit, clock = FakeAuditLog(fail=True), FixedClock(T0)
    failed = FailedAuthentications(audit, clock)
    await failed.note(None, None)
    clock.now = T0 + timedelta(minutes=2)
    await failed.flush_due()
    audit.fail = False

    await failed.flush_due()

    assert _failed(audit) == [
        {
            "minute": "2026-12-01T09:30:00+00:00",
            "until": "2026-12-01T09:31:00+00:00",
            "source": "unknown",
            "token_sha256_prefix": "none",
            "attempts": 1,
        }
    ]


async def test_a_refused_post_is_counted_and_written_at_shutdown(deps: ApiDependencies) -> None:
    """Over HTTP a wrong token still gets its 401, and is audited when the app stops."""
    audit = FakeAuditLog()
    wired = replace(deps, failed_auth=FailedAuthentications(audit, FixedClock(T0)))
    async with TestClient(TestServer(create_app(wired))) as client:
        response = await client.post(
            "/v1/notifications",
            json=example_event(),
            headers={"Authorization": f"Bearer {WRONG}"},
        )
        assert response.status == 401
        assert _failed(audit) == []

    (record,) = _failed(audit)
    assert record["attempts"] == 1
    assert record["token_sha256_prefix"] == token_fingerprint(WRONG)
    assert record["source"] == "127.0.0.1"
