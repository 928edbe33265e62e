"""The HTTP edge's request limits: a rate per agency, and a rate of failures per address.

Rules:

1. An authenticated request spends one token of its agency's bucket (:mod:`._limits`), at the
   agency's ``limits`` from the directory, else the hub's defaults (``HUB_RATE_PER_MINUTE``,
   ``HUB_RATE_BURST``). With none left it is a 429 with ``Retry-After``, before any work.
2. 429s are audited as ``rate.limited`` once per agency and minute with their count
   (:mod:`._tallies`), never one record per request.
3. Before a token is looked at, a remote address whose failed authentications have emptied its
   bucket (``HUB_FAILED_AUTH_PER_MINUTE``, ``HUB_FAILED_AUTH_BURST``) is a 429 too: guessing
   tokens costs the guesser time, and an address that authenticates spends nothing here, so
   agencies behind one proxy are not limited together by their successes. Those 429s are
   counted as failed authentications (the flood stays visible in the audit log).
4. The body limit is the agency's ``limits.max_body_bytes`` if set, else ``HUB_MAX_BODY_BYTES``;
   a directory may only lower it (the hub checks that when it loads one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub._exceptions import TooManyRequests
from hub.agencies import Agency
from hub.api._limits import Rate, RateLimiter
from hub.api._tallies import MINUTE, MinuteTally
from hub.audit import AuditAction, AuditEntry
from hub.ports import AuditLog, Clock

__all__ = ["Throttle"]


def _limited_entry(
    minute: datetime, key: tuple[str, ...], refused: int, recorded_at: datetime
) -> AuditEntry:
    (agency_id,) = key
    return AuditEntry(
        action=AuditAction.RATE_LIMITED,
        recorded_at=recorded_at,
        actor=agency_id,
        detail={
            "minute": minute.isoformat(),
            "until": (minute + MINUTE).isoformat(),
            "refused": refused,
        },
    )


@dataclass
class Throttle:
    """Rules 1-4, for one app."""

    audit: AuditLog
    clock: Clock
    per_agency: Rate
    failures: Rate
    max_body_bytes: int
    monotonic: Callable[[], float] = time.monotonic
    _agencies: RateLimiter = field(init=False)
    _addresses: RateLimiter = field(init=False)
    refused: MinuteTally = field(init=False)

    def __post_init__(self) -> None:
        self._agencies = RateLimiter(monotonic=self.monotonic)
        self._addresses = RateLimiter(monotonic=self.monotonic)
        self.refused = MinuteTally(self.audit, self.clock, _limited_entry, width=1)

    def address_wait(self, address: str | None) -> int:
        """Seconds until ``address`` may try a token again, 0 if now (rule 3)."""
        return self._addresses.wait(address or "unknown", self.failures)

    def failed(self, address: str | None) -> None:
        """Spend a token of ``address``'s failures bucket (rule 3)."""
        self._addresses.take(address or "unknown", self.failures)

    async def admit(self, agency: Agency) -> None:
        """Spend a token of ``agency``'s bucket, or raise the 429 (rules 1-2)."""
        limits = agency.limits
        rate = Rate(
            limits.requests_per_minute or self.per_agency.per_minute,
            limits.burst or self.per_agency.burst,
        )
        wait = self._agencies.take(agency.id, rate)
        if wait:
            await self.refused.count((agency.id,))
            raise TooManyRequests("too many requests from this agency; retry later", wait)

    def body_limit(self, agency: Agency) -> int:
        """The most bytes ``agency`` may post in one body (rule 4)."""
        return min(agency.limits.max_body_bytes or self.max_body_bytes, self.max_body_bytes)
