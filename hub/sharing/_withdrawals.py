"""Withdrawals: when a person's risk falls, everyone told of the higher level is told.

A rule that ``withdraw``\\s (a school told a pupil is at high risk, health told of a high risk)
shares only above a threshold, so a later, lower assessment would reach nobody and the
recipient's "high" would go stale. The routing state remembers what each recipient was last told
under such a rule (:class:`~hub.sharing.RiskTold`); this module plans the withdrawals.

Rules:

1. A recipient is told again when the notification's risk level is known and lower than the
   level it was told, or it was told while the person was on the RMG and the notification says
   the person is no longer on it.
2. The withdrawal is a view of this notification under the rule that told the recipient (its
   fields, lawful basis, purpose and deadline), marked as a withdrawal in its receipt; only if
   that rule still exists, covers this notification's type and lets this publisher publish it.
3. A recipient this notification already reaches under some rule is not told twice.
4. After the decision, each recipient of a withdrawing rule's view (a withdrawal included) is
   remembered at the notification's level.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.sharing._facts import Facts
from hub.sharing._routing_state import RiskTold, RoutingState
from hub.sharing._views import View, view_of
from protocols import Protocol, Rule

__all__ = ["told_after", "withdrawals"]


def _lowered(told: RiskTold, facts: Facts) -> bool:
    if facts.risk is None:
        return False
    fell = told.level is not None and facts.risk < told.level
    left_rmg = told.on_rmg and facts.on_rmg is False
    return fell or left_rmg


def withdrawals(  # noqa: PLR0917  # decide()'s own arguments, passed on
    event: Mapping[str, Any],
    protocol: Protocol,
    facts: Facts,
    state: RoutingState,
    served: Mapping[str, View],
    publisher: str,
    now: datetime,
) -> Iterator[tuple[View, Rule]]:
    """The withdrawal views this notification owes, each with the rule it is under (rules 1-3)."""
    rules = protocol.index.rule_by_id
    for told in state.told:
        rule = rules.get(told.rule_id)
        if (
            told.recipient in served
            or told.recipient == publisher
            or rule is None
            or not rule.withdraw
            or event.get("type") not in rule.types
            or publisher not in rule.publishers
            or not _lowered(told, facts)
        ):
            continue
        view = view_of(told.recipient, event, rule, protocol, deadline_from=now)
        yield replace(view, receipt=view.receipt.model_copy(update={"withdrawal": True})), rule


def told_after(views: tuple[View, ...], protocol: Protocol, facts: Facts) -> tuple[RiskTold, ...]:
    """What each recipient of a withdrawing rule now knows (rule 4)."""
    withdrawing = protocol.index.withdrawing
    return tuple(
        RiskTold(view.recipient, view.receipt.rule_id, facts.risk, facts.on_rmg is True)
        for view in views
        if view.receipt.rule_id in withdrawing
    )
