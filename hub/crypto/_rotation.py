"""Making keys and rotating them without downtime: :func:`generate_key` and :class:`KeyRotation`.

Rules:

1. A new key's kid is ``<agency>-<use>-<yyyymmdd of nbf, UTC>-<4 hex>``, the hex being the first
   two bytes of SHA-256 of its raw public key (a short fingerprint). ``nbf`` is ``now`` (whole
   seconds) plus an optional activation delay; ``exp`` is ``nbf`` plus the lifetime (default 365
   days).
2. Randomness is injectable: pass ``seed`` (the raw private bytes, see
   :mod:`hub.crypto._primitives`) for a deterministic key; without one, ``os.urandom``.
3. ``rotate`` adds a new key of the same use (and, unless told otherwise, the same algorithm as
   the newest usable one) and shortens every other usable key of that use to expire at the new
   key's ``nbf`` plus the overlap (default 7 days), unless it already expires sooner. During
   the overlap old kids still verify and open; new signatures and seals use the new kid.
4. ``retire`` sets ``retired = now``: from then on the key neither verifies nor opens. Keys are
   never deleted, so a kid is never reused and the history stays auditable.
5. These are pure functions of documents: they return new documents and write nothing
   (:class:`hub.crypto.KeyStore` writes). Misuse (unknown kid, bad durations) is ``ValueError``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from hub.crypto._codec import timestamp
from hub.crypto._keys import PrivateKeyDocument, PrivateKeyRecord, newest_usable
from hub.crypto._primitives import (
    ALG_USE,
    ED25519,
    HPKE_HYBRID,
    HPKE_X25519,
    Algorithm,
    KeyUse,
    new_private_bytes,
    public_bytes_of,
)

__all__ = [
    "DEFAULT_LIFETIME",
    "DEFAULT_OVERLAP",
    "KeyRotation",
    "generate_document",
    "generate_key",
]

DEFAULT_LIFETIME: Final = timedelta(days=365)
DEFAULT_OVERLAP: Final = timedelta(days=7)
_ATTEMPTS: Final = 16


def _seconds(duration: timedelta, name: str) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"{name} must be a timedelta")
    if duration < timedelta(0):
        raise ValueError(f"{name} must not be negative")
    return int(duration.total_seconds())


def generate_key(
    agency: str,
    alg: Algorithm,
    now: datetime,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    activate_after: timedelta = timedelta(0),
    seed: bytes | None = None,
) -> PrivateKeyRecord:
    """A new private key record of ``alg`` for ``agency``, valid from now (plus the delay)."""
    if alg not in ALG_USE:
        raise ValueError(f"unknown algorithm {alg!r}")
    if _seconds(lifetime, "lifetime") <= 0:
        raise ValueError("lifetime must be positive")
    nbf = int(timestamp(now)) + _seconds(activate_after, "activate_after")
    private = new_private_bytes(alg, seed)
    fingerprint = hashlib.sha256(public_bytes_of(alg, private)).hexdigest()[:4]
    day = datetime.fromtimestamp(nbf, tz=UTC).strftime("%Y%m%d")
    kid = f"{agency}-{ALG_USE[alg]}-{day}-{fingerprint}"
    return PrivateKeyRecord.create(
        kid=kid, alg=alg, private=private, nbf=nbf, exp=nbf + _seconds(lifetime, "lifetime")
    )


def generate_document(
    agency: str,
    now: datetime,
    *,
    pq: bool = False,
    lifetime: timedelta = DEFAULT_LIFETIME,
    sig_seed: bytes | None = None,
    enc_seed: bytes | None = None,
) -> PrivateKeyDocument:
    """A first private document: one signing and one encryption key (hybrid if ``pq``)."""
    enc_alg: Algorithm = HPKE_HYBRID if pq else HPKE_X25519
    keys = (
        generate_key(agency, ED25519, now, lifetime=lifetime, seed=sig_seed),
        generate_key(agency, enc_alg, now, lifetime=lifetime, seed=enc_seed),
    )
    return PrivateKeyDocument(agency=agency, keys=keys)


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """Rotation policy: how long old keys overlap new ones and how long new keys live."""

    overlap: timedelta = DEFAULT_OVERLAP
    lifetime: timedelta = DEFAULT_LIFETIME

    def __post_init__(self) -> None:
        _seconds(self.overlap, "overlap")
        if _seconds(self.lifetime, "lifetime") <= _seconds(self.overlap, "overlap"):
            raise ValueError("lifetime must be longer than the overlap")

    def rotate(
        self,
        document: PrivateKeyDocument,
        use: KeyUse,
        now: datetime,
        *,
        alg: Algorithm | None = None,
        activate_after: timedelta = timedelta(0),
        seed: bytes | None = None,
    ) -> tuple[PrivateKeyDocument, PrivateKeyRecord]:
        """Add a new ``use`` key and shorten the others (rule 3); returns the document and key."""
        seconds = timestamp(now)
        current = newest_usable(document.keys, use, seconds)
        chosen: Algorithm = alg or (
            current.alg if current else (ED25519 if use == "sig" else HPKE_X25519)
        )
        if ALG_USE.get(chosen) != use:
            raise ValueError(f"{chosen} is not a {use!r} algorithm")
        kids = {key.kid for key in document.keys}
        for _ in range(_ATTEMPTS):
            new = generate_key(
                document.agency,
                chosen,
                now,
                lifetime=self.lifetime,
                activate_after=activate_after,
                seed=seed,
            )
            if new.kid not in kids:
                break
            if seed is not None:
                raise ValueError(f"seed gives kid {new.kid}, which the document already has")
        else:  # pragma: no cover - 16 fingerprint collisions on one day
            raise ValueError("could not find a fresh kid")
        end_of_overlap = new.nbf + _seconds(self.overlap, "overlap")
        keys = tuple(
            key.model_copy(update={"exp": min(key.exp, max(end_of_overlap, key.nbf + 1))})
            if key.use == use and key.retired is None and key.exp > seconds
            else key
            for key in document.keys
        )
        return document.model_copy(update={"keys": (*keys, new)}), new

    def retire(self, document: PrivateKeyDocument, kid: str, now: datetime) -> PrivateKeyDocument:
        """Mark ``kid`` retired at ``now``; it no longer verifies or opens."""
        if kid not in {key.kid for key in document.keys}:
            raise ValueError(f"{document.agency} has no key {kid!r}")
        retired_at = int(timestamp(now))
        keys = tuple(
            key.model_copy(update={"retired": min(key.retired or retired_at, retired_at)})
            if key.kid == kid
            else key
            for key in document.keys
        )
        return document.model_copy(update={"keys": keys})
