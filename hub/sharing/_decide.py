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
8. A decision carries what it was computed from (the facts, the routing state, ``now``), so an
   explanation is the decision rendered (:mod:`._explain`), never a second computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.sharing._clocks import ClockStart, ClockStop, plan_clocks
from hub.sharing._conditions import unmet_condition
from hub.sharing._facts import Facts, facts_for
from hub.sharing._ladders import with_escalations
from hub.sharing._roles import resolve_recipient
from hub.sharing._routing_state import RoutingState
from hub.sharing._views import Refusal, View, view_of
from protocols import Protocol
from schemas import Notification, agency_id_from_source

__all__ = ["Decision", "decide"]


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


def decide(
    notification: Notification,
    protocol: Protocol,
    now: datetime,
    state: RoutingState = RoutingState(),  # noqa: B008  # immutable, shared empty state
) -> Decision:
    """Apply ``protocol`` to ``notification`` at time ``now``, given the subject's ``state``."""
    publisher = agency_id_from_source(notification.source)
    event = notification.model_dump(mode="json", exclude_none=True)
    facts = facts_for(notification, event, state, publisher_la=protocol.la_of(publisher))
    views: dict[str, View] = {}
    refusals: list[Refusal] = []
    matched_any = False
    for rule in protocol.rules:
        if notification.type not in rule.types:
            continue
        if publisher not in rule.publishers:
            continue
        unmet = unmet_condition(event, facts, rule.when)
        if unmet is not None:
            refusals.append(Refusal(None, rule.id, f"condition not met: {unmet}"))
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
                views[recipient], unplanned = with_escalations(
                    view, rule, protocol, facts, publisher
                )
                refusals.extend(unplanned)
    if not matched_any:
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
    )
