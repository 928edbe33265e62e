"""Escalation ladders planned for the views of one decision.

Rules:

1. Only a view whose rule names a ladder (``escalation``) gets steps; the ladder starts at its
   receipt's acknowledgement deadline.
2. Step ``n`` falls due its ``after`` past step ``n - 1``'s due time (past the deadline, for the
   first step): due times chain, so no step is due before the one above it.
3. ``to: recipient`` is the view's recipient; a party id is that party; a role is resolved from
   the decision's facts, exactly as a rule's recipients are. A step that cannot be resolved, or
   that resolves to the publisher (``notify_sender`` is how a sender is told), is not planned
   and is refused with the reason; the steps after it keep their due times.
4. Pure: the plan says who is told, when, and about whose unacknowledged copy. The router holds
   each step as a copy released at ``due_at`` unless an acknowledgement cancels it first.
"""

from __future__ import annotations

from dataclasses import replace

from hub.sharing._facts import Facts
from hub.sharing._roles import resolve_recipient
from hub.sharing._views import EscalationStep, Refusal, View
from protocols import RECIPIENT, Protocol, Rule

__all__ = ["with_escalations"]


def with_escalations(
    view: View, rule: Rule, protocol: Protocol, facts: Facts, publisher: str
) -> tuple[View, tuple[Refusal, ...]]:
    """``view`` with the steps of its rule's ladder, and a refusal for each step not taken."""
    due = view.receipt.acknowledge_by
    if rule.escalation is None or due is None:  # a ladder needs a deadline: the protocol says so
        return view, ()
    ladder = protocol.ladder(rule.escalation)
    steps: list[EscalationStep] = []
    refusals: list[Refusal] = []
    for number, step in enumerate(ladder.steps, start=1):
        due += step.delay
        where = f"escalation {ladder.id} step {number} for {view.recipient}"
        recipient, reason = (
            (view.recipient, "")
            if step.to == RECIPIENT
            else resolve_recipient(step.to, protocol, facts)
        )
        if recipient is None:
            refusals.append(Refusal(None, view.receipt.rule_id, f"{where}: {reason}"))
        elif recipient == publisher:
            refusals.append(
                Refusal(
                    recipient,
                    view.receipt.rule_id,
                    f"{where}: recipient is the publisher (notify_sender tells the publisher)",
                )
            )
        else:
            steps.append(
                EscalationStep(
                    ladder=ladder.id,
                    step=number,
                    recipient=recipient,
                    addressed_to=step.addressed_to,
                    due_at=due,
                    about_recipient=view.recipient,
                    notify_sender=step.notify_sender,
                )
            )
    return replace(view, escalations=tuple(steps)), tuple(refusals)
