"""The pure sharing decision: golden cases for the shipped protocol, and properties."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sharing import (
    ALWAYS_SHARED,
    ActivePlacement,
    Decision,
    Refusal,
    RiskTold,
    RoutingState,
    decide,
)
from protocols import PartyKind, Protocol, Role, RoleRecipient, Rule, load_protocol
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    ADULTS,
    CHILDRENS,
    DURHAM,
    DURHAM_POLICE,
    EDUCATION,
    ENDED,
    NEWCASTLE,
    NOW,
    POLICE,
    PROTOCOL_PATH,
    STARTED,
    VALID_UPN,
    documented_example,
    leaf_paths,
    make_ended_event,
    make_event,
    make_protocol,
    make_rule,
)

PARTIES = (POLICE, CHILDRENS, ADULTS, EDUCATION)
SUBJECT = "CASE-7781"
PLACEMENT_STARTED = "uk.sehub.placement.started.v1"

TO_POLICE = "missing-child-from-council-to-police"
BETWEEN_COUNCILS = "missing-child-between-councils"
TO_COUNCILS = "missing-child-from-police-to-councils"
BETWEEN_FORCES = "missing-child-between-forces"
TO_SCHOOL = "missing-pupil-to-school"
TO_SCHOOL_FROM_COUNCIL = "missing-pupil-to-school-from-council"
AT_18 = "still-missing-at-18-to-adult-services"
CLOCK = "return-interview-overdue"

GDPR = ("UK GDPR Art 6(1)(e) (public task)", "UK GDPR Art 9(2)(g) (substantial public interest)")
DPA = "DPA 2018 Sch 1 para 18 (safeguarding of children and individuals at risk)"
BASIS = {
    TO_POLICE: (*GDPR, DPA, "Crime and Disorder Act 1998 s115", "Children Act 2004 s11"),
    TO_COUNCILS: (
        *GDPR,
        DPA,
        "Children Act 1989 s17 or s47 (as the council's enquiries decide)",
        "Children Act 2004 s11",
    ),
    TO_SCHOOL: (
        *GDPR,
        DPA,
        "Children Act 2004 s10, and s11 (the duty of the agency that shares)",
        "Education Act 2002 s175 (maintained schools) or s157 (academies and independent schools)",
    ),
}
BASIS[TO_SCHOOL_FROM_COUNCIL] = BASIS[TO_SCHOOL]
# NOW is Saturday 28 November 2026, 22:00 GMT: the school's deadline is 'next school day 08:30',
# Monday 30 November 08:30 (GMT, so 08:30 UTC); the others are one hour.
ACKNOWLEDGE = {
    TO_POLICE: NOW + timedelta(hours=1),
    TO_COUNCILS: NOW + timedelta(hours=1),
    TO_SCHOOL: datetime(2026, 11, 30, 8, 30, tzinfo=UTC),
}
ACKNOWLEDGE[TO_SCHOOL_FROM_COUNCIL] = ACKNOWLEDGE[TO_SCHOOL]
NO_HOST = "role host_authority: host authority (no active out-of-area placement): not known"
NO_RESPONSIBLE = (
    "role responsible_authority: responsible authority (not looked after, or not known): not known"
)
NO_RESPONSIBLE_FORCE = (
    "role police_for_responsible_area: police for the responsible area: the area is not known"
)
PUBLISHER = "recipient is the publisher"
# Children's services' own child, living with them: they and their force are the only council
# and force it has, and they are the publisher.
FROM_CHILDRENS_STARTED = (
    Refusal(POLICE, TO_POLICE, f"already served by rule {TO_POLICE}"),
    Refusal(None, BETWEEN_COUNCILS, NO_HOST),
    Refusal(CHILDRENS, BETWEEN_COUNCILS, PUBLISHER),
    Refusal(CHILDRENS, BETWEEN_COUNCILS, PUBLISHER),
)
# The ended report names no responsible LA: no responsible council or its force, no adult social
# care (only the responsible council tells it), and the return-interview clock alerts the police
# for the area only.
FROM_CHILDRENS_ENDED = (
    Refusal(None, TO_POLICE, NO_RESPONSIBLE_FORCE),
    Refusal(None, BETWEEN_COUNCILS, NO_HOST),
    Refusal(None, BETWEEN_COUNCILS, NO_RESPONSIBLE),
    Refusal(CHILDRENS, BETWEEN_COUNCILS, PUBLISHER),
    Refusal(None, AT_18, "condition not met: publisher_is responsible_authority"),
    Refusal(None, CLOCK, NO_RESPONSIBLE),
    Refusal(None, CLOCK, NO_RESPONSIBLE_FORCE),
)
FROM_POLICE_STARTED = (
    Refusal(CHILDRENS, TO_COUNCILS, f"already served by rule {TO_COUNCILS}"),
    Refusal(None, TO_COUNCILS, NO_HOST),
    Refusal(POLICE, BETWEEN_FORCES, PUBLISHER),
    Refusal(POLICE, BETWEEN_FORCES, PUBLISHER),
)
FROM_POLICE_ENDED = (
    Refusal(None, TO_COUNCILS, NO_RESPONSIBLE),
    Refusal(None, TO_COUNCILS, NO_HOST),
    Refusal(POLICE, BETWEEN_FORCES, PUBLISHER),
    Refusal(None, BETWEEN_FORCES, NO_RESPONSIBLE_FORCE),
)
PERSON_WITHHELD_FROM_SCHOOL = (
    "data.person.date_of_birth",
    "data.person.local_id",
    "data.person.nhs_number",
    "data.person.resident_la",
    "data.person.sex",
)


@pytest.fixture(scope="module")
def shipped() -> Protocol:
    """The partnership protocol as shipped."""
    return load_protocol(PROTOCOL_PATH)


def _envelope(event: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key not in {"data", "subject"}}


def _decide(event: dict[str, Any], protocol: Protocol) -> Decision:
    return decide(parse_notification(event), protocol, NOW)


def _by_recipient(decision: Decision) -> dict[str, Any]:
    views = {view.recipient: view for view in decision.views}
    assert len(views) == len(decision.views), "a recipient was given more than one view"
    return views


# Each case: the event, per recipient (rule id, kept data, withheld paths), then the refusals.
Case = tuple[dict[str, Any], dict[str, tuple[str, Any, tuple[str, ...]]], tuple[Refusal, ...]]

_STARTED_FOR_SCHOOL = {
    "person": {"upn": VALID_UPN},
    "missing_type": "missing",
    "started_on": "2026-11-28",
}
_STARTED_WITHHELD_FROM_SCHOOL = (
    "data.last_seen_location",
    "data.looked_after",
    *PERSON_WITHHELD_FROM_SCHOOL,
    "data.person.responsible_la",
    "data.risk_level",
    "data.started_at",
    "subject",
)


def _without_nhs_number(data: Mapping[str, Any]) -> dict[str, Any]:
    person = {k: v for k, v in data["person"].items() if k != "nhs_number"}
    return {**data, "person": person}


def _started_from_childrens() -> Case:
    event = make_event(subject=SUBJECT)
    return (
        event,
        {
            POLICE: (
                TO_POLICE,
                _without_nhs_number(event["data"]),
                ("data.person.nhs_number", "subject"),
            ),
            EDUCATION: (TO_SCHOOL_FROM_COUNCIL, _STARTED_FOR_SCHOOL, _STARTED_WITHHELD_FROM_SCHOOL),
        },
        FROM_CHILDRENS_STARTED,
    )


def _started_from_police() -> Case:
    event = make_event(source=source_for_agency(POLICE), subject=SUBJECT)
    return (
        event,
        {
            CHILDRENS: (TO_COUNCILS, event["data"], ("subject",)),
            EDUCATION: (TO_SCHOOL, _STARTED_FOR_SCHOOL, _STARTED_WITHHELD_FROM_SCHOOL),
        },
        FROM_POLICE_STARTED,
    )


def _ended_view_for_school() -> dict[str, Any]:
    return {
        "person": {"upn": VALID_UPN},
        "missing_type": "missing",
        "started_on": "2026-11-28",
        "ended_on": "2026-11-30",
    }


_ENDED_WITHHELD_FROM_SCHOOL = (
    "data.end_reason",
    "data.ended_at",
    "data.found_location",
    "data.looked_after",
    *PERSON_WITHHELD_FROM_SCHOOL,
    "data.return_interview_due",
    "subject",
)


def _ended_from_childrens() -> Case:
    event = make_ended_event(subject=SUBJECT)
    return (
        event,
        {
            POLICE: (
                TO_POLICE,
                _without_nhs_number(event["data"]),
                ("data.person.nhs_number", "subject"),
            ),
            EDUCATION: (
                TO_SCHOOL_FROM_COUNCIL,
                _ended_view_for_school(),
                _ENDED_WITHHELD_FROM_SCHOOL,
            ),
        },
        FROM_CHILDRENS_ENDED,
    )


def _ended_from_police() -> Case:
    event = make_ended_event(source=source_for_agency(POLICE), subject=SUBJECT)
    return (
        event,
        {
            CHILDRENS: (TO_COUNCILS, event["data"], ("subject",)),
            EDUCATION: (TO_SCHOOL, _ended_view_for_school(), _ENDED_WITHHELD_FROM_SCHOOL),
        },
        FROM_POLICE_ENDED,
    )


@pytest.mark.parametrize(
    "case",
    [_started_from_childrens, _started_from_police, _ended_from_childrens, _ended_from_police],
    ids=[
        "started-from-childrens",
        "started-from-police",
        "ended-from-childrens",
        "ended-from-police",
    ],
)
def test_shipped_protocol_golden_views(
    shipped: Protocol,
    case: Callable[[], Case],
) -> None:
    """Each shipped rule gives exactly its recipients the allow-listed fields, with a receipt."""
    event, expected, refusals = case()
    decision = _decide(event, shipped)
    views = _by_recipient(decision)

    assert set(views) == set(expected)
    assert decision.refusals == refusals
    for recipient, (rule_id, data, withheld) in expected.items():
        view = views[recipient]
        assert view.event == {**_envelope(event), "data": data}
        assert view.receipt.rule_id == rule_id
        assert view.receipt.lawful_basis == BASIS[rule_id]
        assert view.receipt.withheld == tuple(sorted(withheld))
        assert view.receipt.acknowledge_by == ACKNOWLEDGE[rule_id]
        assert view.receipt.protocol_version == shipped.version_tag
        assert view.receipt.purpose


def test_police_never_learn_from_themselves_and_education_never_learns_where(
    shipped: Protocol,
) -> None:
    """The school's view never holds a location, and a publisher is never sent its own event."""
    for event in (
        make_event(),
        make_ended_event(),
        make_event(source=source_for_agency(POLICE)),
        make_ended_event(source=source_for_agency(POLICE)),
    ):
        decision = _decide(event, shipped)
        views = _by_recipient(decision)
        assert decision.publisher not in views
        school = views[EDUCATION].event["data"]
        assert "last_seen_location" not in school
        assert "found_location" not in school


