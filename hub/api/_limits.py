"""Request-rate limits: a token bucket per key, pure, on an injectable monotonic clock.

Rules:

1. A key (an agency's id, or a remote address) has a bucket that holds at most ``burst``
   tokens and refills at ``per_minute / 60`` tokens a second; a new key's bucket is full.
2. :meth:`RateLimiter.take` spends one token if there is one and answers 0; otherwise it spends
   nothing and answers the whole seconds (at least 1) until a token is back: the
   ``Retry-After`` of the 429.
3. :meth:`RateLimiter.wait` answers the same without spending: a check that costs nothing.
4. The rate is passed with each call, so a changed rate (a reloaded directory's override)
   applies from the next call; tokens already in the bucket are capped at the new burst.
5. At most ``max_keys`` buckets are kept. When the table is full, buckets that have refilled
   (the same as no bucket) are dropped; if none has, a new key shares one ``(others)`` bucket,
   so memory stays bounded whatever keys arrive.
6. Nothing here sleeps, logs or does I/O.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_KEYS", "Rate", "RateLimiter"]

MAX_KEYS: Final = 10_000
_OTHERS: Final = "(others)"


@dataclass(frozen=True, slots=True)
class Rate:
    """How many requests a minute a key may make on average, and how many at once."""

    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst <= 0:
            raise ValueError("a rate and its burst are positive")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key (rules 1-6)."""

    def __init__(
        self, *, monotonic: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        self._monotonic = monotonic
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, rate: Rate) -> int:
        """Spend one token of ``key``'s bucket: 0, or the seconds until one is back (rule 2)."""
        bucket = self._bucket(key, rate)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return self._seconds_to_one(bucket, rate)

    def wait(self, key: str, rate: Rate) -> int:
        """The seconds until ``key`` may spend a token, 0 if now; spends nothing (rule 3)."""
        bucket = self._buckets.get(key)
        if bucket is None and len(self._buckets) >= self._max_keys:
            bucket = self._buckets.get(_OTHERS)  # where take() spends for a key with no room
        if bucket is None:
            return 0
        self._refill(bucket, rate)
        return 0 if bucket.tokens >= 1 else self._seconds_to_one(bucket, rate)

    def _bucket(self, key: str, rate: Rate) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._drop_refilled(rate)
            if len(self._buckets) >= self._max_keys:
                key = _OTHERS
            bucket = self._buckets.setdefault(
                key, _Bucket(tokens=float(rate.burst), at=self._monotonic())
            )
        self._refill(bucket, rate)
        return bucket

    def _refill(self, bucket: _Bucket, rate: Rate) -> None:
        now = self._monotonic()
        gained = (now - bucket.at) * rate.per_minute / 60
        bucket.tokens = min(float(rate.burst), bucket.tokens + gained)
        bucket.at = now

    def _drop_refilled(self, rate: Rate) -> None:
        for key, bucket in list(self._buckets.items()):
            self._refill(bucket, rate)
            if bucket.tokens >= rate.burst:
                del self._buckets[key]

    @staticmethod
    def _seconds_to_one(bucket: _Bucket, rate: Rate) -> int:
        return max(1, math.ceil((1 - bucket.tokens) * 60 / rate.per_minute))
