"""The hub's one exception tree.

Whose fault it is decides the class; each class carries the HTTP status the edge maps it to, in
one place (:mod:`hub.api._problems`). Third-party errors (aiormq, aio-pika, SQLAlchemy) are
mapped where they are raised, with ``raise HubError(...) from exc``; aiohttp's own HTTP errors
(the router's 404 and 405, a 413 from reading the body) by the API's middleware.

::

    HubError
    ├── PeerError                 the caller's fault; do not retry unchanged
    │   ├── NotAuthenticated      401  no or unknown credential
    │   ├── Forbidden             403  authenticated, but not allowed (e.g. posting as another)
    │   ├── NotFound              404  no route for the path
    │   ├── MethodNotAllowed      405  the route does not take the method; carries Allow
    │   ├── PayloadTooLarge       413  body over the configured limit
    │   ├── UnsupportedMediaType  415  not application/json or application/cloudevents+json
    │   └── InvalidNotification   422  failed validation; carries the failing fields
    └── ServiceError              our side; safe to retry later
        ├── BrokerUnavailable     503  RabbitMQ unreachable or did not confirm
        ├── StoreUnavailable      503  the database is unreachable
        └── ConfigurationError    500  settings, agencies or protocol are unusable

Messages never contain personal data: they name fields and rules, not values.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BrokerUnavailable",
    "ConfigurationError",
    "FieldProblem",
    "Forbidden",
    "HubError",
    "InvalidNotification",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PeerError",
    "ServiceError",
    "StoreUnavailable",
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
    status_hint = 401
    title = "Not authenticated"


class Forbidden(PeerError):
    status_hint = 403
    title = "Forbidden"


class NotFound(PeerError):
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
    status_hint = 413
    title = "Payload too large"


class UnsupportedMediaType(PeerError):
    status_hint = 415
    title = "Unsupported media type"


class InvalidNotification(PeerError):
    """Validation failed; ``problems`` names every failing field and the rule it broke."""

    status_hint = 422
    title = "Invalid notification"

    def __init__(
        self,
        detail: str,
        problems: tuple[FieldProblem, ...],
        *,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(detail, correlation_id=correlation_id)
        self.problems = problems


class ServiceError(HubError):
    """Something on our side failed; the caller may retry later."""

    status_hint = 503
    title = "Service unavailable"


class BrokerUnavailable(ServiceError):
    title = "Message broker unavailable"


class StoreUnavailable(ServiceError):
    title = "Audit store unavailable"


class ConfigurationError(ServiceError):
    status_hint = 500
    title = "Configuration error"
