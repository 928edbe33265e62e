"""The sharing decision: a pure function from (notification, protocol, state, now) to a Decision.

No I/O happens here: no aiohttp, aio-pika or SQLAlchemy. The async shell in
:mod:`hub.routing` loads what is needed, calls :func:`decide`, then publishes and
audits what it returns.

Rules:

1. Deny by default. A (type, publisher) pair that no rule names is refused, with the reason.
   A rule whose ``when`` conditions do not hold does not apply; that too is recorded.
2. A rule shares with each of its recipients, except the publisher itself. A role recipient is
   resolved from the notification and the routing state (:mod:`._roles`); one that cannot be
   resolved is recorded as refused, with the reason.
3. A recipient already served by an earlier rule (file order) is not served twice; the later
   rule is recorded as suppressed with the reason.
4. Each view is minimised to its rule's fields and carries its lawful-basis receipt, with the
   acknowledgement deadline counted from ``now`` (:mod:`._views`).
5. A view whose rule names an escalation ladder carries the ladder's steps, planned from that
   deadline (:mod:`._ladders`).
6. The notification may start or stop statutory clocks (:mod:`._clocks`); a start carries its
   alerts, built as views are.
7. A decision not to share is as explicit as a decision to share: it is a value in
   ``Decision.refusals`` (a rule's, a ladder step's or a clock's), and the shell audits it.
8. A view whose rule names ``identify_by`` must hold one of those identifiers, or the recipient
   could not match it to anyone: it is refused, with the reason, and not sent.
9. The hub's episode reference (``hubepisode``), worked out by the router from the routing
   state, travels on every view, so reports of one episode from several agencies arrive as one.
10. A lowered risk is withdrawn from everyone told of more (:mod:`._withdrawals`).
11. A placement from its responsible authority changes the child's placement state; from anyone
   else it changes nothing (``placement``), and the protocol may alert the responsible council.
12. The rules are walked in file order, but found through the protocol's index by type and
   publisher, their conditions judged once per kind of notification (:mod:`._rule_plan`): the
   decision is the one a scan of every rule would make, at a cost flat in the number of rules.
13. A decision carries what it was computed from (the facts, the routing state, ``now``), so an
   explanation is the decision rendered (:mod:`._explain`), never a second computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.sharing._clocks import ClockStart, ClockStop, plan_clocks
from hub.sharing._facts import Facts, facts_for
from hub.sharing._ladders import with_escalations
from hub.sharing._roles import resolve_recipient
from hub.sharing._routing_state import ActivePlacement, PlacementChange, RiskTold, RoutingState
from hub.sharing._rule_plan import SegmentsOf, rule_segments, scanned_segments
from hub.sharing._views import Refusal, View, view_of
from hub.sharing._withdrawals import told_after, withdrawals
from protocols import Authority, Protocol, Rule
from schemas import Notification, PlacementEnded, PlacementStarted, agency_id_from_source

__all__ = ["Decision", "decide", "decide_by_scan"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything decided about one notification, and what it was decided on."""

    notification_id: str
    notification_type: str
    notification_time: datetime
    publisher: str
    protocol_version: str
    decided_at: datetime
    facts: Facts
    state: RoutingState
    views: tuple[View, ...]
    refusals: tuple[Refusal, ...]
    authorised: bool  # some rule let this publisher share this type, conditions met
    clocks_started: tuple[ClockStart, ...]
    clocks_stopped: tuple[ClockStop, ...]
    placement: PlacementChange | None = None  # episode: the publisher's own episode id
    told: tuple[RiskTold, ...] = ()
    episode: str | None = None


def _identified(view: View, rule: Rule) -> bool:
    return not rule.identify_by or any(
        shared == path or shared.startswith(path + ".")
        for shared in view.shared
        for path in rule.identify_by
    )


def _placement(notification: Notification, facts: Facts) -> PlacementChange | None:
    """Rule 11: the change a placement notification makes, if its publisher may make it."""
    if Authority.RESPONSIBLE_AUTHORITY not in facts.publisher_is:
        return None
    episode = notification.episodeid or notification.id
    if isinstance(notification, PlacementEnded):
        return PlacementChange(episode=episode, started=None)
    if isinstance(notification, PlacementStarted):
        data = notification.data
        host = None if data.confidential else (data.host_la or data.placing_la)
        return PlacementChange(episode, ActivePlacement(episode, data.placing_la, host))
    return None


