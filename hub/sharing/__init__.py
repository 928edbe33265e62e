"""The sharing decision and its explanation: pure, table-driven, no I/O.

See the rules atop :mod:`._decide` (deciding), :mod:`._views` (minimised views and receipts),
:mod:`._ladders` (escalation steps planned per view), :mod:`._clocks` (statutory clocks started
and stopped, and their alerts) and :mod:`._explain` (rendering a decision).
"""

from hub.sharing._clocks import CLOCK_FIRED_TYPE, HUB_SOURCE, ClockStart, ClockStop, EpisodeRef
from hub.sharing._decide import Decision, decide
from hub.sharing._explain import (
    DEFAULT_PLACING_LA,
    SIMULATED_EPISODE,
    ExplainedFacts,
    ExplainedNotification,
    ExplainedProtocol,
    ExplainedRecipient,
    ExplainedRefusal,
    Explanation,
    SimulatedPlacement,
    explain,
    simulate,
    simulated_placement,
)
from hub.sharing._facts import Facts, facts_for
from hub.sharing._routing_state import (
    ActivePlacement,
    PlacementChange,
    RoutingState,
    placement_change,
)
from hub.sharing._views import ALWAYS_SHARED, EscalationStep, Receipt, Refusal, View, leaf_paths

__all__ = [
    "ALWAYS_SHARED",
    "CLOCK_FIRED_TYPE",
    "DEFAULT_PLACING_LA",
    "HUB_SOURCE",
    "SIMULATED_EPISODE",
    "ActivePlacement",
    "ClockStart",
    "ClockStop",
    "Decision",
    "EpisodeRef",
    "EscalationStep",
    "ExplainedFacts",
    "ExplainedNotification",
    "ExplainedProtocol",
    "ExplainedRecipient",
    "ExplainedRefusal",
    "Explanation",
    "Facts",
    "PlacementChange",
    "Receipt",
    "Refusal",
    "RoutingState",
    "SimulatedPlacement",
    "View",
    "decide",
    "explain",
    "facts_for",
    "leaf_paths",
    "placement_change",
    "simulate",
    "simulated_placement",
]
