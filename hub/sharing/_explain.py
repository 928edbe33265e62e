"""Explain a sharing decision to the people who sign the protocol off.

:func:`explain` renders a :class:`~hub.sharing.Decision` that :func:`~hub.sharing.decide` made:
the facts it judged on, for each recipient the rule, lawful basis, purpose, deadline, escalation
steps and retention, and which data items (leaf paths) are shared and which withheld; the
statutory clocks started (with their due time and each alert, explained as a recipient is) and
stopped; and every recipient, rule, step or clock that was not used, with the reason. The same
document is printed by ``hub protocol explain`` and returned by
``POST /v1/admin/protocol/explain``.

Rules:

1. The explanation is the decision rendered. Nothing is computed here that the decision did not
   compute: facts, recipients, shared and withheld paths, deadlines, escalation steps and clock
   due times are read off it. The protocol is consulted only for the words around them (rule
   and clock descriptions, retention, names, the path an episode is named by).
2. Pure: no I/O, nothing published, nothing stored.
3. The document names paths, never values: it is safe to paste into a review, whatever the
   notification held. Only the notification's id, type, publisher and time are echoed, and the
   times the decision computed (deadlines, escalation and clock due times); never an episode id.
4. An out-of-area placement can be simulated (:func:`simulated_placement`), so a reviewer can see
   cross-border routing for any notification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.sharing._clocks import ClockStart, ClockStop
from hub.sharing._decide import Decision, decide
from hub.sharing._facts import RISK_ORDER, Facts, facts_for
from hub.sharing._routing_state import ActivePlacement, RiskTold, RoutingState
from hub.sharing._views import EscalationStep, View
from protocols import Clock, Protocol, Rule
from schemas import Notification, agency_id_from_source

__all__ = [
    "DEFAULT_PLACING_LA",
    "SIMULATED_EPISODE",
    "ExplainedClockStart",
    "ExplainedClockStop",
    "ExplainedEscalation",
    "ExplainedFacts",
    "ExplainedNotification",
    "ExplainedProtocol",
    "ExplainedRecipient",
    "ExplainedRefusal",
    "Explanation",
    "SimulatedPlacement",
    "explain",
    "simulate",
    "simulated_placement",
]

# A simulated placement's placing LA when neither the notification nor its publisher has one
# (a police report naming no responsible LA): Northumberland, the protocol's home council.
DEFAULT_PLACING_LA = "929"
SIMULATED_EPISODE = "simulated-placement"
SIMULATED_HUB_EPISODE = "simulated-hub-episode"
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
    """An active placement the decision assumed for the subject (host null: confidential)."""

    episode: str
    placing_la: str
    host_la: str | None


class RememberedRisk(_Document):
    """A risk level a withdrawing rule's recipient was told earlier (as the decision assumed)."""

    agency: str
    rule: str
    risk: str | None
    on_rmg: bool


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
    resident_la: str | None = Field(description="Where the person lives.")
    area_la: str | None = Field(description="Where the person is: the host LA, else resident.")
    school_known: bool = Field(description="Whether the pupil's school URN is known.")
    on_rmg: bool | None
    publisher_is: list[str] = Field(description="The authorities the publisher holds.")
    claim_conflicts: bool | None = Field(
        description="A placement from a publisher that is not the responsible authority."
    )
    late_notice: bool | None = Field(
        default=None,
        description="A placement start published after it began (an emergency: 5 working days).",
    )


class ExplainedEscalation(_Document):
    """One step of a ladder planned for a recipient's copy, if it is not acknowledged in time."""

    step: int
    agency: str = Field(description="Who is told at this step.")
    agency_name: str
    addressed_to: str = Field(description="The team or role inside that agency.")
    due_at: datetime = Field(description="Released then, unless the copy is acknowledged.")
    notify_sender: bool = Field(description="Whether the publisher is told this step was reached.")


class ExplainedRecipient(_Document):
    """One agency told (or, in a clock's alerts, to be alerted), why, and what it sees."""

    agency: str
    agency_name: str
    rule: str = Field(description="The rule; for a clock's alert, the clock.")
    rule_description: str
    lawful_basis: list[str]
    purpose: str
    acknowledge_within: str | None
    acknowledge_by: datetime | None = Field(
        description="Counted from evaluated_at; for an alert, from its release."
    )
    retention: str
    fields_shared: list[str] = Field(description="Leaf paths present in the recipient's view.")
    fields_withheld: list[str] = Field(description="Leaf paths present but not shared.")
    escalation: str | None = Field(description="The ladder an unacknowledged copy climbs.")
    escalations: list[ExplainedEscalation]
    withdrawal: bool = Field(
        default=False, description="Told again because the risk it was told of has fallen."
    )


