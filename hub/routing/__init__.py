"""The routing core: the resolver that shards ingress by subject, the routing use case, the
consumer that applies it to each shard, and the audit of dead letters."""

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
from hub.routing._resolver import BARRIER_POLL_SECONDS, Resolver, ShardPublisher
from hub.routing._router import Router
from hub.routing._shards import (
    BARRIER_TYPE,
    STANDBY_DELAY_SECONDS,
    ShardConsumer,
    ShardSlot,
    consuming_ingress,
    shard_of,
)

__all__ = [
    "BARRIER_POLL_SECONDS",
    "BARRIER_TYPE",
    "DEAD_LETTER_PREFETCH",
    "ESCALATION_TYPE",
    "KEY_PATIENCE_SECONDS",
    "MAX_BACKOFF_SECONDS",
    "STANDBY_DELAY_SECONDS",
    "TRANSIENT_KEY_REASONS",
    "DeadLetterAuditor",
    "Resolver",
    "Router",
    "RoutingConsumer",
    "ShardConsumer",
    "ShardPublisher",
    "ShardSlot",
    "backoff_seconds",
    "consuming_ingress",
    "dead_lettered_entry",
    "requeued_entry",
    "shard_of",
]
