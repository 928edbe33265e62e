"""Request limits: the token bucket, and the 429 and 413 an agency gets over its limits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.agencies import Agency, AgencyDirectory, Limits
from hub.api import ApiDependencies, FailedAuthentications, Rate, RateLimiter, Throttle, create_app
from hub.audit import AuditAction
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FixedClock

T0 = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
POLICE_TOKEN = "synthetic-limits-police"
SMALL_TOKEN = "synthetic-limits-small"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_when_to_retry() -> None:
    """A fresh key may spend its burst at once; the next call is told the seconds to wait."""
    ticks = Ticks()
    limiter = RateLimiter(monotonic=ticks)
    rate = Rate(per_minute=6, burst=3)  # one token every 10 s

    assert [limiter.take("a", rate) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a", rate) == 10
    ticks.now += 9.5
    assert limiter.take("a", rate) == 1
    ticks.now += 0.5
    assert limiter.take("a", rate) == 0


def test_keys_have_their_own_buckets_and_refill_to_the_burst_only() -> None:
    """One key's spending leaves another's alone; an idle bucket never holds more than burst."""
    ticks = Ticks()
    limiter = RateLimiter(monotonic=ticks)
    rate = Rate(per_minute=60, burst=2)
    limiter.take("a", rate)
    limiter.take("a", rate)

    assert limiter.take("b", rate) == 0
    ticks.now += 3600
    assert [limiter.take("a", rate) for _ in range(3)] == [0, 0, 1]


def test_keys_past_the_table_share_one_bucket_that_wait_also_reads() -> None:
    """With the table full of busy keys, a new key spends from the shared bucket, and wait()
    tells it the same: spraying fresh addresses does not escape the limit."""
    ticks = Ticks()
    limiter = RateLimiter(monotonic=ticks, max_keys=2)
    rate = Rate(per_minute=6, burst=1)
    assert [limiter.take(key, rate) for key in ("a", "b")] == [0, 0]  # both now empty, kept

    assert limiter.take("c", rate) == 0  # the shared bucket's one token
    assert limiter.wait("d", rate) == 10
    assert limiter.take("d", rate) == 10


def test_wait_spends_nothing() -> None:
    """``wait`` answers like ``take`` would but leaves the bucket as it was."""
    limiter = RateLimiter(monotonic=Ticks())
    rate = Rate(per_minute=60, burst=1)

    assert limiter.wait("a", rate) == 0
    assert limiter.wait("a", rate) == 0
    assert limiter.take("a", rate) == 0
    assert limiter.wait("a", rate) == 1


def test_the_table_of_buckets_is_bounded() -> None:
    """Past max_keys, new keys share one bucket, so a flood of keys costs bounded memory."""
    limiter = RateLimiter(monotonic=Ticks(), max_keys=3)
    rate = Rate(per_minute=1, burst=1)
    for key in ("a", "b", "c"):
        limiter.take(key, rate)

    assert limiter.take("d", rate) == 0  # the shared bucket's one token
    assert limiter.take("e", rate) == 60  # shares it with d


def test_a_rate_must_be_positive() -> None:
    """A rate or burst of zero is a programming error, raised at once."""
    with pytest.raises(ValueError, match="positive"):
        Rate(per_minute=0, burst=1)


def _directory() -> AgencyDirectory:
    return AgencyDirectory(
        (
            Agency(
                id="northumbria-police", name="P", kind="police", tokens=(token_of(POLICE_TOKEN),)
            ),
            Agency(
                id="northumberland-childrens",
                name="CS",
                kind="children_services",
                la_code="929",
                tokens=(token_of(SMALL_TOKEN),),
                limits=Limits(requests_per_minute=1, burst=1, max_body_bytes=100),
            ),
        )
    )


def _throttled(deps: ApiDependencies, audit: FakeAuditLog, clock: FixedClock) -> ApiDependencies:
    throttle = Throttle(
        audit,
        clock,
        per_agency=Rate(per_minute=60, burst=2),
        failures=Rate(per_minute=60, burst=3),
        max_body_bytes=deps.max_body_bytes,
        monotonic=Ticks(),
    )
    return replace(
        deps,
        agencies=_directory(),
        clock=clock,
        throttle=throttle,
        failed_auth=FailedAuthentications(audit, clock),
    )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    content_type: str
    body: dict[str, Any]


async def _post(client: TestClient, token: str, body: bytes = b"{}") -> Answer:
    async with client.post(
        "/v1/notifications",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ) as response:
        return Answer(
            response.status,
            dict(response.headers),
            response.content_type,
            await response.json(content_type=None),
        )


async def test_over_its_rate_an_agency_gets_429_with_retry_after_audited_once(
    deps: ApiDependencies,
) -> None:
    """Past its burst an agency gets 429 problem+json with Retry-After; one record a minute."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    async with TestClient(TestServer(create_app(_throttled(deps, audit, clock)))) as client:
        statuses = []
        for _ in range(5):
            response = await _post(client, POLICE_TOKEN)
            statuses.append(response.status)
        assert statuses[2:] == [429, 429, 429]
        assert response.headers["Retry-After"] == "1"
        assert response.content_type == "application/problem+json"
        assert response.body["status"] == 429
        clock.now = T0 + timedelta(minutes=1)
        await _post(client, POLICE_TOKEN)

    limited = [e for e in audit.entries if e.action is AuditAction.RATE_LIMITED]
    assert [(e.actor, e.detail["minute"], e.detail["refused"]) for e in limited] == [
        ("northumbria-police", "2026-12-01T09:30:00+00:00", 3),
        ("northumbria-police", "2026-12-01T09:31:00+00:00", 1),  # still limited; at shutdown
    ]


