"""The key material a hub process holds, and the sealed-envelope operations bound to it.

A router holds only the hub's private ring; an agency edge (intake for that agency) holds that
agency's; a subscriber its own. Every process holds every agency's public keys. Like
``MultiFernet``, the object holds its keys and offers the operations, so no caller ever takes a
ring or a registry out to hand it back to a recipe:

* :meth:`KeyMaterial.seal_source` / :meth:`KeyMaterial.open_source`: agency -> hub;
* :meth:`KeyMaterial.seal_delivery` / :meth:`KeyMaterial.open_delivery`: hub -> recipient;
* :meth:`KeyMaterial.sign` / :meth:`KeyMaterial.verify`: a bare signature (audit checkpoints);
* :meth:`KeyMaterial.check_source_header`: what an API process without the hub's key checks
  of an envelope an agency sealed itself;
* :meth:`KeyMaterial.sign_request` / :meth:`KeyMaterial.verify_request`: an agency's HTTP
  message signature on a post (:mod:`._request_signatures`).

Rules:

1. Documents are read from the keys directory at start; keys that cannot be read then are a
   :class:`~hub.ConfigurationError`, and the process does not start.
2. They are re-read when a key file changes on disk (checked at most once a second) or a peer
   presents a kid or agency we have not loaded; so a key rotated with ``hub keys rotate`` is
   used without a restart. Every reload is logged, with its cause.
3. An operation that fails on an unknown kid or agency is retried once after a reload, unless
   the keys were loaded under a second ago. Every other failure raises at once.
4. A reload that fails (a half-written or invalid key file) is logged and changes nothing: the
   keys loaded before stay in use, so one bad document cannot stop the routing of everyone
   else's notifications. It is tried again when a key file next changes.
5. An operation needing a private ring this process does not hold is a
   :class:`~hub.ConfigurationError`: our side, not the peer's.
6. Time comes in as ``now``; the monotonic clock that paces reloads is injectable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from hub._exceptions import ConfigurationError, InvalidMessage, RequestNotVerified
from hub.crypto._envelopes import (
    DeliveryContents,
    SourceContents,
    SourceHeader,
    check_source_header,
    open_delivery,
    open_source,
    seal_delivery,
    seal_source,
)
from hub.crypto._keys import HUB_AGENCY
from hub.crypto._recipes import Signature, sign, verify
from hub.crypto._registry import KeyRegistry, KeyRing
from hub.crypto._request_signatures import (
    HttpRequest,
    VerifiedRequest,
    sign_request,
    verify_request,
)
from hub.crypto._rotation import DEFAULT_LIFETIME, generate_document
from hub.crypto._store import KeyStore
from hub.logs import get_logger

__all__ = ["RELOAD_INTERVAL_SECONDS", "KeyMaterial", "provision_keys"]

log = get_logger(__name__)

T = TypeVar("T")
_STALE = frozenset({"unknown_kid", "unknown_agency"})
RELOAD_INTERVAL_SECONDS = 1.0


def provision_keys(
    keys_dir: Path,
    agencies: Iterable[str],
    now: datetime,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> list[str]:
    """Generate a signing and an encryption key for each agency that has none (demo setup)."""
    store = KeyStore(keys_dir)
    created = []
    for agency in agencies:
        if not store.has_private(agency):
            store.save(generate_document(agency, now, lifetime=lifetime))
            created.append(agency)
    return created


class KeyMaterial:
    """Public keys of all agencies and the private rings of ``own`` agencies, reloadable."""

    def __init__(
        self,
        keys_dir: Path,
        own: Iterable[str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = KeyStore(keys_dir)
        self._own = tuple(own)
        self._monotonic = monotonic
        self._loaded_at = 0.0
        self._checked_at = monotonic()
        self._stamp: tuple[tuple[str, int], ...] = ()
        self._registry = KeyRegistry(())
        self._rings: dict[str, KeyRing] = {}
        self.reload()

    # --- the operations ---------------------------------------------------------------------

    def seal_source(
        self, agency: str, notification: bytes, *, message_id: str, now: datetime
    ) -> bytes:
        """Sign ``notification`` as ``agency`` (its ring must be ours) and seal it to the hub."""
        return self._retrying(
            lambda: seal_source(
                self._ring(agency),
                self._registry,
                agency,
                notification,
                message_id=message_id,
                now=now,
            )
        )

    def open_source(self, envelope: bytes, *, now: datetime) -> SourceContents:
        """Open a source envelope with the hub's ring and verify the source's signature."""
        return self._retrying(
            lambda: open_source(self._ring(HUB_AGENCY), self._registry, envelope, now=now)
        )

    def seal_delivery(
        self,
        recipient: str,
        plaintext: bytes,
        *,
        message_id: str,
        rule_id: str,
        protocol_version: str,
        source_sig: bytes,
        now: datetime,
    ) -> bytes:
        """Seal ``plaintext`` to ``recipient`` and sign the delivery envelope as the hub."""
        return self._retrying(
            lambda: seal_delivery(
                self._ring(HUB_AGENCY),
                self._registry,
                recipient,
                plaintext,
                message_id=message_id,
                rule_id=rule_id,
                protocol_version=protocol_version,
                source_sig=source_sig,
                now=now,
            )
        )

    def open_delivery(self, agency: str, envelope: bytes, *, now: datetime) -> DeliveryContents:
        """Verify the hub's signature on a delivery to ``agency``, then open it with its ring."""
        return self._retrying(
            lambda: open_delivery(self._ring(agency), self._registry, agency, envelope, now=now)
        )

    def sign(self, agency: str, data: bytes, *, now: datetime) -> Signature:
        """Sign ``data`` with ``agency``'s newest signing key (its ring must be ours)."""
        return self._retrying(lambda: sign(self._ring(agency), data, now))

    def signing_kid(self, agency: str, *, now: datetime) -> str:
        """The kid :meth:`sign` would sign with at ``now`` (for formats that sign their kid)."""
        return self._ring(agency).signing_key(now).kid

    def verify(self, agency: str, signature: Signature, data: bytes, *, now: datetime) -> None:
        """Check that ``agency`` signed ``data`` with a key valid at ``now``; else raise."""
        self._retrying(lambda: verify(self._registry, agency, signature, data, now))

    def check_source_header(self, envelope: bytes, *, now: datetime) -> SourceHeader:
        """Check an agency-sealed envelope's header with public keys only; open nothing."""
        return self._retrying(lambda: check_source_header(self._registry, envelope, now=now))

    def sign_request(
        self,
        agency: str,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The Content-Digest and signature headers for a post by ``agency`` (its ring)."""
        ring = self._ring(agency)
        return sign_request(
            ring, method=method, url=url, headers=headers, body=body, now=now, nonce=nonce
        )

    def verify_request(
        self, agency: str, request: HttpRequest, *, now: datetime, window: timedelta
    ) -> VerifiedRequest:
        """Check ``agency``'s signature on ``request`` with its public key; else raise."""
        self.refresh()
        try:
            return verify_request(self._registry, agency, request, now=now, window=window)
        except RequestNotVerified as exc:
            fresh = self._monotonic() - self._loaded_at < RELOAD_INTERVAL_SECONDS
            if exc.check not in _STALE or fresh or not self._reload_or_keep(exc.check):
                raise
        return verify_request(self._registry, agency, request, now=now, window=window)

    @property
    def private_agencies(self) -> tuple[str, ...]:
        """The agencies whose private keys this process holds (never more than ``own``)."""
        return tuple(sorted(self._rings))

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload if a key file changed since the last look (rule 2; at most once a second)."""
        now = self._monotonic()
        if now - self._checked_at < RELOAD_INTERVAL_SECONDS:
            return
        self._checked_at = now
        if self._files_stamp() != self._stamp:
            self._reload_or_keep("files_changed")

    def reload(self) -> None:
        """Re-read the key documents from disk now; raise, keeping the old keys, if they fail."""
        stamp = self._files_stamp()
        try:
            registry = KeyRegistry(self._store.public_documents())
        except ValueError as exc:
            raise ConfigurationError(f"the key documents disagree: {exc}") from exc
        rings = {
            agency: KeyRing(self._store.read_private(agency))
            for agency in self._own
            if self._store.has_private(agency)
        }
        self._registry, self._rings, self._stamp = registry, rings, stamp
        self._loaded_at = self._monotonic()

    def _reload_or_keep(self, cause: str) -> bool:
        """Reload (rule 2), or log why not and keep the keys in use (rule 4)."""
        try:
            self.reload()
        except ConfigurationError as exc:
            self._stamp = self._files_stamp()  # try again when a file next changes
            log.warning("keys.reload_failed", cause=cause, detail=exc.detail)
            return False
        log.info("keys.reloaded", cause=cause, agencies=len(self._registry.agencies))
        return True

    def _files_stamp(self) -> tuple[tuple[str, int], ...]:
        paths = [
            *self._store.public_dir.glob("*.json"),
            *self._store.private_dir.glob("*.json"),
        ]
        return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in paths if p.exists()))

    def _ring(self, agency: str) -> KeyRing:
        try:
            return self._rings[agency]
        except KeyError:
            raise ConfigurationError(f"no private keys for {agency} in this process") from None

    def _retrying(self, operation: Callable[[], T]) -> T:
        self.refresh()
        try:
            return operation()
        except InvalidMessage as exc:
            fresh = self._monotonic() - self._loaded_at < RELOAD_INTERVAL_SECONDS
            if exc.reason not in _STALE or fresh or not self._reload_or_keep(exc.reason):
                raise
        return operation()
