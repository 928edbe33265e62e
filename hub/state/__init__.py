"""Routing state (active out-of-area placements) and de-duplication, keyed by pseudonyms."""

from hub.state._store import SqlRoutingStore, StateChange

__all__ = ["SqlRoutingStore", "StateChange"]
