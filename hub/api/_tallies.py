"""Refusals audited in aggregate, a minute at a time, so that a flood cannot flood the audit log.

Rules:

1. Each refusal is counted against (minute, key); the key is a few short strings that name no
   person and hold no secret (a source address, a token fingerprint, an agency id).
2. A minute's counts become audit records, one per key, once the minute is over: when a later
   refusal arrives, when :meth:`MinuteTally.flush_due` runs (each minute, from a background task
   of the app), or at shutdown (:meth:`MinuteTally.flush`).
3. At most :data:`MAX_KEYS_PER_MINUTE` distinct keys are kept a minute; the rest are counted
   together under ``(others)``, so memory and records stay bounded whatever arrives.
4. If the audit log cannot take them, the counts are kept for the next flush; the caller still
   gets its refusal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from hub._exceptions import ServiceError
from hub.audit import AuditEntry
from hub.logs import get_logger
from hub.ports import AuditLog, Clock

__all__ = ["MAX_KEYS_PER_MINUTE", "MINUTE", "MinuteTally", "TallyEntry"]

log = get_logger(__name__)

MAX_KEYS_PER_MINUTE: Final = 256
MINUTE: Final = timedelta(minutes=1)
OTHERS: Final = "(others)"

#: Builds the record of one key's count in one minute: (minute, key, count, recorded_at).
TallyEntry = Callable[[datetime, tuple[str, ...], int, datetime], AuditEntry]


def _minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class MinuteTally:
    """Counts refusals per minute and key, and audits the counts (rules 1-4)."""

    def __init__(self, audit: AuditLog, clock: Clock, entry: TallyEntry, *, width: int) -> None:
        self._audit = audit
        self._clock = clock
        self._entry = entry
        self._others = (OTHERS,) * width
        self._counts: dict[datetime, Counter[tuple[str, ...]]] = {}

    async def count(self, key: tuple[str, ...]) -> None:
        """Count one refusal, then audit any minute that is over."""
        minute = _minute_of(self._clock())
        counts = self._counts.setdefault(minute, Counter())
        if key not in counts and len(counts) >= MAX_KEYS_PER_MINUTE:
            key = self._others
        counts[key] += 1
        await self.flush_due()

    async def flush_due(self) -> None:
        """Audit the minutes that are over (rule 2)."""
        current = _minute_of(self._clock())
        await self._write([minute for minute in self._counts if minute < current])

    async def flush(self) -> None:
        """Audit everything counted, the current minute included (at shutdown)."""
        await self._write(list(self._counts))

    async def _write(self, minutes: list[datetime]) -> None:
        if not minutes:
            return
        now = self._clock()
        entries = [
            self._entry(minute, key, count, now)
            for minute in sorted(minutes)
            for key, count in sorted(self._counts[minute].items())
        ]
        try:
            await self._audit.record(*entries)
        except ServiceError:
            log.warning("audit.tallies_kept", minutes=len(minutes))
            return
        for minute in minutes:
            del self._counts[minute]
