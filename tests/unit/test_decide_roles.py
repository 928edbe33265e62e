"""Role recipients: resolved from the notification and routing state, or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from hub.sharing import Decision, Refusal, RoutingState, decide
from protocols import Role
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    ADULTS,
    CHILDRENS,
    DURHAM,
    DURHAM_POLICE,
    EDUCATION,
    NEWCASTLE,
    NOW,
    POLICE,
    make_event,
    make_protocol,
    make_rule,
    placed_in,
)

EMPTY = RoutingState()


def _decide_role(
    role: Role, event: dict[str, Any], state: RoutingState, publisher: str = POLICE
) -> Decision:
    """Decide ``event`` under one rule whose only recipient is ``role``."""
    protocol = make_protocol(
        make_rule(id="rule-role", publishers=[publisher], recipients=[{"role": role.value}])
    )
    return decide(parse_notification(event), protocol, NOW, state)


def _from_police(*, responsible_la: str | None = "929", **data: Any) -> dict[str, Any]:
    """A police missing report about a looked-after child, with these ``data`` changes and the
    person's ``responsible_la`` (None: not given)."""
    event = make_event(source=source_for_agency(POLICE), data=data)
    for key, value in data.items():
        if value is None:
            del event["data"][key]
    person = event["data"]["person"]
    if responsible_la is None:
        del person["responsible_la"]
    else:
        person["responsible_la"] = responsible_la
    return event


def _adult(**data: Any) -> dict[str, Any]:
    event = _from_police(looked_after=False, **data)
    event["data"]["person"]["date_of_birth"] = "1990-01-01"
    return event


RESOLVED = [
    # role, event, state, party
    (Role.RESPONSIBLE_AUTHORITY, _from_police(), EMPTY, CHILDRENS),
    (Role.RESPONSIBLE_AUTHORITY, _adult(), EMPTY, ADULTS),
    (Role.RESPONSIBLE_AUTHORITY, _from_police(responsible_la="840"), EMPTY, DURHAM),
    (Role.RESPONSIBLE_AUTHORITY, _from_police(responsible_la=None), placed_in("391"), CHILDRENS),
    (Role.POLICE_FOR_RESPONSIBLE_AREA, _from_police(responsible_la="840"), EMPTY, DURHAM_POLICE),
    (Role.HOST_AUTHORITY, _from_police(), placed_in("391"), NEWCASTLE),
    (Role.HOST_AUTHORITY, _from_police(), placed_in("840"), DURHAM),
    (Role.POLICE_FOR_HOST_AREA, _from_police(), placed_in("840"), DURHAM_POLICE),
    (Role.SUBJECTS_EDUCATION, _from_police(), EMPTY, EDUCATION),
]


@pytest.mark.parametrize(
    ("role", "event", "state", "party"),
    RESOLVED,
    ids=[f"{case[0].value}-{case[3]}" for case in RESOLVED],
)
def test_a_role_resolves_to_the_party_of_that_kind_for_that_la(
    role: Role, event: dict[str, Any], state: RoutingState, party: str
) -> None:
    """Each role names the party of the right kind whose LA code or areas match."""
    decision = _decide_role(role, event, state)

    assert [(v.recipient, v.receipt.rule_id) for v in decision.views] == [(party, "rule-role")]
    assert decision.refusals == ()


