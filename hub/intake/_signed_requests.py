"""Signed requests: an agency's HTTP message signature checked, and each nonce used once.

Rules:

1. The signature is checked with the calling agency's *public* signing key
   (:meth:`hub.crypto.KeyMaterial.verify_request`): this process needs no private key of it.
2. A request that verifies spends its nonce: ``(agency, nonce)`` is recorded until ``created``
   plus the window. The same nonce again inside the window is ``replayed``; outside it the
   request is ``stale`` before its nonce is looked at. Nonces of requests that failed are never
   recorded, so nobody can spend an agency's nonces for it.
3. Every failure is one :class:`~hub.RequestNotVerified` (401, the same opaque text) and a
   ``notification.rejected`` record naming the check that failed, never a
   value from the request.
4. Expired nonces are pruned after each request that verified, a window late (clock skew
   between API processes must not reopen a replay).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub._exceptions import ConfigurationError, RequestNotVerified
from hub.agencies import Agency
from hub.audit import AuditAction, AuditEntry
from hub.crypto import HttpRequest, KeyMaterial
from hub.logs import get_logger
from hub.ports import AuditLog, Clock, NonceStore

__all__ = ["DEFAULT_WINDOW", "SignedRequests"]

log = get_logger(__name__)

DEFAULT_WINDOW = timedelta(seconds=300)


class SignedRequests:
    """Verifies an agency's request signature and spends its nonce, or refuses and audits."""

    def __init__(
        self,
        keys: KeyMaterial,
        nonces: NonceStore | None,
        audit: AuditLog,
        clock: Clock,
        *,
        window: timedelta = DEFAULT_WINDOW,
    ) -> None:
        self._keys = keys
        self._nonces = nonces
        self._audit = audit
        self._clock = clock
        self._window = window

    async def check(self, agency: Agency, request: HttpRequest, correlation_id: str) -> None:
        """Rules 1-4: return if ``request`` is ``agency``'s, signed now, for the first time."""
        if self._nonces is None:
            raise ConfigurationError("no nonce store: signed requests cannot be checked")
        now = self._clock()
        try:
            await self._spend(self._nonces, agency, request, now)
        except RequestNotVerified as refusal:
            refusal.correlation_id = correlation_id
            await self._refused(agency, refusal, correlation_id)
            raise
        # A window late: another API process whose clock is behind ours still refuses a
        # replay of a nonce it could accept.
        await self._nonces.prune(now - self._window)

    async def _spend(
        self, nonces: NonceStore, agency: Agency, request: HttpRequest, now: datetime
    ) -> None:
        """Verify the signature, then spend its nonce (rules 1 and 2)."""
        verified = self._keys.verify_request(agency.id, request, now=now, window=self._window)
        expires_at = datetime.fromtimestamp(verified.created, tz=UTC) + self._window
        if not await nonces.first_use(agency.id, verified.nonce, expires_at=expires_at):
            raise RequestNotVerified("replayed")

    async def _refused(
        self, agency: Agency, refusal: RequestNotVerified, correlation_id: str
    ) -> None:
        detail: dict[str, object] = {
            "status": refusal.status_hint,
            "reason": refusal.detail,
            "check": refusal.check,
        }
        log.info("request.signature_refused", check=refusal.check)
        await self._audit.record(
            AuditEntry(
                action=AuditAction.NOTIFICATION_REJECTED,
                recorded_at=self._clock(),
                correlation_id=correlation_id,
                actor=agency.id,
                detail=detail,
            )
        )