async def test_an_agencys_own_rate_overrides_the_default(deps: ApiDependencies) -> None:
    """An agency with ``limits.burst: 1`` is refused at its second request, the police not."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    async with TestClient(TestServer(create_app(_throttled(deps, audit, clock)))) as client:
        first = await _post(client, SMALL_TOKEN)
        second = await _post(client, SMALL_TOKEN)
        police = await _post(client, POLICE_TOKEN)

    assert first.status != 429
    assert second.status == 429
    assert second.headers["Retry-After"] == "60"
    assert police.status != 429


async def test_an_agencys_own_body_limit_is_a_413_audited(
    deps: ApiDependencies, audit: FakeAuditLog
) -> None:
    """Over its own 100-byte limit (below the hub's) an agency's post is 413, and rejected."""
    clock = FixedClock(T0)
    body = b'{"padding": "' + b"x" * 200 + b'"}'
    async with TestClient(TestServer(create_app(_throttled(deps, audit, clock)))) as client:
        small = await _post(client, SMALL_TOKEN, body)
        detail = small.body["detail"]
        police = await _post(client, POLICE_TOKEN, body)

    assert small.status == 413
    assert "Retry-After" not in small.headers
    assert "100 bytes" in detail
    assert police.status != 413
    rejected = [e for e in audit.entries if e.action is AuditAction.NOTIFICATION_REJECTED]
    assert [(e.actor, e.detail["status"]) for e in rejected] == [
        ("northumberland-childrens", 413),
        ("northumbria-police", 422),  # read, then refused as no notification: not for its size
    ]


async def test_an_address_that_keeps_failing_is_throttled_but_a_good_token_is_not(
    deps: ApiDependencies,
) -> None:
    """After its failures' burst an address's failing tries get 429 until it refills, while a
    good token from the same address (an agency behind the same proxy) still gets through."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    async with TestClient(TestServer(create_app(_throttled(deps, audit, clock)))) as client:
        wrong = [(await _post(client, "synthetic-wrong")).status for _ in range(4)]
        good = await _post(client, POLICE_TOKEN)
        still_wrong = await _post(client, "synthetic-wrong")

    assert wrong == [401, 401, 401, 429]
    assert good.status not in (401, 429)
    assert still_wrong.status == 429
    failed = [e for e in audit.entries if e.action is AuditAction.AUTHENTICATION_FAILED]
    assert sum(e.detail["attempts"] for e in failed) == 5


async def test_authenticating_requests_spend_nothing_of_their_addresss_failures(
    deps: ApiDependencies,
) -> None:
    """Many good requests from one address never trip the failures' limit."""
    audit, clock = FakeAuditLog(), FixedClock(T0)
    wired = _throttled(deps, audit, clock)
    wired = replace(
        wired,
        throttle=replace(wired.throttle, per_agency=Rate(per_minute=600, burst=100)),
    )
    async with TestClient(TestServer(create_app(wired))) as client:
        statuses = {(await _post(client, POLICE_TOKEN)).status for _ in range(10)}

    assert 429 not in statuses