def test_decision_identifies_the_notification(shipped: Protocol) -> None:
    """The decision carries the notification id, type, publisher and the protocol version tag."""
    decision = _decide(make_ended_event(id="evt-42"), shipped)

    assert decision.notification_id == "evt-42"
    assert decision.notification_type == ENDED
    assert decision.publisher == CHILDRENS
    assert decision.protocol_version == shipped.version_tag


@pytest.mark.parametrize(
    "publisher",
    [
        ADULTS,
        EDUCATION,
        "northumberland-licensing",
        "northumbria-healthcare",
        "school-100001",
        "synthetic-care-homes",
        "elsewhere-council",
    ],
)
@pytest.mark.parametrize("builder", [make_event, make_ended_event], ids=["started", "ended"])
def test_deny_by_default_for_a_publisher_no_rule_names(
    shipped: Protocol, publisher: str, builder: Callable[..., dict[str, Any]]
) -> None:
    """A publisher no rule names gets nobody told and one refusal naming type and publisher."""
    event = builder(source=source_for_agency(publisher))
    decision = _decide(event, shipped)

    assert decision.views == ()
    assert len(decision.refusals) == 1
    refusal = decision.refusals[0]
    assert refusal.recipient is None
    assert refusal.rule_id is None
    assert event["type"] in refusal.reason
    assert publisher in refusal.reason


