"""The recipes: sign, verify, seal, open. The rest of the hub calls these and nothing lower.

Rules:

1. ``sign`` uses the newest usable signing key of the ring; ``verify`` accepts any usable key of
   the named agency, by kid (so signatures made before a rotation verify until the old key's
   ``exp``).
2. ``seal`` encrypts to the newest usable encryption key of the recipient; ``open_sealed``
   accepts any usable key of ours, by kid.
3. HPKE ``info`` binds the recipient and the message id::

       info = b"sehub/v1" 0x1F utf8(recipient_agency) 0x1F utf8(message_id)

   Both are header text (no control characters), so ``info`` is unambiguous. A sealed view
   replayed to another agency or under another message id fails to open.
4. The envelope's ``suite`` must be the ``alg`` of the key its kid names (``suite_mismatch``);
   the kid must belong to the agency (``kid_agency_mismatch``).
5. Every failure on peer input is ``InvalidMessage``; wrong argument types or a ring used for
   another agency are ``TypeError``/``ValueError``.
6. Time is a parameter (an aware datetime); nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.exceptions import InvalidSignature

from hub._exceptions import InvalidMessage
from hub.crypto._codec import is_header_text, require_header_text
from hub.crypto._primitives import hpke_open, hpke_seal
from hub.crypto._registry import KeyRegistry, KeyRing

__all__ = [
    "INFO_PREFIX",
    "Sealed",
    "Signature",
    "hpke_info",
    "open_sealed",
    "seal",
    "sign",
    "verify",
]

INFO_PREFIX: Final = b"sehub/v1"
_SEPARATOR: Final = b"\x1f"
_SIGNATURE_BYTES: Final = 64


@dataclass(frozen=True, slots=True)
class Signature:
    """An Ed25519 signature and the kid of the key that made it."""

    kid: str
    value: bytes


@dataclass(frozen=True, slots=True)
class Sealed:
    """An HPKE ciphertext (``enc || ct``), the recipient's kid and the suite used."""

    kid: str
    suite: str
    ciphertext: bytes


def _require_bytes(name: str, value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    return value


def hpke_info(recipient_agency: str, message_id: str) -> bytes:
    """The HPKE ``info`` string of rule 3."""
    return _SEPARATOR.join(
        (INFO_PREFIX, recipient_agency.encode("utf-8"), message_id.encode("utf-8"))
    )


def sign(ring: KeyRing, data: bytes, now: datetime) -> Signature:
    """Sign ``data`` with the ring's newest usable Ed25519 key."""
    _require_bytes("data", data)
    key = ring.signing_key(now)
    return Signature(key.kid, key.key.sign(data))


def verify(
    registry: KeyRegistry, agency: str, signature: Signature, data: bytes, now: datetime
) -> None:
    """Check that ``agency`` signed ``data``; raise ``InvalidMessage`` if not."""
    _require_bytes("data", data)
    public = registry.signing_key(agency, signature.kid, now)
    if not isinstance(signature.value, bytes) or len(signature.value) != _SIGNATURE_BYTES:
        raise InvalidMessage("bad_signature", kid=signature.kid)
    try:
        public.verify(signature.value, data)
    except InvalidSignature:
        raise InvalidMessage("bad_signature", kid=signature.kid) from None


def seal(
    registry: KeyRegistry,
    recipient_agency: str,
    plaintext: bytes,
    *,
    message_id: str,
    now: datetime,
) -> Sealed:
    """Encrypt ``plaintext`` to ``recipient_agency``'s newest key, bound to ``message_id``."""
    require_header_text("recipient_agency", recipient_agency)
    require_header_text("message_id", message_id)
    _require_bytes("plaintext", plaintext)
    key = registry.encryption_key_for(recipient_agency, now)
    info = hpke_info(recipient_agency, message_id)
    return Sealed(key.kid, key.alg, hpke_seal(key.alg, key.key, plaintext, info))


def open_sealed(
    ring: KeyRing,
    recipient_agency: str,
    sealed: Sealed,
    *,
    message_id: str,
    now: datetime,
) -> bytes:
    """Decrypt what was sealed to us under ``message_id``; raise ``InvalidMessage`` if not."""
    require_header_text("recipient_agency", recipient_agency)
    if ring.agency != recipient_agency:
        raise ValueError(f"a ring of {ring.agency!r} cannot open for {recipient_agency!r}")
    if not isinstance(message_id, str) or not isinstance(sealed.suite, str):
        raise TypeError("message_id and suite must be str")
    if not is_header_text(message_id) or not is_header_text(sealed.suite):
        raise InvalidMessage("malformed", kid=sealed.kid)
    key = ring.decryption_key(sealed.kid, now)
    if sealed.suite != key.alg:
        raise InvalidMessage("suite_mismatch", kid=key.kid)
    ciphertext = _require_bytes("ciphertext", sealed.ciphertext)
    try:
        return hpke_open(key.alg, key.key, ciphertext, hpke_info(recipient_agency, message_id))
    except InvalidMessage as exc:
        exc.kid = key.kid
        raise