UNRESOLVED = [
    # role, event, state, what the reason says besides the role
    (Role.HOST_AUTHORITY, _from_police(), EMPTY, "not known"),
    (Role.HOST_AUTHORITY, _from_police(), placed_in("942"), "LA 942"),
    (Role.POLICE_FOR_HOST_AREA, _from_police(), EMPTY, "not known"),
    (Role.POLICE_FOR_HOST_AREA, _from_police(), placed_in("942"), "LA 942"),
    (Role.RESPONSIBLE_AUTHORITY, _from_police(responsible_la=None), EMPTY, "not known"),
    (Role.RESPONSIBLE_AUTHORITY, _from_police(responsible_la="942"), EMPTY, "LA 942"),
    (Role.RESPONSIBLE_AUTHORITY, _adult(responsible_la="840"), EMPTY, "LA 840"),
    (Role.POLICE_FOR_RESPONSIBLE_AREA, _from_police(responsible_la=None), EMPTY, "not known"),
    (Role.POLICE_FOR_RESPONSIBLE_AREA, _from_police(responsible_la="942"), EMPTY, "LA 942"),
    (Role.SUBJECTS_EDUCATION, _from_police(responsible_la=None), EMPTY, "not known"),
    (Role.SUBJECTS_EDUCATION, _from_police(), placed_in("391"), "LA 391"),
]
_UNRESOLVED_IDS = [f"{case[0].value}-{case[3].replace(' ', '-')}" for case in UNRESOLVED]


@pytest.mark.parametrize(("role", "event", "state", "cause"), UNRESOLVED, ids=_UNRESOLVED_IDS)
def test_an_unresolved_role_is_refused_with_nobody_named(
    role: Role, event: dict[str, Any], state: RoutingState, cause: str
) -> None:
    """A role that names no party is a refusal under its rule, with recipient None and the cause."""
    decision = _decide_role(role, event, state)

    assert decision.views == ()
    (refusal,) = decision.refusals
    assert refusal.recipient is None
    assert refusal.rule_id == "rule-role"
    assert cause in refusal.reason


def test_an_unresolved_roles_reason_names_the_role_as_the_protocol_writes_it() -> None:
    """Each unresolved role's refusal reason contains the role's name (``host_authority``...)."""
    missing_role_names = []
    for role, event, state, _ in UNRESOLVED:
        (refusal,) = _decide_role(role, event, state).refusals
        if role.value not in refusal.reason:
            missing_role_names.append((role.value, refusal.reason))

    assert missing_role_names == []


@pytest.mark.parametrize(
    ("publisher", "party"),
    [(CHILDRENS, EDUCATION), (POLICE, None)],
    ids=["council-publisher", "police-publisher"],
)
def test_a_publishing_councils_own_la_is_responsible_when_nothing_else_says(
    publisher: str, party: str | None
) -> None:
    """With no LA in the event or state, a council publisher's LA is the responsible one."""
    event = make_event(source=source_for_agency(publisher))
    del event["data"]["person"]["responsible_la"]

    decision = _decide_role(Role.SUBJECTS_EDUCATION, event, EMPTY, publisher=publisher)

    assert [v.recipient for v in decision.views] == ([party] if party else [])
    if party is None:
        (refusal,) = decision.refusals
        assert (refusal.recipient, refusal.rule_id) == (None, "rule-role")
        assert "not known" in refusal.reason


def test_a_role_that_resolves_to_the_publisher_is_refused_as_the_publisher() -> None:
    """Children's services publishing about their own child are not sent it as responsible LA."""
    decision = _decide_role(Role.RESPONSIBLE_AUTHORITY, make_event(), EMPTY, publisher=CHILDRENS)

    assert decision.views == ()
    assert decision.refusals == (Refusal(CHILDRENS, "rule-role", "recipient is the publisher"),)


def test_a_role_and_a_named_party_that_coincide_are_served_once() -> None:
    """A role resolving to a party the rule also names is served once, then refused as served."""
    protocol = make_protocol(
        make_rule(id="rule-both", recipients=[POLICE, {"role": "police_for_host_area"}])
    )

    decision = decide(parse_notification(make_event()), protocol, NOW, placed_in("391"))

    assert [(v.recipient, v.receipt.rule_id) for v in decision.views] == [(POLICE, "rule-both")]
    assert decision.refusals == (Refusal(POLICE, "rule-both", "already served by rule rule-both"),)


def test_the_most_recent_active_placement_decides_the_host() -> None:
    """With two active out-of-area placements, the later one's host authority is told."""
    state = RoutingState(placements=(*placed_in("391").placements, *placed_in("840").placements))

    decision = _decide_role(Role.HOST_AUTHORITY, _from_police(), state)

    assert [v.recipient for v in decision.views] == [DURHAM]
