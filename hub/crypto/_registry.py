"""Who holds which key: the public :class:`KeyRegistry` and one party's private :class:`KeyRing`.

Rules:

1. The registry holds every agency's public document (the hub's under agency ``"hub"``) and is
   loaded once at start; key objects are parsed once and reused.
2. Looking up a kid a peer named checks, in this order, and raises ``InvalidMessage`` with the
   first reason that applies: the kid is well-formed header text (``malformed``), the agency is
   known (``unknown_agency``), the kid's agency part is the agency named
   (``kid_agency_mismatch``), the agency has that kid (``unknown_kid``), the key has the use
   asked for (``wrong_key_use``), and the key is usable at ``now`` (``retired_key``,
   ``expired_key``, ``key_not_yet_valid``).
3. Choosing *our* key for a new signature or seal takes the newest usable key; having none is
   our configuration's fault: :class:`hub.ConfigurationError`.
4. A ring belongs to one agency and never leaves its process; ``repr`` shows kids only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric import ed25519

from hub._exceptions import ConfigurationError, InvalidMessage, NoUsableKey
from hub.crypto._codec import is_header_text, timestamp
from hub.crypto._keys import (
    KeyDocument,
    KeyRecord,
    PrivateKeyDocument,
    PrivateKeyRecord,
    kid_agency,
    newest_usable,
)
from hub.crypto._primitives import (
    ED25519,
    DecryptionKeyObject,
    EncryptionKeyObject,
    KeyUse,
    load_decryption_key,
    load_encryption_key,
    load_signing_key,
    load_verifying_key,
)
from hub.crypto._store import KeyStore

__all__ = ["DecryptionKey", "EncryptionKey", "KeyRegistry", "KeyRing", "SigningKey"]

_R = TypeVar("_R", bound=KeyRecord)


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    """A recipient's public HPKE key, chosen for a new seal."""

    kid: str
    alg: str
    key: EncryptionKeyObject = field(repr=False)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """Our Ed25519 private key, chosen for a new signature."""

    kid: str
    key: ed25519.Ed25519PrivateKey = field(repr=False)


@dataclass(frozen=True, slots=True)
class DecryptionKey:
    """Our HPKE private key for a kid a peer named."""

    kid: str
    alg: str
    key: DecryptionKeyObject = field(repr=False)


def _resolve(agency: str, kid: object, use: KeyUse, keys: Mapping[str, _R], now: float) -> _R:
    if not isinstance(kid, str) or not is_header_text(kid):
        raise InvalidMessage("malformed")
    owner = kid_agency(kid)
    if owner is not None and owner != agency:
        raise InvalidMessage("kid_agency_mismatch", kid=kid)
    record = keys.get(kid)
    if record is None:
        raise InvalidMessage("unknown_kid", kid=kid)
    if record.use != use:
        raise InvalidMessage("wrong_key_use", kid=kid)
    problem = record.problem(now)
    if problem is not None:
        raise InvalidMessage(problem, kid=kid)
    return record


class KeyRegistry:
    """Every agency's public keys. ``KeyRegistry.load(settings.keys_dir)`` at start."""

    def __init__(self, documents: Iterable[KeyDocument]) -> None:
        self._records: dict[str, dict[str, KeyRecord]] = {}
        self._ordered: dict[str, tuple[KeyRecord, ...]] = {}
        self._verifying: dict[str, ed25519.Ed25519PublicKey] = {}
        self._encrypting: dict[str, EncryptionKeyObject] = {}
        for document in documents:
            if document.agency in self._records:
                raise ValueError(f"two key documents for agency {document.agency!r}")
            self._records[document.agency] = {key.kid: key for key in document.keys}
            self._ordered[document.agency] = document.keys
            for key in document.keys:
                if key.alg == ED25519:
                    self._verifying[key.kid] = load_verifying_key(key.public_bytes)
                else:
                    self._encrypting[key.kid] = load_encryption_key(key.alg, key.public_bytes)

    @classmethod
    def load(cls, keys_dir: Path) -> KeyRegistry:
        """Every ``<keys_dir>/public/<agency>.jwks.json``."""
        return cls(KeyStore(keys_dir).public_documents())

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(sorted(self._records))

    def __contains__(self, agency: object) -> bool:
        return agency in self._records

    def keys(self, agency: str) -> tuple[KeyRecord, ...]:
        """An agency's key records, in document order (empty if unknown)."""
        return self._ordered.get(agency, ())

    def _lookup(self, agency: str, kid: object, use: KeyUse, now: datetime) -> KeyRecord:
        seconds = timestamp(now)
        records = self._records.get(agency)
        if records is None:
            raise InvalidMessage("unknown_agency", kid=kid if isinstance(kid, str) else None)
        return _resolve(agency, kid, use, records, seconds)

    def signing_key(self, agency: str, kid: str, now: datetime) -> ed25519.Ed25519PublicKey:
        """The public key to verify ``agency``'s signature made with ``kid``; rule 2."""
        return self._verifying[self._lookup(agency, kid, "sig", now).kid]

    def encryption_key(self, agency: str, kid: str, now: datetime) -> EncryptionKey:
        """``agency``'s HPKE public key ``kid``, checked as in rule 2."""
        record = self._lookup(agency, kid, "enc", now)
        return EncryptionKey(record.kid, record.alg, self._encrypting[record.kid])

    def encryption_key_for(self, agency: str, now: datetime) -> EncryptionKey:
        """The newest usable HPKE key of ``agency``, to seal to it now."""
        record = newest_usable(self.keys(agency), "enc", timestamp(now))
        if record is None:
            raise NoUsableKey(f"no usable encryption key for agency {agency!r}")
        return EncryptionKey(record.kid, record.alg, self._encrypting[record.kid])


class KeyRing:
    """One party's private keys: sign and open as ``agency``. Load with ``KeyRing.load``."""

    def __init__(self, document: PrivateKeyDocument) -> None:
        self.agency = document.agency
        self._keys: tuple[PrivateKeyRecord, ...] = document.keys
        self._by_kid = {key.kid: key for key in document.keys}
        self._signing = {
            key.kid: load_signing_key(key.private_bytes) for key in self._keys if key.use == "sig"
        }
        self._decrypting = {
            key.kid: load_decryption_key(key.alg, key.private_bytes)
            for key in self._keys
            if key.use == "enc"
        }
        self._public = document.public()

    @classmethod
    def load(cls, keys_dir: Path, agency: str) -> KeyRing:
        """``<keys_dir>/private/<agency>.jwks.json``, which must be mode 0600."""
        return cls(KeyStore(keys_dir).read_private(agency))

    @property
    def public_document(self) -> KeyDocument:
        return self._public

    @property
    def kids(self) -> Sequence[str]:
        return tuple(self._by_kid)

    def signing_key(self, now: datetime) -> SigningKey:
        """The newest usable signing key, for a new signature."""
        record = newest_usable(self._keys, "sig", timestamp(now))
        if record is None:
            raise ConfigurationError(f"no usable signing key for agency {self.agency!r}")
        return SigningKey(record.kid, self._signing[record.kid])

    def decryption_key(self, kid: str, now: datetime) -> DecryptionKey:
        """Our private key ``kid``, if a usable encryption key of ours; rule 2."""
        record = _resolve(self.agency, kid, "enc", self._by_kid, timestamp(now))
        return DecryptionKey(record.kid, record.alg, self._decrypting[record.kid])

    def __repr__(self) -> str:
        return f"KeyRing(agency={self.agency!r}, kids={list(self._by_kid)!r})"
