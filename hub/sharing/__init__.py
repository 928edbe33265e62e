"""The sharing decision: pure, table-driven, no I/O. See the rules atop :mod:`._decide`."""

from hub.sharing._decide import ALWAYS_SHARED, Decision, Receipt, Refusal, View, decide
from hub.sharing._facts import Facts, facts_for
from hub.sharing._state import ActivePlacement, PlacementChange, RoutingState, placement_change

__all__ = [
    "ALWAYS_SHARED",
    "ActivePlacement",
    "Decision",
    "Facts",
    "PlacementChange",
    "Receipt",
    "Refusal",
    "RoutingState",
    "View",
    "decide",
    "facts_for",
    "placement_change",
]