class _ExplainedClock(_Document):
    """Which clock, and whose episode (the episode id itself is never echoed)."""

    clock: str
    clock_description: str
    episode_of: str = Field(description="The publisher whose episode it is.")
    episode_path: str = Field(description="Where the notification names the episode.")


class ExplainedClockStart(_ExplainedClock):
    """A statutory clock this notification starts: when it falls due, and whom it alerts."""

    due_at: datetime
    fires_at_once: bool = Field(description="Already due at evaluated_at: alerts go at once.")
    alerts: list[ExplainedRecipient]


class ExplainedClockStop(_ExplainedClock):
    """A statutory clock this notification stops for its episode: no alert will go."""


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
    hub_episode: bool = Field(
        default=False,
        description="Whether the views carry the hub's episode reference (never echoed).",
    )
    active_placements: list[SimulatedPlacement]
    remembered_risks: list[RememberedRisk] = Field(
        default_factory=list, description="What recipients of withdrawing rules were told."
    )
    facts: ExplainedFacts
    recipients: list[ExplainedRecipient]
    clocks_started: list[ExplainedClockStart]
    clocks_stopped: list[ExplainedClockStop]
    not_shared: list[ExplainedRefusal]


def simulated_placement(
    notification: Notification,
    placed_in: str,
    protocol: Protocol,
    *,
    default_placing_la: str = DEFAULT_PLACING_LA,
    placed_by: str | None = None,
) -> RoutingState:
    """Routing state with the subject placed in ``placed_in``, as the router keeps it.

    The placing LA is the responsible LA the decision would judge on without a placement (the
    notification's: facts rule 4), else the publishing council's, else ``default_placing_la``;
    or ``placed_by``, to see what a claim by another council than the one the hub remembers
    does.
    """
    event = notification.model_dump(mode="json", exclude_none=True)
    publisher = agency_id_from_source(notification.source)
    facts = facts_for(notification, event, RoutingState(), publisher=protocol.find_party(publisher))
    placing_la = (
        placed_by or facts.responsible_la or protocol.la_of(publisher) or default_placing_la
    )
    return RoutingState(placements=(ActivePlacement(SIMULATED_EPISODE, placing_la, placed_in),))


def simulate(
    notification: Notification,
    protocol: Protocol,
    *,
    placed_in: str | None = None,
    placed_by: str | None = None,
    told: tuple[RiskTold, ...] = (),
    in_known_episode: bool = False,
) -> dict[str, Any]:
    """What ``protocol`` decides for ``notification`` at its own time, explained.

    With ``placed_in``, the subject is assumed placed there (by ``placed_by``:
    :func:`simulated_placement`); with ``told``, recipients of withdrawing rules are assumed
    told of a risk earlier, so a withdrawal shows; with ``in_known_episode``, the notification
    is assumed to belong to a missing episode the hub already knows (another agency reported
    it), so every view carries the hub's episode reference. This is what ``hub protocol
    explain`` prints and ``POST /v1/admin/protocol/explain`` returns.
    """
    state = (
        RoutingState()
        if placed_in is None
        else simulated_placement(notification, placed_in, protocol, placed_by=placed_by)
    )
    state = RoutingState(placements=state.placements, told=told)
    episode = SIMULATED_HUB_EPISODE if in_known_episode else None
    decision = decide(notification, protocol, notification.time, state, episode=episode)
    return explain(decision, protocol)


def _facts(facts: Facts) -> ExplainedFacts:
    return ExplainedFacts(
        child=facts.child,
        adult=facts.adult,
        looked_after=facts.looked_after,
        se_marker=facts.se_marker,
        cross_border=facts.cross_border,
        risk=None if facts.risk is None else _RISK_NAMES.get(facts.risk),
        responsible_la=facts.responsible_la,
        host_la=facts.host_la,
        resident_la=facts.resident_la,
        area_la=facts.area_la,
        school_known=facts.school_urn is not None,
        on_rmg=facts.on_rmg,
        publisher_is=sorted(authority.value for authority in facts.publisher_is),
        claim_conflicts=facts.claim_conflicts,
        late_notice=facts.late_notice,
    )


