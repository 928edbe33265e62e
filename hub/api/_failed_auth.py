"""Failed authentication, audited in aggregate so that a flood cannot flood the audit log.

Rules:

1. Every refused credential is counted against (minute, source address, token fingerprint).
   The fingerprint is the first 12 hex digits of the token's SHA-256: enough to tell one wrong
   token from another, nothing of the token itself. A missing token is ``none``.
2. A minute's counts become ``authentication.failed`` records, one per (source, fingerprint),
   once the minute is over: when a later failure arrives, when :meth:`flush_due` runs (each
   minute, from a background task), or at shutdown (:meth:`flush`).
3. At most :data:`MAX_KEYS_PER_MINUTE` distinct pairs are kept a minute; the rest are counted
   together under ``(others)``, so memory and records stay bounded whatever arrives.
4. If the audit log cannot take them, the counts are kept for the next flush; the caller still
   gets its 401.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Final

from hub._exceptions import ServiceError
from hub.audit import AuditAction, AuditEntry
from hub.logs import get_logger
from hub.ports import AuditLog, Clock

__all__ = ["MAX_KEYS_PER_MINUTE", "FailedAuthentications", "token_fingerprint"]

log = get_logger(__name__)

MAX_KEYS_PER_MINUTE: Final = 256
_OTHERS: Final = ("(others)", "(others)")
_MINUTE: Final = timedelta(minutes=1)


def token_fingerprint(token: str | None) -> str:
    """Rule 1's fingerprint of a presented token."""
    if not token:
        return "none"
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class FailedAuthentications:
    """Counts refused credentials per minute and audits the counts (rules 1-4)."""

    def __init__(self, audit: AuditLog, clock: Clock) -> None:
        self._audit = audit
        self._clock = clock
        self._counts: dict[datetime, Counter[tuple[str, str]]] = {}

    async def note(self, source: str | None, token: str | None) -> None:
        """Count one refused credential, then audit any minute that is over."""
        minute = _minute_of(self._clock())
        counts = self._counts.setdefault(minute, Counter())
        key = (source or "unknown", token_fingerprint(token))
        if key not in counts and len(counts) >= MAX_KEYS_PER_MINUTE:
            key = _OTHERS
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
        entries = [
            AuditEntry(
                action=AuditAction.AUTHENTICATION_FAILED,
                recorded_at=self._clock(),
                detail={
                    "minute": minute.isoformat(),
                    "until": (minute + _MINUTE).isoformat(),
                    "source": source,
                    "token_sha256_prefix": fingerprint,
                    "attempts": attempts,
                },
            )
            for minute in sorted(minutes)
            for (source, fingerprint), attempts in sorted(self._counts[minute].items())
        ]
        try:
            await self._audit.record(*entries)
        except ServiceError:
            log.warning("audit.failed_authentications_kept", minutes=len(minutes))
            return
        for minute in minutes:
            del self._counts[minute]
