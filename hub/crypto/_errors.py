"""The one error a peer's bad message raises: :class:`InvalidMessage`.

Rules:

1. Every failed check on something a peer sent (an envelope, a signature, a ciphertext, a kid)
   raises ``InvalidMessage``, whatever the cause. ``str(exc)`` is always the same opaque text,
   so nothing about *why* leaks to the peer through an error message.
2. The cause is kept for the caller's audit log: ``exc.reason`` is one short code from
   :data:`REASONS` and ``exc.kid`` the key id involved, if any. Neither ever holds payload.
3. Programmer misuse (a naive datetime, ``str`` where ``bytes`` belong, a ring used for another
   agency) raises ``ValueError`` or ``TypeError``; it is a bug, not a peer's fault.
4. A missing key of our own (no valid signing key in our ring, no valid encryption key for a
   recipient) is a :class:`hub.ConfigurationError`: our side, not the peer's.

Where it sits in the hub's tree (:mod:`hub._exceptions`)::

    HubError
    ├── PeerError
    │   └── InvalidMessage   400  failed verification or decryption; .reason, .kid
    └── ServiceError
        └── ConfigurationError   500  no usable key of our own, unreadable key files
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from hub._exceptions import PeerError

__all__ = ["OPAQUE_MESSAGE", "REASONS", "InvalidMessage", "Reason"]

OPAQUE_MESSAGE: Final = "invalid message"

Reason = Literal[
    "malformed",  # not JSON, wrong fields or types, bad base64url, bad header text
    "unsupported_version",  # the "v" tag is not one this code reads
    "unknown_agency",  # no key document for the named agency
    "unknown_kid",  # the agency has no key with that kid
    "kid_agency_mismatch",  # the kid belongs to another agency than the one named
    "wrong_key_use",  # a signing kid where an encryption kid belongs, or the reverse
    "suite_mismatch",  # the envelope's suite is not the algorithm of the key named
    "key_not_yet_valid",  # now < nbf
    "expired_key",  # now >= exp
    "retired_key",  # the key was retired at or before now
    "bad_signature",  # Ed25519 verification failed
    "wrong_recipient",  # a delivery addressed to another agency
    "decrypt_failed",  # HPKE open failed: wrong key, wrong info, or altered ciphertext
]

REASONS: Final[frozenset[str]] = frozenset(get_args(Reason))


class InvalidMessage(PeerError):
    """A peer's message failed a check. ``str()`` is opaque; ``reason`` and ``kid`` are for audit.

    Example::

        try:
            contents = open_delivery(ring, registry, "northumbria-police", body, now=now)
        except InvalidMessage as exc:
            audit(reason=exc.reason, kid=exc.kid)   # never str(exc) to the peer as a hint
    """

    status_hint = 400
    title = "Invalid message"

    def __init__(
        self, reason: Reason, *, kid: str | None = None, correlation_id: str | None = None
    ) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown InvalidMessage reason {reason!r}")
        super().__init__(OPAQUE_MESSAGE, correlation_id=correlation_id)
        self.reason: Reason = reason
        self.kid = kid

    def __repr__(self) -> str:
        return f"InvalidMessage(reason={self.reason!r}, kid={self.kid!r})"