def test_deny_by_default_for_a_type_no_rule_names() -> None:
    """A type no rule lists is refused even when the publisher is named by a rule."""
    protocol = make_protocol(make_rule(types=[ENDED]))
    decision = _decide(make_event(), protocol)

    assert decision.views == ()
    assert [(r.recipient, r.rule_id) for r in decision.refusals] == [(None, None)]
    assert STARTED in decision.refusals[0].reason
    assert CHILDRENS in decision.refusals[0].reason


def test_publisher_listed_as_recipient_is_refused_with_a_reason() -> None:
    """A rule that lists the publisher among recipients records a refusal instead of a view."""
    protocol = make_protocol(make_rule(id="rule-a", recipients=[CHILDRENS, POLICE]))
    decision = _decide(make_event(), protocol)

    assert [view.recipient for view in decision.views] == [POLICE]
    assert len(decision.refusals) == 1
    refusal = decision.refusals[0]
    assert refusal.recipient == CHILDRENS
    assert refusal.rule_id == "rule-a"
    assert "publisher" in refusal.reason


def test_recipient_covered_by_two_rules_is_served_once_by_the_first() -> None:
    """The first rule in file order serves a recipient; a later rule for it is refused."""
    protocol = make_protocol(
        make_rule(id="rule-narrow", recipients=[POLICE], fields=["data.missing_type"]),
        make_rule(id="rule-wide", recipients=[POLICE, ADULTS], fields=["data"]),
    )
    decision = _decide(make_event(), protocol)
    views = _by_recipient(decision)

    assert set(views) == {POLICE, ADULTS}
    assert views[POLICE].receipt.rule_id == "rule-narrow"
    assert views[POLICE].event["data"] == {"missing_type": "missing"}
    assert views[ADULTS].receipt.rule_id == "rule-wide"
    assert len(decision.refusals) == 1
    refusal = decision.refusals[0]
    assert refusal.recipient == POLICE
    assert refusal.rule_id == "rule-wide"
    assert "rule-narrow" in refusal.reason


