"""Escalation ladders planned by decide(): who is told, when, about whose unacknowledged copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.sharing import Decision, EscalationStep, Refusal, RoutingState, decide
from protocols import Protocol, load_protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    CHILDRENS,
    DURHAM,
    DURHAM_LA,
    DURHAM_POLICE,
    EDUCATION,
    NEWCASTLE,
    NOW,
    POLICE,
    PROTOCOL_PATH,
    make_event,
    make_ladder,
    make_protocol,
    make_rule,
    placed_in,
)

DEADLINE = NOW + timedelta(hours=1)  # make_rule's acknowledge_within: 1h


def _protocol(*steps: dict[str, Any], **rule: Any) -> Protocol:
    ladder = make_ladder(steps=list(steps)) if steps else make_ladder()
    return make_protocol(make_rule(escalation="ladder-a", **rule), escalations=[ladder])


NO_STATE = RoutingState()


def _decide(protocol: Protocol, state: RoutingState = NO_STATE, **event: Any) -> Decision:
    return decide(parse_notification(make_event(**event)), protocol, NOW, state)


def _step(after: str, to: Any, addressed_to: str = "duty-team", **more: Any) -> dict[str, Any]:
    return {"after": after, "to": to, "addressed_to": addressed_to, **more}


def test_due_times_chain_from_the_rules_deadline() -> None:
    """Step 1 falls due its ``after`` past the acknowledgement deadline, step 2 past step 1."""
    (view,) = _decide(_protocol()).views

    assert view.receipt.acknowledge_by == DEADLINE
    assert view.escalations == (
        _planned(1, "duty-team", DEADLINE + timedelta(minutes=30), notify_sender=False),
        _planned(2, "named-manager", DEADLINE + timedelta(minutes=90), notify_sender=True),
    )


def _planned(
    step: int, addressed_to: str, due_at: datetime, *, notify_sender: bool
) -> EscalationStep:
    """A step of the builders' ladder, back to the police about their own copy."""
    return EscalationStep(
        ladder="ladder-a",
        step=step,
        recipient=POLICE,
        addressed_to=addressed_to,
        due_at=due_at,
        about_recipient=POLICE,
        notify_sender=notify_sender,
    )


def test_due_times_are_aware_utc_and_never_go_backwards() -> None:
    """Each step is due no earlier than the one above it, as an aware UTC time."""
    protocol = _protocol(
        _step("0m", "recipient"), _step("1d", "recipient"), _step("5m", "recipient")
    )

    steps = _decide(protocol).views[0].escalations

    assert [s.due_at for s in steps] == [
        DEADLINE,
        DEADLINE + timedelta(days=1),
        DEADLINE + timedelta(days=1, minutes=5),
    ]
    assert all(s.due_at.tzinfo is UTC for s in steps)


def test_a_next_school_day_deadline_is_where_the_ladder_starts() -> None:
    """The ladder counts from whatever the rule's deadline is, here the next school day 08:30."""
    protocol = _protocol(acknowledge_within="next school day 08:30")

    (view,) = _decide(protocol).views
    deadline = view.receipt.acknowledge_by

    assert deadline is not None
    assert deadline > NOW
    assert [s.due_at for s in view.escalations] == [
        deadline + timedelta(minutes=30),
        deadline + timedelta(minutes=90),
    ]


def test_a_step_to_a_role_resolves_as_a_rules_recipient_does() -> None:
    """``{role: host_authority}`` is the host of the child's placement; a party id is itself."""
    protocol = _protocol(
        _step("30m", {"role": "host_authority"}, "duty-team"),
        _step("1h", CHILDRENS, "named-manager", notify_sender=True),
        publishers=[POLICE],
        recipients=[EDUCATION],
    )

    (view,) = _decide(protocol, placed_in("391"), source=source_for_agency(POLICE)).views

    assert [(s.recipient, s.addressed_to, s.about_recipient) for s in view.escalations] == [
        (NEWCASTLE, "duty-team", EDUCATION),
        (CHILDRENS, "named-manager", EDUCATION),
    ]
    assert [s.resends_view for s in view.escalations] == [False, False]


def test_a_step_that_cannot_be_resolved_is_refused_and_the_rest_keep_their_times() -> None:
    """No placement, no host: that step is refused with the reason; the next is still due."""
    protocol = _protocol(
        _step("30m", {"role": "host_authority"}), _step("1h", "recipient", "named-manager")
    )

    decision = _decide(protocol)

    (view,) = decision.views
    assert [(s.step, s.due_at) for s in view.escalations] == [(2, DEADLINE + timedelta(hours=1.5))]
    assert decision.refusals == (
        Refusal(
            None,
            "rule-a",
            f"escalation ladder-a step 1 for {POLICE}: role host_authority: host authority "
            "(no active out-of-area placement): not known",
        ),
    )


