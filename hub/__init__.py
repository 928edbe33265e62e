"""The safeguarding information-sharing hub.

The flow, and where each part lives::

    adapters/<agency>  ->  schemas (canonical CloudEvents)  ->  hub.intake (HTTP, confirmed
    publish)  ->  hub.routing (consume)  ->  hub.sharing.decide (pure protocol decision)  ->
    hub.delivery (one queue per agency)  ->  hub.subscriber  ;  every step -> hub.audit

This package re-exports only the exception tree and settings, so importing it stays cheap and
free of I/O libraries; import the parts from their subpackages.
"""

from hub._exceptions import (
    BrokerUnavailable,
    ConfigurationError,
    FieldProblem,
    Forbidden,
    HubError,
    InvalidMessage,
    InvalidNotification,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PeerError,
    ServiceError,
    StoreUnavailable,
    UnreadableDelivery,
    UnsupportedMediaType,
)
from hub.settings import Settings

__all__ = [
    "BrokerUnavailable",
    "ConfigurationError",
    "FieldProblem",
    "Forbidden",
    "HubError",
    "InvalidMessage",
    "InvalidNotification",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PeerError",
    "ServiceError",
    "Settings",
    "StoreUnavailable",
    "UnreadableDelivery",
    "UnsupportedMediaType",
]
