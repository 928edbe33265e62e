"""The sharing decision and its explanation: pure, table-driven, no I/O.

See the rules atop :mod:`._decide` (deciding), :mod:`._views` (minimised views and receipts),
:mod:`._rule_plan` (the rules of a notification, found by the protocol's index),
:mod:`._ladders` (escalation steps planned per view), :mod:`._clocks` (statutory clocks started
and stopped, and their alerts), :mod:`._routing_state` (what is remembered between
notifications), :mod:`._withdrawals` (a lowered risk told to all who heard of more) and
:mod:`._explain` (rendering a decision).
"""

from hub.sharing._clocks import CLOCK_FIRED_TYPE, HUB_SOURCE, ClockStart, ClockStop, EpisodeRef
from hub.sharing._decide import Decision, decide, decide_by_scan
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
from hub.sharing._facts import RISK_ORDER, Facts, facts_for
from hub.sharing._routing_state import (
    ActivePlacement,
    EpisodeChange,
    MissingEpisode,
    PlacementChange,
    RiskTold,
    RoutingState,
    about_an_episode,
    correlate_episode,
)
from hub.sharing._views import ALWAYS_SHARED, EscalationStep, Receipt, Refusal, View, leaf_paths

__all__ = [
    "ALWAYS_SHARED",
    "CLOCK_FIRED_TYPE",
    "DEFAULT_PLACING_LA",
    "HUB_SOURCE",
    "RISK_ORDER",
    "SIMULATED_EPISODE",
    "ActivePlacement",
    "ClockStart",
    "ClockStop",
    "Decision",
    "EpisodeChange",
    "EpisodeRef",
    "EscalationStep",
    "ExplainedFacts",
    "ExplainedNotification",
    "ExplainedProtocol",
    "ExplainedRecipient",
    "ExplainedRefusal",
    "Explanation",
    "Facts",
    "MissingEpisode",
    "PlacementChange",
    "Receipt",
    "Refusal",
    "RiskTold",
    "RoutingState",
    "SimulatedPlacement",
    "View",
    "about_an_episode",
    "correlate_episode",
    "decide",
    "decide_by_scan",
    "explain",
    "facts_for",
    "leaf_paths",
    "simulate",
    "simulated_placement",
]