def test_a_step_that_resolves_to_the_publisher_is_refused() -> None:
    """The sender is told by ``notify_sender``, never by escalating to itself."""
    protocol = _protocol(_step("30m", {"role": "responsible_authority"}))

    decision = _decide(protocol)

    assert decision.views[0].escalations == ()
    assert decision.refusals == (
        Refusal(
            CHILDRENS,
            "rule-a",
            f"escalation ladder-a step 1 for {POLICE}: recipient is the publisher "
            "(notify_sender tells the publisher)",
        ),
    )


def test_every_view_of_the_rule_climbs_its_own_ladder() -> None:
    """Two recipients, two ladders of steps, each about its own copy."""
    protocol = _protocol(recipients=[POLICE, EDUCATION])

    decision = _decide(protocol)

    about = {v.recipient: {s.about_recipient for s in v.escalations} for v in decision.views}
    assert about == {POLICE: {POLICE}, EDUCATION: {EDUCATION}}
    keys = [s.key for v in decision.views for s in v.escalations]
    assert len(set(keys)) == len(keys) == 4
    assert decision.views[0].escalations[1].sender_key.endswith(":sender")


def test_a_rule_without_a_ladder_plans_no_steps() -> None:
    """Only a rule naming a ladder is escalated; another rule's copies have none."""
    protocol = make_protocol(
        make_rule(),
        make_rule(id="rule-b", recipients=[EDUCATION], escalation="ladder-a"),
        escalations=[make_ladder()],
    )

    decision = _decide(protocol)

    assert {v.recipient: len(v.escalations) for v in decision.views} == {POLICE: 0, EDUCATION: 2}


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    return load_protocol(PROTOCOL_PATH)


def test_the_shipped_missing_rules_escalate_to_the_duty_team_then_a_manager(
    shipped: Protocol,
) -> None:
    """A missing child: police and school each get duty team then manager, the sender told."""
    decision = decide(parse_notification(make_event()), shipped, NOW)

    plans = {}
    for view in decision.views:
        deadline = view.receipt.acknowledge_by
        assert deadline is not None
        plans[view.recipient] = [
            (s.addressed_to, s.due_at - deadline, s.notify_sender) for s in view.escalations
        ]
    expected = [
        ("duty-team", timedelta(minutes=30), False),
        ("named-manager", timedelta(minutes=90), True),
    ]
    assert plans == {POLICE: expected, EDUCATION: expected}


def test_the_shipped_rules_outside_missing_episodes_have_no_ladder(shipped: Protocol) -> None:
    """A return interview's copy to the police is not escalated: its rule names no ladder."""
    event = make_event(
        type="uk.sehub.return_interview.recorded.v1",
        data={
            "episode_ref": "MIS-TEST-0001",
            "outcome": "offered",
            "offered_on": "2026-11-28",
        },
    )
    for key in (
        "missing_type",
        "looked_after",
        "started_on",
        "started_at",
        "risk_level",
        "last_seen_location",
    ):
        del event["data"][key]

    decision = decide(parse_notification(event), shipped, datetime(2026, 11, 29, tzinfo=UTC))

    assert [v.recipient for v in decision.views] == [POLICE]
    assert decision.views[0].escalations == ()


@pytest.mark.parametrize("source", [CHILDRENS, POLICE], ids=["council-report", "police-report"])
def test_every_council_and_force_told_of_a_child_placed_in_durham_is_chased(
    shipped: Protocol, source: str
) -> None:
    """Placed in Durham, each council, force and education service told of the missing child
    gets its own two steps about its own copy, whoever reported it."""
    event = make_event(source=source_for_agency(source))

    decision = decide(parse_notification(event), shipped, NOW, placed_in(DURHAM_LA))

    chased = {
        v.recipient: [(s.recipient, s.about_recipient, s.addressed_to) for s in v.escalations]
        for v in decision.views
    }
    told = {CHILDRENS, POLICE, DURHAM, DURHAM_POLICE, "durham-education"} - {source}
    assert chased == {
        recipient: [(recipient, recipient, "duty-team"), (recipient, recipient, "named-manager")]
        for recipient in told
    }
