"""The safeguarding information-sharing hub.

The flow, and where each part lives::

    hub.api (HTTP)  ->  hub.intake (adapters map native records; sign, seal, confirmed
    publish)  ->  hub.routing (consume; hub.sharing.decide, the pure protocol decision; seal
    per recipient)  ->  hub.delivery (one queue per agency)  ->  hub.subscriber ;
    every step is an hub.audit record, kept by hub.stores in the tables of hub.db

The README's package map says which part may import which; docs/architecture.md follows one
notification through them.

This package re-exports only the exception tree and settings, so importing it stays cheap and
free of I/O libraries; import the parts from their subpackages.
"""

from hub._exceptions import (
    AgencyKeyNotHeld,
    AuditLogTampered,
    BrokerUnavailable,
    ConfigurationError,
    Conflict,
    FieldProblem,
    Forbidden,
    HubError,
    InvalidInput,
    InvalidMessage,
    InvalidNotification,
    InvalidQuery,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PeerError,
    RequestNotVerified,
    ServiceError,
    StoreUnavailable,
    TooManyRequests,
    UnreadableDelivery,
    UnsupportedMediaType,
)
from hub.settings import Settings

__all__ = [
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
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PeerError",
    "RequestNotVerified",
    "ServiceError",
    "Settings",
    "StoreUnavailable",
    "TooManyRequests",
    "UnreadableDelivery",
    "UnsupportedMediaType",
]