class _Words:
    """What the protocol says around a decision: names, and the rules' and clocks' words."""

    def __init__(self, protocol: Protocol) -> None:
        self.names = {party.id: party.name for party in protocol.parties}
        self.terms: dict[str, Rule | Clock] = {rule.id: rule for rule in protocol.rules}
        self.terms.update((clock.id, clock) for clock in protocol.clocks)
        self.clocks = {clock.id: clock for clock in protocol.clocks}

    def name(self, agency: str) -> str:
        return self.names.get(agency, agency)

    def recipient(self, view: View) -> ExplainedRecipient:
        terms = self.terms[view.receipt.rule_id]
        return ExplainedRecipient(
            agency=view.recipient,
            agency_name=self.name(view.recipient),
            rule=terms.id,
            rule_description=terms.description,
            lawful_basis=list(view.receipt.lawful_basis),
            purpose=view.receipt.purpose,
            acknowledge_within=terms.acknowledge_within,
            acknowledge_by=view.receipt.acknowledge_by,
            retention=terms.retention,
            fields_shared=list(view.shared),
            fields_withheld=list(view.receipt.withheld),
            escalation=terms.escalation if isinstance(terms, Rule) else None,
            escalations=[self.escalation(step) for step in view.escalations],
            withdrawal=view.receipt.withdrawal,
        )

    def escalation(self, step: EscalationStep) -> ExplainedEscalation:
        return ExplainedEscalation(
            step=step.step,
            agency=step.recipient,
            agency_name=self.name(step.recipient),
            addressed_to=step.addressed_to,
            due_at=step.due_at,
            notify_sender=step.notify_sender,
        )

    def _clock(self, clock_id: str, publisher: str, *, starting: bool) -> dict[str, str]:
        clock = self.clocks[clock_id]
        trigger = clock.starts_on if starting else clock.stops_on
        return {
            "clock": clock.id,
            "clock_description": clock.description,
            "episode_of": publisher,
            "episode_path": trigger.episode,
        }

    def started(self, start: ClockStart, publisher: str) -> ExplainedClockStart:
        return ExplainedClockStart(
            **self._clock(start.clock_id, publisher, starting=True),
            due_at=start.due_at,
            fires_at_once=start.fires_at_once,
            alerts=[self.recipient(alert) for alert in start.alerts],
        )

    def stopped(self, stop: ClockStop, publisher: str) -> ExplainedClockStop:
        return ExplainedClockStop(**self._clock(stop.clock_id, publisher, starting=False))


def explain(decision: Decision, protocol: Protocol) -> dict[str, Any]:
    """``decision`` (made by ``decide`` with ``protocol``) rendered as JSON-ready data."""
    if decision.protocol_version != protocol.version_tag:
        raise ValueError("explain the decision with the protocol that made it")
    words = _Words(protocol)
    explanation = Explanation(
        protocol=ExplainedProtocol(
            id=protocol.id, version=protocol.version, version_tag=protocol.version_tag
        ),
        notification=ExplainedNotification(
            id=decision.notification_id,
            type=decision.notification_type,
            publisher=decision.publisher,
            time=decision.notification_time,
        ),
        evaluated_at=decision.decided_at,
        hub_episode=decision.episode is not None,
        active_placements=[
            SimulatedPlacement(episode=p.episode, placing_la=p.placing_la, host_la=p.host_la)
            for p in decision.state.placements
        ],
        remembered_risks=[
            RememberedRisk(
                agency=t.recipient,
                rule=t.rule_id,
                risk=None if t.level is None else _RISK_NAMES.get(t.level),
                on_rmg=t.on_rmg,
            )
            for t in decision.state.told
        ],
        facts=_facts(decision.facts),
        recipients=[words.recipient(view) for view in decision.views],
        clocks_started=[words.started(s, decision.publisher) for s in decision.clocks_started],
        clocks_stopped=[words.stopped(s, decision.publisher) for s in decision.clocks_stopped],
        not_shared=[
            ExplainedRefusal(agency=r.recipient, rule=r.rule_id, reason=r.reason)
            for r in decision.refusals
        ],
    )
    return explanation.model_dump(mode="json")
