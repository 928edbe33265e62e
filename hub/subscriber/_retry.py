"""How long a delivery whose keys are not usable yet is held and tried again: :class:`KeyRetry`.

Some checks fail only for a while. The hub rotated a key and its new public document has not
reached the agency's keys directory yet (``unknown_kid``, ``unknown_agency``); the agency's
clock runs a second behind the hub's (``key_not_yet_valid``) or ahead of it (``expired_key``).
Rules:

1. Only those four reasons (:data:`KEY_STATES`) are retried. Every other failed check (a bad
   signature, a retired key, another recipient, a malformed envelope) can never pass, and the
   message is dead-lettered at once.
2. The bound is time, not a count of attempts: a delivery is held for at most ``window``
   seconds from its first failure. What must change (a key file, the clock) changes with time,
   and a count would mean different things at different waits.
3. The waits between attempts double from ``first_wait`` up to ``longest_wait``. The first is
   one second because :class:`~hub.crypto.KeyMaterial` re-reads changed key files at most once
   a second.
4. The last attempt is made at the end of the window, never after it, so a delivery is either
   read or given up on within ``window`` seconds.
5. Pure: time comes in as monotonic seconds; nothing here sleeps.

A delivery sealed under a hub key that expired during a long outage (a backlog older than the
key overlap) fails ``expired_key`` for ever; it is given up on after the window, and the hub can
replay it under its current keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["KEY_STATES", "KeyRetry", "KeyWait"]

KEY_STATES: Final = frozenset({"unknown_kid", "unknown_agency", "key_not_yet_valid", "expired_key"})


@dataclass(frozen=True, slots=True)
class KeyWait:
    """One held delivery's retry state: when it first failed, how often, and when to try next."""

    first_failed: float
    attempts: int
    next_try: float


@dataclass(frozen=True, slots=True)
class KeyRetry:
    """The bound on holding a delivery for its keys (rules 2-4)."""

    window: float = 120.0
    first_wait: float = 1.0
    longest_wait: float = 15.0

    def __post_init__(self) -> None:
        if self.window < 0 or self.first_wait <= 0 or self.longest_wait < self.first_wait:
            raise ValueError("need window >= 0 and 0 < first_wait <= longest_wait")

    def after_failure(self, wait: KeyWait | None, now: float) -> KeyWait | None:
        """The state after another failed attempt at ``now``, or None once the window is over."""
        first = now if wait is None else wait.first_failed
        attempts = 1 if wait is None else wait.attempts + 1
        end = first + self.window
        if now >= end:
            return None
        pause = min(self.first_wait * 2 ** min(attempts - 1, 32), self.longest_wait)
        return KeyWait(first_failed=first, attempts=attempts, next_try=min(now + pause, end))
