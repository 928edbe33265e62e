"""Failed authentication, audited in aggregate (:mod:`._tallies`) as ``authentication.failed``.

Rules:

1. Every refused credential is counted against (minute, source address, token fingerprint).
   The fingerprint is the first 12 hex digits of the token's SHA-256: enough to tell one wrong
   token from another, nothing of the token itself. A missing token is ``none``.
2. An unknown, expired or revoked token, and (with mutual TLS) a token of another agency than
   the client certificate's, are all counted alike: the record does not say which it was.
3. A minute's counts are audited once it is over, bounded per minute, kept if the audit log
   is down (the rules of :class:`~._tallies.MinuteTally`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from hub.api._tallies import MAX_KEYS_PER_MINUTE, MINUTE, MinuteTally
from hub.audit import AuditAction, AuditEntry
from hub.ports import AuditLog, Clock

__all__ = ["MAX_KEYS_PER_MINUTE", "FailedAuthentications", "token_fingerprint"]


def token_fingerprint(token: str | None) -> str:
    """Rule 1's fingerprint of a presented token."""
    if not token:
        return "none"
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _failed_entry(
    minute: datetime, key: tuple[str, ...], attempts: int, recorded_at: datetime
) -> AuditEntry:
    source, fingerprint = key
    return AuditEntry(
        action=AuditAction.AUTHENTICATION_FAILED,
        recorded_at=recorded_at,
        detail={
            "minute": minute.isoformat(),
            "until": (minute + MINUTE).isoformat(),
            "source": source,
            "token_sha256_prefix": fingerprint,
            "attempts": attempts,
        },
    )


class FailedAuthentications(MinuteTally):
    """Counts refused credentials per minute and audits the counts (rules 1-3)."""

    def __init__(self, audit: AuditLog, clock: Clock) -> None:
        super().__init__(audit, clock, _failed_entry, width=2)

    async def note(self, source: str | None, token: str | None) -> None:
        """Count one refused credential, then audit any minute that is over."""
        await self.count((source or "unknown", token_fingerprint(token)))