@pytest.mark.parametrize(
    ("within", "delta"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h", timedelta(hours=1)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
    ],
)
def test_acknowledge_by_is_now_plus_the_rule_duration(within: str, delta: timedelta) -> None:
    """The receipt's acknowledgement deadline is ``now`` plus the rule's duration."""
    protocol = make_protocol(make_rule(acknowledge_within=within))
    (view,) = _decide(make_event(), protocol).views

    assert view.receipt.acknowledge_by == NOW + delta


def test_acknowledge_by_is_none_when_the_rule_sets_no_deadline() -> None:
    """A rule without ``acknowledge_within`` gives a receipt with no deadline."""
    protocol = make_protocol(make_rule(acknowledge_within=None))
    (view,) = _decide(make_event(), protocol).views

    assert view.receipt.acknowledge_by is None


def test_subject_is_withheld_unless_allow_listed() -> None:
    """The personal ``subject`` attribute travels only when a rule lists it."""
    event = make_event(subject=SUBJECT)
    without = make_protocol(make_rule(fields=["data.missing_type"]))
    with_subject = make_protocol(make_rule(fields=["data.missing_type", "subject"]))

    (hidden,) = _decide(event, without).views
    (shown,) = _decide(event, with_subject).views

    assert "subject" not in hidden.event
    assert "subject" in hidden.receipt.withheld
    assert shown.event["subject"] == SUBJECT
    assert "subject" not in shown.receipt.withheld


def test_envelope_identity_always_travels() -> None:
    """id, source, type, time, episodeid and the other envelope keys are kept under any rule."""
    event = make_event(correlationid="corr-1", dataschema="https://example.invalid/s.json")
    protocol = make_protocol(make_rule(fields=["data.missing_type"]))
    (view,) = _decide(event, protocol).views

    for key in ("id", "source", "type", "time", "episodeid", "correlationid", "dataschema"):
        assert view.event[key] == event[key]
    assert view.event["data"] == {"missing_type": "missing"}


