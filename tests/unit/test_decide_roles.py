"""Role recipients: each resolves from the person and the routing state to one party of the
partnership, as ``hub/sharing/_roles.py`` says, or to no one, with the reason.

The rule under test is published by a synthetic force (``test-force``, covering a Welsh area
no other party covers), so a role never resolves to its publisher by accident.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.sharing import ActivePlacement, Decision, Refusal, RoutingState, decide
from protocols import ProtocolError, parse_protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    NOW,
    make_event,
    make_rule,
    partnership_protocol,
    placed,
)

EMPTY = RoutingState()
TEST_FORCE = "test-force"
TEST_FORCE_PARTY = {
    "id": TEST_FORCE,
    "name": "Synthetic test force",
    "kind": "police",
    "areas": ["W06000001"],
}


def _decide_role(
    role: str,
    event: dict[str, Any],
    state: RoutingState = EMPTY,
    *,
    service: str | None = None,
) -> Decision:
    """Decide ``event`` under one rule whose only recipient is ``role`` (with ``service``)."""
    recipient = {"role": role} if service is None else {"role": role, "service": service}
    protocol = partnership_protocol(
        make_rule(id="rule-role", publishers=[TEST_FORCE], recipients=[recipient]),
        extra_parties=(TEST_FORCE_PARTY,),
    )
    return decide(parse_notification(event), protocol, NOW, state)


def _child(**person: Any) -> dict[str, Any]:
    """The force's missing report about a looked-after child, with these ``person`` changes
    (None removes the field)."""
    event = make_event(source=source_for_agency(TEST_FORCE))
    _change(event["data"]["person"], person)
    return event


def _adult(**person: Any) -> dict[str, Any]:
    """As :func:`_child`, about an adult (born 1990, not looked after)."""
    event = _child(date_of_birth="1990-01-01", upn=None, **person)
    event["data"]["looked_after"] = False
    return event


def _age_unknown(**person: Any) -> dict[str, Any]:
    """As :func:`_child`, about someone of unknown age, not looked after: neither child nor
    adult."""
    event = _child(date_of_birth=None, **person)
    event["data"]["looked_after"] = False
    return event


def _change(person: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            person.pop(key, None)
        else:
            person[key] = value


NOT_RESPONSIBLE = {"responsible_la": None}

RESOLVED = [
    # role, service, event, state, party, why
    ("resident_authority", None, _child(), EMPTY, "northumberland-childrens", "child"),
    ("resident_authority", None, _adult(resident_la="394"), EMPTY, "sunderland-adults", "adult"),
    (
        "resident_authority",
        "education",
        _child(),
        EMPTY,
        "northumberland-education",
        "service-named",
    ),
    (
        "resident_authority",
        "licensing",
        _adult(),
        EMPTY,
        "northumberland-licensing",
        "service-for-an-adult",
    ),
    (
        "resident_authority",
        "adult_services",
        _child(),
        EMPTY,
        "northumberland-adults",
        "service-for-a-child",
    ),
    (
        "resident_authority",
        "education",
        _age_unknown(),
        EMPTY,
        "northumberland-education",
        "service-needs-no-age",
    ),
    (
        "responsible_authority",
        None,
        _child(responsible_la="840"),
        EMPTY,
        "durham-childrens",
        "named-by-the-person",
    ),
    (
        "responsible_authority",
        None,
        _child(),
        placed("391", "929"),
        "newcastle-childrens",
        "the-placing-council-of-the-state",
    ),
    (
        "responsible_authority",
        None,
        _adult(resident_la="391", responsible_la="840"),
        EMPTY,
        "durham-adults",
        "care-leaver",
    ),
    (
        "responsible_authority",
        "children_services",
        _adult(resident_la="391", responsible_la="840"),
        EMPTY,
        "durham-childrens",
        "care-leaver-leaving-care-service",
    ),
    ("host_authority", None, _child(), placed("929", "391"), "newcastle-childrens", "newcastle"),
    (
        "host_authority",
        None,
        _child(responsible_la="840"),
        placed("840", "929"),
        "northumberland-childrens",
        "northumberland",
    ),
    (
        "host_authority",
        "education",
        _child(),
        placed("929", "391"),
        "newcastle-education",
        "service-named",
    ),
    (
        "police_for_area",
        None,
        _child(resident_la="394"),
        EMPTY,
        "northumbria-police",
        "where-they-live",
    ),
    (
        "police_for_area",
        None,
        _child(),
        placed("929", "840"),
        "durham-constabulary",
        "where-they-are-placed",
    ),
    (
        "police_for_area",
        None,
        _child(resident_la="S12000026"),
        EMPTY,
        "police-scotland",
        "scotland",
    ),
    (
        "police_for_host_area",
        None,
        _child(),
        placed("929", "942"),
        "cumbria-constabulary",
        "cumberland",
    ),
    (
        "police_for_responsible_area",
        None,
        _child(resident_la="391", responsible_la="840"),
        EMPTY,
        "durham-constabulary",
        "durham",
    ),
    (
        "health_for_area",
        None,
        _child(resident_la="392"),
        EMPTY,
        "northumbria-healthcare",
        "north-tyneside",
    ),
    (
        "health_for_area",
        None,
        _adult(resident_la="393"),
        EMPTY,
        "south-tyneside-sunderland-health",
        "south-tyneside",
    ),
    (
        "health_for_area",
        None,
        _child(),
        placed("929", "840"),
        "durham-darlington-health",
        "where-they-are-placed",
    ),
    ("school", None, _child(school_urn="100001"), EMPTY, "school-100001", "urn"),
    (
        "school",
        None,
        _child(school_urn="100002"),
        EMPTY,
        "school-100002",
        "urn-in-another-council",
    ),
    (
        "school",
        None,
        _child(school_urn="122345"),
        EMPTY,
        "northumberland-education",
        "urn-not-a-party",
    ),
    ("school", None, _child(), EMPTY, "northumberland-education", "no-urn"),
    (
        "school",
        None,
        _child(),
        placed("929", "391"),
        "newcastle-education",
        "no-urn-placed-in-newcastle",
    ),
    ("school", None, _child(resident_la="394"), EMPTY, "sunderland-education", "no-urn-sunderland"),
]


@pytest.mark.parametrize(
    ("role", "service", "event", "state", "party"),
    [case[:5] for case in RESOLVED],
    ids=[f"{case[0]}-{case[5]}" for case in RESOLVED],
)
def test_a_role_resolves_to_the_party_of_that_kind_for_that_area(
    role: str, service: str | None, event: dict[str, Any], state: RoutingState, party: str
) -> None:
    """Each role names the one party of the right kind (or service) whose LA, areas or URN
    match the person, and nothing is refused."""
    decision = _decide_role(role, event, state, service=service)

    assert [(v.recipient, v.receipt.rule_id) for v in decision.views] == [(party, "rule-role")]
    assert decision.refusals == ()


HOST = "host authority (no active out-of-area placement): not known"
UNRESOLVED = [
    # role, service, event, state, the reason after "role <label>: "
    (
        "resident_authority",
        None,
        _child(resident_la="SCO"),
        EMPTY,
        "resident authority: no children_services party for LA SCO",
    ),
    (
        "resident_authority",
        None,
        _age_unknown(),
        EMPTY,
        "resident authority: whether the person is a child or an adult is not known",
    ),
    (
        "resident_authority",
        "education",
        _child(resident_la="NUK"),
        EMPTY,
        "resident authority: no education party for LA NUK",
    ),
    (
        "responsible_authority",
        None,
        _child(**NOT_RESPONSIBLE),
        EMPTY,
        "responsible authority (not looked after, or not known): not known",
    ),
    (
        "responsible_authority",
        None,
        _child(responsible_la="808"),
        EMPTY,
        "responsible authority (not looked after, or not known): no children_services party "
        "for LA 808",
    ),
    ("host_authority", None, _child(), EMPTY, HOST),
    ("host_authority", None, _child(), placed("929", "929"), HOST),
    ("host_authority", None, _child(), placed("929", None), HOST),
    (
        "host_authority",
        None,
        _child(),
        placed("929", "808"),
        "host authority: no children_services party for LA 808",
    ),
    (
        "police_for_area",
        None,
        _child(resident_la="NUK"),
        EMPTY,
        "police for the area: no police party covers LA NUK",
    ),
    (
        "police_for_host_area",
        None,
        _child(),
        EMPTY,
        "police for the host area: the area is not known",
    ),
    (
        "police_for_host_area",
        None,
        _child(),
        placed("929", "808"),
        "police for the host area: no police party covers LA 808",
    ),
    (
        "police_for_responsible_area",
        None,
        _child(**NOT_RESPONSIBLE),
        EMPTY,
        "police for the responsible area: the area is not known",
    ),
    (
        "police_for_responsible_area",
        None,
        _child(responsible_la="808"),
        EMPTY,
        "police for the responsible area: no police party covers LA 808",
    ),
    (
        "health_for_area",
        None,
        _child(resident_la="943"),
        EMPTY,
        "health for the area: no health party covers LA 943",
    ),
    (
        "school",
        None,
        _child(resident_la="SCO"),
        EMPTY,
        "the pupil's school: no education party for LA SCO",
    ),
    (
        "school",
        None,
        _child(resident_la="NUK", school_urn="122345"),
        EMPTY,
        "the pupil's school: no education party for LA NUK",
    ),
]
_UNRESOLVED_IDS = [
    f"{case[0]}-{case[4].split(': ', 1)[1].replace(' ', '-')}" for case in UNRESOLVED
]


@pytest.mark.parametrize(
    ("role", "service", "event", "state", "reason"),
    UNRESOLVED,
    ids=[f"{i}-{name}" for i, name in enumerate(_UNRESOLVED_IDS)],
)
def test_an_unresolved_role_reaches_no_one_with_the_reason(
    role: str, service: str | None, event: dict[str, Any], state: RoutingState, reason: str
) -> None:
    """A role whose LA or area is unknown, or has no party, is refused under its rule with
    nobody named and the reason, written with the role as the protocol writes it."""
    decision = _decide_role(role, event, state, service=service)
    label = role if service is None else f"{role}:{service}"

    assert decision.views == ()
    assert decision.refusals == (Refusal(None, "rule-role", f"role {label}: {reason}"),)


def test_a_role_that_resolves_to_the_publisher_is_refused_as_the_publisher() -> None:
    """The force for a person in its own area is not sent its own report."""
    decision = _decide_role("police_for_area", _child(resident_la="W06000001"))

    assert decision.views == ()
    assert decision.refusals == (Refusal(TEST_FORCE, "rule-role", "recipient is the publisher"),)


def test_a_role_and_a_named_party_that_coincide_are_served_once() -> None:
    """A role resolving to a party the rule also names is served once, then refused as served."""
    protocol = partnership_protocol(
        make_rule(
            id="rule-both",
            publishers=[TEST_FORCE],
            recipients=["northumberland-childrens", {"role": "resident_authority"}],
        ),
        extra_parties=(TEST_FORCE_PARTY,),
    )

    decision = decide(parse_notification(_child()), protocol, NOW)

    assert [(v.recipient, v.receipt.rule_id) for v in decision.views] == [
        ("northumberland-childrens", "rule-both")
    ]
    assert decision.refusals == (
        Refusal("northumberland-childrens", "rule-both", "already served by rule rule-both"),
    )


def test_the_most_recent_active_out_of_area_placement_decides_the_host() -> None:
    """With two active out-of-area placements, the later one's host is the host authority,
    and an in-area placement after them does not take its place."""
    state = RoutingState(
        placements=(
            ActivePlacement("PL-1", "929", "391"),
            ActivePlacement("PL-2", "929", "840"),
            ActivePlacement("PL-3", "929", "929"),
        )
    )

    decision = _decide_role("host_authority", _child(), state)

    assert [v.recipient for v in decision.views] == ["durham-childrens"]


def test_the_host_area_is_where_the_person_is_while_placed() -> None:
    """A child living in Northumberland but placed in Durham: the police and health for the
    area are Durham's, the resident authority still Northumberland."""
    state = placed("929", "840")
    told = {
        role: [v.recipient for v in _decide_role(role, _child(), state).views]
        for role in ("police_for_area", "health_for_area", "resident_authority")
    }

    assert told == {
        "police_for_area": ["durham-constabulary"],
        "health_for_area": ["durham-darlington-health"],
        "resident_authority": ["northumberland-childrens"],
    }


ROLE_RULE = """
id: t
title: t
version: "1"
parties:
  - {id: p, name: P, kind: police, areas: ["929"]}
rules:
  - id: r
    types: [uk.sehub.missing_episode.started.v1]
    publishers: [p]
    recipients: [RECIPIENT]
    fields: [data.person]
    purpose: p
    lawful_basis: [b]
    retention: P1Y
"""


@pytest.mark.parametrize(
    "recipient",
    [
        "{role: police_for_area, service: education}",
        "{role: school, service: education}",
        "{role: resident_authority, service: police}",
        "{role: resident_authority, service: school}",
        "{role: nobody_in_particular}",
    ],
)
def test_a_service_is_for_a_council_role_and_names_a_council_service(recipient: str) -> None:
    """``service`` is refused on a role that is not a council's, or naming no council service,
    and an unknown role is refused: the protocol does not load."""
    with pytest.raises(ProtocolError, match=r"rules\[0\]\.recipients"):
        parse_protocol(ROLE_RULE.replace("RECIPIENT", recipient).encode())
