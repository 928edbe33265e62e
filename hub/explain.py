"""Explain a sharing decision to the people who sign the protocol off.

:func:`explain` runs the real :func:`hub.sharing.decide` on a notification and describes what it
decided: for each recipient, the rule, lawful basis, purpose, deadline and retention, and which
data items (leaf paths) are shared and which withheld; and every recipient or rule that was not
used, with the reason. The same document is printed by ``hub protocol explain`` and returned by
``POST /v1/admin/protocol/explain``.

Rules:

1. Pure: no I/O, nothing published, nothing stored; the decision is the router's own function.
2. The document names paths, never values: it is safe to paste into a review, whatever the
   notification held. Only the notification's id, type, publisher and time are echoed.
3. An out-of-area placement can be simulated (:func:`simulated_placement`), so a reviewer can see
   cross-border routing for any notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.sharing import ActivePlacement, Decision, RoutingState, decide, facts_for
from hub.sharing._facts import RISK_ORDER
from protocols import Protocol, Rule
from schemas import Notification, agency_id_from_source

__all__ = [
    "DEFAULT_PLACING_LA",
    "PLACED_IN_PATTERN",
    "SIMULATED_EPISODE",
    "ExplainedFacts",
    "ExplainedNotification",
    "ExplainedProtocol",
    "ExplainedRecipient",
    "ExplainedRefusal",
    "Explanation",
    "SimulatedPlacement",
    "explain",
    "simulated_placement",
]

DEFAULT_PLACING_LA = "929"  # Northumberland, when the notification names no responsible LA
SIMULATED_EPISODE = "simulated-placement"
PLACED_IN_PATTERN = r"^([0-9]{3}|SCO|WAL|NIR|NUK)$"
_RISK_NAMES = {level: name for name, level in RISK_ORDER.items()}


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExplainedProtocol(_Document):
    """Which protocol decided."""

    id: str
    version: str = Field(description="The declared version.")
    version_tag: str = Field(description="Declared version + file hash, as audited.")


class ExplainedNotification(_Document):
    """Which notification was explained (its id and type only: never its contents)."""

    id: str
    type: str
    publisher: str
    time: datetime


class SimulatedPlacement(_Document):
    """An active out-of-area placement the decision assumed for the subject."""

    episode: str
    placing_la: str
    host_la: str


class ExplainedFacts(_Document):
    """What the rules' conditions were judged on; null means not known (never matches)."""

    child: bool | None
    adult: bool | None
    looked_after: bool | None
    se_marker: bool | None
    cross_border: bool
    risk: str | None
    responsible_la: str | None
    host_la: str | None


class ExplainedRecipient(_Document):
    """One agency told, why, and what it sees."""

    agency: str
    agency_name: str
    rule: str
    rule_description: str
    lawful_basis: list[str]
    purpose: str
    acknowledge_within: str | None
    acknowledge_by: datetime | None = Field(description="Counted from evaluated_at.")
    retention: str
    fields_shared: list[str] = Field(description="Leaf paths present in the recipient's view.")
    fields_withheld: list[str] = Field(description="Leaf paths present but not shared.")


class ExplainedRefusal(_Document):
    """A rule or recipient not used, and why (``agency`` null: no one in particular)."""

    agency: str | None
    rule: str | None
    reason: str


class Explanation(_Document):
    """What the protocol decides for one notification."""

    protocol: ExplainedProtocol
    notification: ExplainedNotification
    evaluated_at: datetime
    active_placements: list[SimulatedPlacement]
    facts: ExplainedFacts
    recipients: list[ExplainedRecipient]
    not_shared: list[ExplainedRefusal]


def simulated_placement(
    notification: Notification, placed_in: str, *, default_placing_la: str = DEFAULT_PLACING_LA
) -> RoutingState:
    """Routing state with the subject placed out of area in ``placed_in``.

    The placing LA is the notification's responsible (or placing) LA, else ``default_placing_la``.
    """
    data = notification.data
    placing_la = (
        getattr(data, "responsible_la", None)
        or getattr(data, "placing_la", None)
        or default_placing_la
    )
    return RoutingState(placements=(ActivePlacement(SIMULATED_EPISODE, placing_la, placed_in),))


def _leaves(node: Mapping[str, Any], prefix: str = "") -> list[str]:
    leaves: list[str] = []
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and value:
            leaves.extend(_leaves(value, path))
        else:
            leaves.append(path)
    return leaves


def _facts(notification: Notification, state: RoutingState) -> ExplainedFacts:
    event = notification.model_dump(mode="json", exclude_none=True)
    facts = facts_for(notification, event, state)
    return ExplainedFacts(
        child=facts.child,
        adult=facts.adult,
        looked_after=facts.looked_after,
        se_marker=facts.se_marker,
        cross_border=facts.cross_border,
        risk=None if facts.risk is None else _RISK_NAMES.get(facts.risk),
        responsible_la=facts.responsible_la,
        host_la=facts.host_la,
    )


def _recipients(decision: Decision, protocol: Protocol) -> list[ExplainedRecipient]:
    rules: dict[str, Rule] = {rule.id: rule for rule in protocol.rules}
    names = {party.id: party.name for party in protocol.parties}
    explained = []
    for view in decision.views:
        rule = rules[view.receipt.rule_id]
        explained.append(
            ExplainedRecipient(
                agency=view.recipient,
                agency_name=names.get(view.recipient, view.recipient),
                rule=rule.id,
                rule_description=rule.description,
                lawful_basis=list(view.receipt.lawful_basis),
                purpose=view.receipt.purpose,
                acknowledge_within=rule.acknowledge_within,
                acknowledge_by=view.receipt.acknowledge_by,
                retention=rule.retention,
                fields_shared=sorted(_leaves(view.event)),
                fields_withheld=list(view.receipt.withheld),
            )
        )
    return explained


def explain(
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState = RoutingState(),  # noqa: B008  # immutable, shared empty state
) -> dict[str, Any]:
    """The explanation of ``decide(notification, protocol, now, state)``, as JSON-ready data."""
    decision = decide(notification, protocol, now, state)
    explanation = Explanation(
        protocol=ExplainedProtocol(
            id=protocol.id, version=protocol.version, version_tag=protocol.version_tag
        ),
        notification=ExplainedNotification(
            id=notification.id,
            type=notification.type,
            publisher=agency_id_from_source(notification.source),
            time=notification.time,
        ),
        evaluated_at=now,
        active_placements=[
            SimulatedPlacement(episode=p.episode, placing_la=p.placing_la, host_la=p.host_la)
            for p in state.placements
        ],
        facts=_facts(notification, state),
        recipients=_recipients(decision, protocol),
        not_shared=[
            ExplainedRefusal(agency=r.recipient, rule=r.rule_id, reason=r.reason)
            for r in decision.refusals
        ],
    )
    return explanation.model_dump(mode="json")
