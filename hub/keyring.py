"""The key material a hub process holds: every agency's public keys, and its own private rings.

A router holds only the hub's ring; an agency edge (intake for that agency) holds that
agency's. Documents are read from the keys directory at start, and re-read when a key file
changes on disk (checked at most once a second) or a peer presents a kid we have not loaded, so
a key rotated with ``hub keys rotate`` is used without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from hub._exceptions import ConfigurationError
from hub.crypto import (
    DEFAULT_LIFETIME,
    HUB_AGENCY,
    InvalidMessage,
    KeyRegistry,
    KeyRing,
    KeyStore,
    generate_document,
)

__all__ = ["HUB_AGENCY", "KeyMaterial", "provision_keys"]

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

    def __init__(self, keys_dir: Path, own: Iterable[str]) -> None:
        self._store = KeyStore(keys_dir)
        self._own = tuple(own)
        self._loaded_at = 0.0
        self._checked_at = 0.0
        self._stamp: tuple[tuple[str, int], ...] = ()
        self.registry = KeyRegistry(())
        self._rings: dict[str, KeyRing] = {}
        self.reload()

    def _files_stamp(self) -> tuple[tuple[str, int], ...]:
        paths = [
            *self._store.public_dir.glob("*.json"),
            *self._store.private_dir.glob("*.json"),
        ]
        return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in paths if p.exists()))

    def refresh(self) -> None:
        """Reload if a key file changed since the last load (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked_at < RELOAD_INTERVAL_SECONDS:
            return
        self._checked_at = now
        if self._files_stamp() != self._stamp:
            self.reload()

    def reload(self) -> None:
        """Re-read the key documents from disk; on any error, keep what was loaded before."""
        stamp = self._files_stamp()
        registry = KeyRegistry(self._store.public_documents())
        rings = {
            agency: KeyRing(self._store.read_private(agency))
            for agency in self._own
            if self._store.has_private(agency)
        }
        self.registry, self._rings, self._stamp = registry, rings, stamp
        self._loaded_at = time.monotonic()

    def ring(self, agency: str) -> KeyRing:
        """The private ring of ``agency``; a configuration error if this process lacks it."""
        try:
            return self._rings[agency]
        except KeyError:
            raise ConfigurationError(f"no private keys for {agency} in this process") from None

    def retrying(self, operation: Callable[[], T]) -> T:
        """Run ``operation``; if it failed on a kid we have not loaded, reload once and retry."""
        self.refresh()
        try:
            return operation()
        except InvalidMessage as exc:
            fresh = time.monotonic() - self._loaded_at < RELOAD_INTERVAL_SECONDS
            if exc.reason not in _STALE or fresh:
                raise
        self.reload()
        return operation()
