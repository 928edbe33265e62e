"""The routing core: the routing use case, and the consumer that applies it to ingress."""

from hub.routing._consumer import (
    KEY_PATIENCE_SECONDS,
    MAX_BACKOFF_SECONDS,
    TRANSIENT_KEY_REASONS,
    RoutingConsumer,
    backoff_seconds,
)
from hub.routing._copies import ESCALATION_TYPE
from hub.routing._router import Router

__all__ = [
    "ESCALATION_TYPE",
    "KEY_PATIENCE_SECONDS",
    "MAX_BACKOFF_SECONDS",
    "TRANSIENT_KEY_REASONS",
    "Router",
    "RoutingConsumer",
    "backoff_seconds",
]