def decide(
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState = RoutingState(),  # noqa: B008  # immutable, shared empty state
    *,
    episode: str | None = None,
) -> Decision:
    """Apply ``protocol`` to ``notification`` at time ``now``, given the subject's ``state``.

    ``episode`` is the hub's reference for the missing episode the notification is about.
    """
    return _decided(notification, protocol, now, state, episode, rule_segments)


def decide_by_scan(
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState = RoutingState(),  # noqa: B008  # immutable, shared empty state
    *,
    episode: str | None = None,
) -> Decision:
    """As :func:`decide`, judging every rule of the protocol in turn (rule 12's reference).

    The decision is the same; only the cost differs. Tests hold :func:`decide` to it, and the
    benchmark measures what the index saves.
    """
    return _decided(notification, protocol, now, state, episode, scanned_segments)


def _decided(  # noqa: PLR0917  # decide()'s arguments, and how to find the rules
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState,
    episode: str | None,
    segments_of: SegmentsOf,
) -> Decision:
    publisher = agency_id_from_source(notification.source)
    event = notification.model_dump(mode="json", exclude_none=True)
    if episode is not None:
        event["hubepisode"] = episode
    facts = facts_for(
        notification, event, state, publisher=protocol.find_party(publisher), received=now
    )
    views: dict[str, View] = {}
    refusals: list[Refusal] = []
    matched_any = False
    for rule in segments_of(protocol, notification.type, publisher, event, facts):
        if isinstance(rule, tuple):  # the refusals of rules whose conditions do not hold
            refusals.extend(rule)
            continue
        matched_any = True
        for named in rule.recipients:
            recipient, reason = resolve_recipient(named, protocol, facts)
            if recipient is None:
                refusals.append(Refusal(None, rule.id, reason))
            elif recipient == publisher:
                refusals.append(Refusal(recipient, rule.id, "recipient is the publisher"))
            elif recipient in views:
                earlier = views[recipient].receipt.rule_id
                refusals.append(Refusal(recipient, rule.id, f"already served by rule {earlier}"))
            else:
                view = view_of(recipient, event, rule, protocol, deadline_from=now)
                _serve(views, refusals, view, rule, protocol, facts, publisher)
    if matched_any:
        for withdrawal, rule in withdrawals(event, protocol, facts, state, views, publisher, now):
            _serve(views, refusals, withdrawal, rule, protocol, facts, publisher)
    else:
        refusals.append(Refusal(None, None, f"no rule allows {notification.type} from {publisher}"))
    started, stopped, not_planned = plan_clocks(event, protocol, facts, publisher, now)
    refusals.extend(not_planned)
    return Decision(
        notification_id=notification.id,
        notification_type=notification.type,
        notification_time=notification.time,
        publisher=publisher,
        protocol_version=protocol.version_tag,
        decided_at=now,
        facts=facts,
        state=state,
        views=tuple(views.values()),
        refusals=tuple(refusals),
        authorised=matched_any,
        clocks_started=started,
        clocks_stopped=stopped,
        placement=_placement(notification, facts) if matched_any else None,
        told=told_after(tuple(views.values()), protocol, facts),
        episode=episode,
    )


def _serve(  # noqa: PLR0917  # the decision's accumulators and the view's terms
    views: dict[str, View],
    refusals: list[Refusal],
    view: View,
    rule: Rule,
    protocol: Protocol,
    facts: Facts,
    publisher: str,
) -> None:
    """Serve ``view`` under ``rule`` with its escalations, or refuse it (rule 8)."""
    if not _identified(view, rule):
        needs = ", ".join(rule.identify_by)
        reason = f"no identifier the recipient can match (needs one of: {needs})"
        refusals.append(Refusal(view.recipient, rule.id, reason))
        return
    views[view.recipient], unplanned = with_escalations(view, rule, protocol, facts, publisher)
    refusals.extend(unplanned)