def test_a_path_allows_its_whole_subtree() -> None:
    """Allow-listing ``data.person`` keeps every identifier under it and nothing beside it."""
    event = make_event()
    (view,) = _decide(event, make_protocol(make_rule(fields=["data.person"]))).views

    assert view.event["data"] == {"person": event["data"]["person"]}
    assert not any(path.startswith("data.person") for path in view.receipt.withheld)


def test_an_allowed_path_absent_from_the_event_adds_nothing() -> None:
    """An allow-listed field the event does not hold is neither kept nor invented."""
    event = make_event()
    del event["data"]["last_seen_location"]
    (view,) = _decide(event, make_protocol(make_rule(fields=["data.last_seen_location"]))).views

    assert "data" not in view.event
    assert "data.missing_type" in view.receipt.withheld


# --- properties --------------------------------------------------------------------------------
#
# Protocols are drawn over the builders' parties (four Northumberland publishers, plus Newcastle
# and Durham children's services and Durham Constabulary, which only ever receive), with party
# and role recipients (some naming a council service), optional conditions (the publisher's
# authority and a placement claim among them) and identifiers a view must hold. Events are
# missing episodes and placements, and the routing state holds random placements, out of area,
# in area or confidential, so roles resolve, fail to resolve, or resolve to the publisher or to
# a party already served.

_T = TypeVar("_T")

_OPTIONAL_TOP = ("subject", "correlationid", "dataschema", "episodeid")
_OPTIONAL_DATA = {
    STARTED: ("started_at", "risk_level", "last_seen_location"),
    ENDED: ("found_location",),  # ended_at fixes return_interview_due, so it stays
    PLACEMENT_STARTED: ("provider", "urn", "legal_status"),
}
_OPTIONAL_PERSON = ("nhs_number", "upn", "date_of_birth", "sex", "responsible_la")
_TYPES = (STARTED, ENDED, PLACEMENT_STARTED)
RISK_ORDER = {"no_apparent_risk": 0, "low": 1, "medium": 2, "high": 3}
_HOSTS = ("391", "840", "942", "929")  # Newcastle, Durham, Cumberland (no party), in area
_ROLES = (
    *({"role": role.value} for role in Role),
    {"role": "resident_authority", "service": "education"},
    {"role": "host_authority", "service": "adult_services"},
)
_RECIPIENTS: tuple[str | dict[str, str], ...] = (
    *PARTIES,
    NEWCASTLE,
    DURHAM,
    DURHAM_POLICE,
    *_ROLES,
)
_CONDITIONS: tuple[dict[str, Any], ...] = (
    {},
    {},
    {"child": True},
    {"adult": True},
    {"cross_border": True},
    {"cross_border": False},
    {"looked_after": True},
    {"risk_at_least": "medium"},
    {"match": {"data.missing_type": "missing"}},
    {"publisher_is": ["responsible_authority"]},
    {"publisher_is": ["resident_authority", "host_authority"]},
    {"claim_conflicts": False},
    {"claim_conflicts": True},
)


def _placement_event(publisher: str, host_la: str | None) -> dict[str, Any]:
    """The documented placement, in ``host_la`` (in area for 929; confidential for None)."""
    event = documented_example(
        "placement.started",
        source=source_for_agency(publisher),
        subject=SUBJECT,
        correlationid="corr-1",
        dataschema="https://example.invalid/schema.json",
    )
    data = event["data"]
    if host_la is None:
        for key in ("host_la", "out_of_area", "placement_postcode", "distance_miles", "urn"):
            del data[key]
        data["confidential"] = True
    else:
        data["host_la"] = host_la
        data["out_of_area"] = host_la != data["placing_la"]
    return event


def _full_event(kind: str, publisher: str, host_la: str | None = "391") -> dict[str, Any]:
    if kind == PLACEMENT_STARTED:
        return _placement_event(publisher, host_la)
    builder = make_event if kind == STARTED else make_ended_event
    return builder(
        source=source_for_agency(publisher),
        subject=SUBJECT,
        correlationid="corr-1",
        dataschema="https://example.invalid/schema.json",
    )


