"""The routing core: the routing use case, the consumer that applies it to ingress, and the
audit of dead letters."""

from hub.routing._consumer import (
    KEY_PATIENCE_SECONDS,
    MAX_BACKOFF_SECONDS,
    TRANSIENT_KEY_REASONS,
    RoutingConsumer,
    backoff_seconds,
)
from hub.routing._copies import ESCALATION_TYPE
from hub.routing._dead_letters import (
    DEAD_LETTER_PREFETCH,
    DeadLetterAuditor,
    dead_lettered_entry,
    requeued_entry,
)
from hub.routing._router import Router

__all__ = [
    "DEAD_LETTER_PREFETCH",
    "ESCALATION_TYPE",
    "KEY_PATIENCE_SECONDS",
    "MAX_BACKOFF_SECONDS",
    "TRANSIENT_KEY_REASONS",
    "DeadLetterAuditor",
    "Router",
    "RoutingConsumer",
    "backoff_seconds",
    "dead_lettered_entry",
    "requeued_entry",
]
