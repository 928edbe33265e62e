"""The hub's one exception tree.

Whose fault it is decides the class; each class carries the HTTP status the edge maps it to, in
one place (:mod:`hub.api._problems`). Third-party errors (aiormq, aio-pika, SQLAlchemy) are
mapped where they are raised, with ``raise HubError(...) from exc``; aiohttp's own HTTP errors
(the router's 404 and 405, a 413 from reading the body) by the API's middleware.

::

    HubError
    ├── PeerError                 400  the peer's fault; do not retry unchanged
    │   ├── NotAuthenticated      401  no or unknown credential
    │   │   └── RequestNotVerified 401  a request signature failed; opaque, .check for audit
    │   ├── Forbidden             403  authenticated, but not allowed (e.g. posting as another)
    │   ├── NotFound              404  no route for the path
    │   ├── MethodNotAllowed      405  the route does not take the method; carries Allow
    │   ├── Conflict              409  the same source and id were accepted with other content
    │   │   └── AgencyKeyNotHeld  409  an opened download asked of a hub holding no key for it
    │   ├── PayloadTooLarge       413  body over the configured limit (the agency's own, if set)
    │   ├── UnsupportedMediaType  415  not application/json or application/cloudevents+json
    │   ├── TooManyRequests       429  over the request rate; carries Retry-After (seconds)
    │   ├── InvalidInput          422  failed validation; carries the failing fields, not values
    │   │   ├── InvalidNotification 422  a notification or native record failed validation
    │   │   └── InvalidQuery    422  an auditor's query failed validation
    │   ├── InvalidMessage        400  a sealed envelope failed a check; opaque, .reason for audit
    │   └── UnreadableDelivery    400  a subscriber's queue held a message that is no delivery
    └── ServiceError              503  our side; safe to retry later
        ├── BrokerUnavailable     503  RabbitMQ unreachable or did not confirm
        ├── StoreUnavailable      503  the database is unreachable
        ├── AuditLogTampered      500  the audit chain does not verify; nothing is signed
        └── ConfigurationError    500  settings, agencies, protocol or our own keys are unusable
            └── NoUsableKey       500  an agency has no key usable for this now (e.g. retired)

Outside the tree, on purpose: ``ValueError``, ``TypeError`` and ``RuntimeError`` for programmer
misuse (a naive datetime, ``str`` for ``bytes``, a ring used for another agency, a subscriber
used outside ``async with``); ``protocols.ProtocolError``
for a protocol file that does not load (the hub maps it to ``ConfigurationError``); and the
adapters' ``MappingFailed`` (mapped to ``InvalidNotification`` at the intake edge).

Messages never contain personal data: they name fields and rules, not values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = [
    "OPAQUE_MESSAGE",
    "REASONS",
    "REQUEST_NOT_VERIFIED",
    "AgencyKeyNotHeld",
    "AuditLogTampered",
    "BrokerUnavailable",
    "ConfigurationError",
    "Conflict",
    "FieldProblem",
    "Forbidden",
    "HubError",
    "InvalidInput",
    "InvalidMessage",
    "InvalidNotification",
    "InvalidQuery",
    "MethodNotAllowed",
    "NoUsableKey",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PeerError",
    "Reason",
    "RequestNotVerified",
    "ServiceError",
    "StoreUnavailable",
    "TooManyRequests",
    "UnreadableDelivery",
    "UnsupportedMediaType",
]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One failing field: where it is (dotted path), which rule it broke, and a safe message."""

    field: str
    rule: str
    message: str


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    status_hint: int = 500
    title: str = "Internal error"

    def __init__(self, detail: str, *, correlation_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.correlation_id = correlation_id


class PeerError(HubError):
    """The caller sent something we will not accept."""

    status_hint = 400
    title = "Bad request"


class NotAuthenticated(PeerError):
    """No credential, or one we do not know."""

    status_hint = 401
    title = "Not authenticated"


REQUEST_NOT_VERIFIED: Final = "the request signature does not verify"


class RequestNotVerified(NotAuthenticated):
    """An HTTP message signature (RFC 9421) failed: ``str()`` is always the same opaque text.

    ``check`` names the check that failed (``missing``, ``malformed``, ``not_covered``,
    ``stale``, ``bad_nonce``, a key reason such as ``unknown_kid``, ``bad_signature``,
    ``bad_digest``, ``replayed``): for the audit log, never sent back as a hint.
    """

    def __init__(self, check: str, *, correlation_id: str | None = None) -> None:
        super().__init__(REQUEST_NOT_VERIFIED, correlation_id=correlation_id)
        self.check = check

    def __repr__(self) -> str:
        return f"RequestNotVerified(check={self.check!r})"


class Forbidden(PeerError):
    """Authenticated, but not allowed to do this (e.g. posting as another agency)."""

    status_hint = 403
    title = "Forbidden"


class Conflict(PeerError):
    """The same ``source`` + ``id`` was accepted before with other content; nothing changed."""

    status_hint = 409
    title = "Conflict"


class AgencyKeyNotHeld(Conflict):
    """An inbox download asked to be opened, but this process holds no private key of the
    agency (only an agency's own edge does): download it sealed and open it there."""

    title = "No key to open this delivery"


class NotFound(PeerError):
    """No route for the path (which is never echoed)."""

    status_hint = 404
    title = "Not found"


class MethodNotAllowed(PeerError):
    """The route exists but does not take the method; ``allowed`` is what it does take."""

    status_hint = 405
    title = "Method not allowed"

    def __init__(
        self,
        detail: str,
        allowed: tuple[str, ...],
        *,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(detail, correlation_id=correlation_id)
        self.allowed = allowed


class PayloadTooLarge(PeerError):
    """The body is over the configured limit."""

    status_hint = 413
    title = "Payload too large"


class UnsupportedMediaType(PeerError):
    """The body is not in a media type this endpoint reads."""

    status_hint = 415
    title = "Unsupported media type"


class TooManyRequests(PeerError):
    """Over the caller's request rate; ``retry_after`` is the whole seconds until one is allowed."""

    status_hint = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int, *, correlation_id: str | None = None) -> None:
        super().__init__(detail, correlation_id=correlation_id)
        self.retry_after = retry_after


class InvalidInput(PeerError):
    """Validation failed; ``problems`` names every failing field and the rule it broke."""

    status_hint = 422
    title = "Invalid input"

    def __init__(
        self,
        detail: str,
        problems: tuple[FieldProblem, ...],
        *,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(detail, correlation_id=correlation_id)
        self.problems = problems


class InvalidNotification(InvalidInput):
    """A notification or native record failed validation; ``problems`` names each field."""

    title = "Invalid notification"


class InvalidQuery(InvalidInput):
    """An auditor's query failed validation; ``problems`` names each field, never its value."""

    title = "Invalid query"


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
    """A peer's sealed message failed a check: ``str()`` is opaque, ``reason``/``kid`` for audit.

    Whatever the cause, the text is the same, so nothing about *why* leaks to the peer. The
    cause is one short code from :data:`REASONS` and the key id involved, if any; neither ever
    holds payload. Example::

        try:
            contents = keys.open_delivery("northumbria-police", body, now=now)
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


class UnreadableDelivery(PeerError):
    """A message on a subscriber's queue is not a valid delivery; it has been dead-lettered."""

    title = "Unreadable delivery"


class ServiceError(HubError):
    """Something on our side failed; the caller may retry later."""

    status_hint = 503
    title = "Service unavailable"


class BrokerUnavailable(ServiceError):
    """RabbitMQ is unreachable, or did not confirm a publish."""

    title = "Message broker unavailable"


class StoreUnavailable(ServiceError):
    """The database is unreachable, or a transaction did not commit."""

    title = "Database unavailable"


class AuditLogTampered(ServiceError):
    """The audit chain does not verify, so its head is not signed; ``detail`` says where."""

    status_hint = 500
    title = "Audit log does not verify"


class ConfigurationError(ServiceError):
    """Settings, the agency directory, the protocol or our own keys are unusable."""

    status_hint = 500
    title = "Configuration error"


class NoUsableKey(ConfigurationError):
    """An agency has no key usable for this purpose now: none yet, or every one retired or
    expired. For a recipient, that recipient alone is refused; the rest are delivered."""