_CANDIDATE_PATHS = sorted(
    leaf_paths(_full_event(STARTED, CHILDRENS))
    | leaf_paths(_full_event(ENDED, CHILDRENS))
    | leaf_paths(_full_event(PLACEMENT_STARTED, CHILDRENS))
    | {"data", "data.person", "data.person.nhs_number.digits", "data.nowhere", "elsewhere"}
)


@st.composite
def events(
    draw: st.DrawFn,
    publishers: tuple[str, ...] = PARTIES,
    types: tuple[str, ...] = _TYPES,
) -> dict[str, Any]:
    """A valid event of one of ``types`` with a random subset of its optional fields present."""
    kind = draw(st.sampled_from(types))
    host_la = draw(st.sampled_from((*_HOSTS, None)))
    event = _full_event(kind, draw(st.sampled_from(publishers)), host_la)
    for key in _OPTIONAL_TOP:
        if draw(st.booleans()):
            del event[key]
    for key in _OPTIONAL_DATA[kind]:
        if draw(st.booleans()):
            event["data"].pop(key, None)
    for key in _OPTIONAL_PERSON:
        if draw(st.booleans()):
            event["data"]["person"].pop(key, None)
    if "risk_level" in event["data"]:
        event["data"]["risk_level"] = draw(st.sampled_from(sorted(RISK_ORDER)))
    return event


@st.composite
def states(draw: st.DrawFn) -> RoutingState:
    """Routing state with zero to two active placements (out of area, in area or confidential)."""
    hosts = draw(st.lists(st.sampled_from((*_HOSTS, None)), max_size=2))
    placing = draw(st.sampled_from(("929", "391")))
    return RoutingState(
        placements=tuple(
            ActivePlacement(f"PL-{index}", placing, host) for index, host in enumerate(hosts)
        )
    )


def _subset(items: Sequence[_T]) -> st.SearchStrategy[list[_T]]:
    """A non-empty subset of ``items``, drawn as one bit mask (cheap to generate and shrink)."""
    return st.integers(min_value=1, max_value=2 ** len(items) - 1).map(
        lambda mask: [item for bit, item in enumerate(items) if mask >> bit & 1]
    )


_PARTY_SUBSETS = _subset(PARTIES)
_RECIPIENT_SUBSETS = _subset(_RECIPIENTS)
_FIELD_SUBSETS = _subset(_CANDIDATE_PATHS)


@st.composite
def protocols(draw: st.DrawFn, types: tuple[str, ...] = _TYPES) -> Protocol:
    """A protocol of 1-5 rules over the builders' parties and roles, types and field paths."""
    count = draw(st.integers(min_value=1, max_value=5))
    type_subsets = _subset(types)
    rules = [
        make_rule(
            id=f"rule-{index}",
            types=draw(type_subsets),
            publishers=draw(_PARTY_SUBSETS),
            recipients=draw(_RECIPIENT_SUBSETS),
            when=draw(st.sampled_from(_CONDITIONS)),
            fields=draw(_FIELD_SUBSETS),
            identify_by=draw(st.sampled_from([[], ["data.person.upn"], ["data.person"]])),
            withdraw=draw(st.booleans()),
            acknowledge_within=draw(
                st.sampled_from([None, "30m", "2h", "3d", "next school day 08:30"])
            ),
        )
        for index in range(count)
    ]
    return make_protocol(*rules)


def _decide_in(event: dict[str, Any], protocol: Protocol, state: RoutingState) -> Decision:
    return decide(parse_notification(event), protocol, NOW, state)


def _value_at(node: Mapping[str, Any], path: str) -> Any:
    current: Any = node
    for part in path.split("."):
        current = current[part]
    return current


def _allowed(leaf: str, fields: tuple[str, ...]) -> bool:
    if "." not in leaf and leaf in ALWAYS_SHARED:
        return True
    return any(leaf == path or leaf.startswith(path + ".") for path in fields)


def _role_party(
    recipient: RoleRecipient, protocol: Protocol, event: Mapping[str, Any], state: RoutingState
) -> str | None:
    """An independent reading of the roles (every generated event is about a child)."""
    data = event["data"]
    person = data["person"]
    # A placement event says where it is; an older placement in the state is not its host.
    host = data.get("host_la") if data.get("out_of_area") is True else None
    if not event["type"].startswith("uk.sehub.placement."):
        away = [p.host_la for p in state.placements if p.host_la not in (None, p.placing_la)]
        host = host or (away[-1] if away else None)
    # The active placement's placing LA, else what the person or the placement names.
    last = state.placements[-1].placing_la if state.placements else None
    responsible = last or person.get("responsible_la") or data.get("placing_la")
    area = host or person["resident_la"]
    council = recipient.service or PartyKind.CHILDREN_SERVICES
    wanted = {
        Role.RESIDENT_AUTHORITY: (council, person["resident_la"]),
        Role.RESPONSIBLE_AUTHORITY: (council, responsible),
        Role.HOST_AUTHORITY: (council, host),
        Role.POLICE_FOR_AREA: (PartyKind.POLICE, area),
        Role.POLICE_FOR_HOST_AREA: (PartyKind.POLICE, host),
        Role.POLICE_FOR_RESPONSIBLE_AREA: (PartyKind.POLICE, responsible),
        Role.HEALTH_FOR_AREA: (PartyKind.HEALTH, area),
        Role.SCHOOL: (PartyKind.EDUCATION, area),  # the builders' parties hold no school
    }
    kind, la = wanted[recipient.role]
    for party in protocol.parties:
        covers = la in party.areas if kind is PartyKind.POLICE else party.la_code == la
        if la is not None and party.kind is kind and covers:
            return party.id
    return None


def _may_receive(
    rule: Rule, protocol: Protocol, event: Mapping[str, Any], state: RoutingState
) -> set[str]:
    named = set(rule.named_recipients)
    roles = [r for r in rule.recipients if isinstance(r, RoleRecipient)]
    resolved = {_role_party(role, protocol, event, state) for role in roles}
    return named | {party for party in resolved if party is not None}


@settings(max_examples=150, deadline=None)
@given(protocol=protocols(), event=events(), state=states())
def test_views_hold_only_allowed_leaves_and_account_for_every_leaf(
    protocol: Protocol, event: dict[str, Any], state: RoutingState
) -> None:
    """No view holds a leaf outside its rule's allow-list; kept and withheld cover the input."""
    rules = {rule.id: rule for rule in protocol.rules}
    input_leaves = leaf_paths(event)
    for view in _decide_in(event, protocol, state).views:
        fields = rules[view.receipt.rule_id].fields
        kept = leaf_paths(view.event)
        withheld = set(view.receipt.withheld)
        for leaf in kept:
            assert _allowed(leaf, fields), leaf
            assert _value_at(view.event, leaf) == _value_at(event, leaf)
        assert not any(_allowed(leaf, fields) for leaf in withheld)
        assert kept | withheld == input_leaves
        assert not kept & withheld
        assert len(withheld) == len(view.receipt.withheld)


@settings(max_examples=100, deadline=None)
@given(
    protocol=protocols(),
    event=events(publishers=(DURHAM_POLICE, NEWCASTLE, "elsewhere-council")),
    state=states(),
)
def test_unknown_publishers_are_never_shared(
    protocol: Protocol, event: dict[str, Any], state: RoutingState
) -> None:
    """An event from an agency no rule names as publisher is shared with nobody."""
    decision = _decide_in(event, protocol, state)

    assert decision.views == ()
    assert [(r.recipient, r.rule_id) for r in decision.refusals] == [(None, None)]


@settings(max_examples=100, deadline=None)
@given(data=st.data(), event=events(), state=states())
def test_types_no_rule_lists_are_never_shared(
    data: st.DataObject, event: dict[str, Any], state: RoutingState
) -> None:
    """An event whose type no rule lists is shared with nobody, whoever published it."""
    others = tuple(
        kind for kind in (*_TYPES, "uk.sehub.placement.ended.v1") if kind != event["type"]
    )
    protocol = data.draw(protocols(types=others))
    decision = _decide_in(event, protocol, state)

    assert decision.views == ()
    assert [(r.recipient, r.rule_id) for r in decision.refusals] == [(None, None)]


@settings(max_examples=100, deadline=None)
@given(protocol=protocols(), event=events(), state=states(), data=st.data())
def test_removing_a_rule_never_adds_a_recipient(
    protocol: Protocol, event: dict[str, Any], state: RoutingState, data: st.DataObject
) -> None:
    """Dropping any one rule from a protocol can only shrink the set of recipients told."""
    index = data.draw(st.integers(min_value=0, max_value=len(protocol.rules) - 1))
    fewer = protocol.model_copy(
        update={"rules": protocol.rules[:index] + protocol.rules[index + 1 :]}
    )
    before = {view.recipient for view in _decide_in(event, protocol, state).views}
    after = {view.recipient for view in _decide_in(event, fewer, state).views}

    assert after <= before


@settings(max_examples=100, deadline=None)
@given(protocol=protocols(), event=events(), state=states())
def test_every_recipient_is_told_at_most_once_and_never_the_publisher(
    protocol: Protocol, event: dict[str, Any], state: RoutingState
) -> None:
    """Views name distinct recipients, none of them the publisher, each served by a named rule."""
    decision = _decide_in(event, protocol, state)
    recipients = [view.recipient for view in decision.views]

    assert len(recipients) == len(set(recipients))
    assert decision.publisher not in recipients
    for view in decision.views:
        rule = next(rule for rule in protocol.rules if rule.id == view.receipt.rule_id)
        assert view.recipient in _may_receive(rule, protocol, event, state)
        assert decision.publisher in rule.publishers
        assert decision.notification_type in rule.types


@settings(max_examples=60, deadline=None)
@given(protocol=protocols(), event=events(), state=states())
def test_every_recipient_of_an_applicable_rule_is_served_or_refused(
    protocol: Protocol, event: dict[str, Any], state: RoutingState
) -> None:
    """Each recipient an applying rule names ends as a view or a refusal under that rule."""
    decision = _decide_in(event, protocol, state)
    unmet = {r.rule_id for r in decision.refusals if r.reason.startswith("condition not met")}
    for rule in protocol.rules:
        applies = decision.notification_type in rule.types and decision.publisher in rule.publishers
        if not applies or rule.id in unmet:
            assert not [v for v in decision.views if v.receipt.rule_id == rule.id]
            continue
        served = [v for v in decision.views if v.receipt.rule_id == rule.id]
        refused = [r for r in decision.refusals if r.rule_id == rule.id]
        assert len(served) + len(refused) == len(rule.recipients)


_TOLD = st.builds(
    RiskTold,
    recipient=st.sampled_from((*PARTIES, NEWCASTLE, DURHAM, DURHAM_POLICE)),
    rule_id=st.sampled_from(("rule-0", "rule-1", "rule-2", "rule-gone")),
    level=st.sampled_from((None, *RISK_ORDER.values())),
    on_rmg=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(
    protocol=protocols(),
    event=events(types=(STARTED,)),
    state=states(),
    told=st.lists(_TOLD, max_size=4),
)
def test_a_withdrawal_goes_only_to_one_told_of_more_under_a_rule_still_covering_it(
    protocol: Protocol, event: dict[str, Any], state: RoutingState, told: list[RiskTold]
) -> None:
    """A withdrawal goes once, never to the publisher, only to a recipient told of a higher
    level under a withdrawing rule that still covers this type and publisher, and holds only
    that rule's fields."""
    state = RoutingState(placements=state.placements, told=tuple(told))
    decision = _decide_in(event, protocol, state)
    rules = {rule.id: rule for rule in protocol.rules}
    level = RISK_ORDER.get(event["data"].get("risk_level", ""))
    recipients = [view.recipient for view in decision.views]

    assert len(recipients) == len(set(recipients))
    assert decision.publisher not in recipients
    for view in decision.views:
        if not view.receipt.withdrawal:
            continue
        rule = rules[view.receipt.rule_id]
        assert rule.withdraw
        assert decision.notification_type in rule.types
        assert decision.publisher in rule.publishers
        assert level is not None
        assert any(
            t.recipient == view.recipient
            and t.rule_id == rule.id
            and t.level is not None
            and level < t.level
            for t in told
        )
        assert all(_allowed(leaf, rule.fields) for leaf in leaf_paths(view.event))
