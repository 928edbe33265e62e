"""The protocol's rule index, and decide() through it: the decisions a scan of every rule makes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.sharing import decide, decide_by_scan, explain
from protocols import PartyKind
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    CHILDRENS,
    ENDED,
    NOW,
    POLICE,
    STARTED,
    documented_examples,
    make_ladder,
    make_protocol,
    make_rule,
    partnership_protocol,
    placed,
    shipped_protocol,
)

PUBLISHERS = (
    "northumberland-childrens",
    "newcastle-childrens",
    "northumbria-police",
    "northumberland-adults",
    "northumberland-education",
)
RECIPIENTS: tuple[Any, ...] = (
    "northumbria-police",
    "northumberland-childrens",
    "durham-childrens",
    "northumberland-education",
    {"role": "resident_authority"},
    {"role": "responsible_authority"},
    {"role": "host_authority"},
    {"role": "police_for_area"},
    {"role": "school"},
)
WHENS: tuple[dict[str, Any], ...] = (
    {},
    {"child": True},
    {"adult": True},
    {"child": True, "se_marker": True},
    {"looked_after": True},
    {"cross_border": True},
    {"risk_at_least": "medium"},
    {"publisher_is": ["responsible_authority", "resident_authority"]},
    {"match": {"data.person.resident_la": "929"}},
    {"match": {"data.person.resident_la": ["391", "929"]}},
    {"match": {"data.end_reason": "found"}},
    {"match": {"data.person": "not-an-object"}},  # an object at the path: no signature
    {"child": True, "match": {"data.out_of_area": True}},
)
FIELDS: tuple[tuple[str, ...], ...] = (
    ("data.person",),
    ("data.person.upn", "data.person.resident_la", "data"),
    ("data.started_on", "data.person.date_of_birth", "subject"),
    ("data",),
)
EXAMPLES = documented_examples()
TYPES = tuple(example["type"] for example in EXAMPLES)


@st.composite
def generated_protocols(draw: st.DrawFn) -> Any:
    """A protocol over the shipped parties of 1 to 14 rules drawn from small pools."""
    count = draw(st.integers(min_value=1, max_value=14))
    rules = [
        make_rule(
            id=f"rule-{number:02d}",
            types=draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True)),
            publishers=draw(
                st.lists(st.sampled_from(PUBLISHERS), min_size=1, max_size=3, unique=True)
            ),
            recipients=draw(st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=3)),
            when=draw(st.sampled_from(WHENS)),
            fields=list(draw(st.sampled_from(FIELDS))),
            withdraw=draw(st.booleans()),
        )
        for number in range(count)
    ]
    return partnership_protocol(*rules)


def _variant(draw: st.DrawFn, example: dict[str, Any], publisher: str) -> Any:
    """``example`` from ``publisher``, about a person in one of three LAs, at a drawn risk."""
    person = {**example["data"]["person"]}
    person["resident_la"] = draw(st.sampled_from(("929", "391", "840")))
    data = {**example["data"], "person": person}
    if "grading" in data:
        data["grading"] = draw(st.sampled_from(("high", "medium", "low")))
    if example["type"] == STARTED:
        data["risk_level"] = draw(st.sampled_from(("no_apparent_risk", "low", "medium", "high")))
    return parse_notification({**example, "source": source_for_agency(publisher), "data": data})


@st.composite
def generated_notifications(draw: st.DrawFn) -> list[Any]:
    """Up to six variants of documented examples, mostly of one type from one publisher, so
    notifications the conditions tell apart meet the same rules."""
    example, publisher = draw(st.sampled_from(EXAMPLES)), draw(st.sampled_from(PUBLISHERS))
    variants = [_variant(draw, example, publisher) for _ in range(draw(st.integers(1, 5)))]
    other = draw(st.sampled_from(EXAMPLES)), draw(st.sampled_from(PUBLISHERS))
    return [*variants, _variant(draw, *other)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    protocol=generated_protocols(),
    notifications=generated_notifications(),
    state=st.sampled_from((None, placed("929", "391"), placed("391", None))),
)
def test_indexed_decide_equals_the_scan(protocol: Any, notifications: Any, state: Any) -> None:
    """Over generated protocols and notifications, decide() and the scan of every rule agree."""
    for notification in notifications:
        args = (
            (notification, protocol, NOW) if state is None else (notification, protocol, NOW, state)
        )
        scanned = decide_by_scan(*args)

        assert decide(*args) == scanned
        assert decide(*args) == scanned  # the second time from the memo


def test_rules_for_holds_exactly_the_rules_naming_the_pair_in_file_order() -> None:
    """The index lists the rules naming a (type, publisher), in file order, each once."""
    protocol = make_protocol(
        make_rule(id="rule-z", types=[STARTED, ENDED, STARTED], publishers=[CHILDRENS]),
        make_rule(id="rule-b", types=[ENDED], publishers=[CHILDRENS, POLICE]),
        make_rule(id="rule-a", types=[STARTED], publishers=[POLICE, CHILDRENS]),
    )

    index = protocol.index

    assert [rule.id for rule in index.rules_for(STARTED, CHILDRENS)] == ["rule-z", "rule-a"]
    assert [rule.id for rule in index.rules_for(ENDED, POLICE)] == ["rule-b"]
    assert index.rules_for(ENDED, "nobody") == ()


def test_the_index_answers_the_protocols_lookups_as_a_scan_would() -> None:
    """Parties by id and kind, ladders and may_publish read the index and agree with the fields."""
    protocol = make_protocol(
        make_rule(escalation="ladder-a"), escalations=[make_ladder(), make_ladder(id="ladder-b")]
    )

    for party in protocol.parties:
        assert protocol.find_party(party.id) is party
    for kind in PartyKind:
        assert protocol.parties_of(kind) == tuple(p for p in protocol.parties if p.kind is kind)
    assert protocol.ladder("ladder-b").id == "ladder-b"
    assert protocol.may_publish(CHILDRENS, STARTED)
    assert not protocol.may_publish(POLICE, STARTED)
    assert protocol.find_party("nobody") is None


def test_the_party_lookups_by_area_answer_as_a_scan_in_file_order_would() -> None:
    """By (kind, LA), by (kind, area covered) and by URN, the index finds the first a scan does."""
    protocol = partnership_protocol()
    index = protocol.index
    las = {p.la_code for p in protocol.parties if p.la_code} | {
        a for p in protocol.parties for a in p.areas
    }
    assert las
    for kind in PartyKind:
        of_kind = protocol.parties_of(kind)
        for la in (*sorted(las), "999"):
            by_la = next((p for p in of_kind if p.la_code == la), None)
            assert index.party_by_la.get((kind, la)) is by_la
            covering = next((p for p in of_kind if la in p.areas), None)
            assert index.party_covering.get((kind, la)) is covering
    for school in protocol.parties_of(PartyKind.SCHOOL):
        assert school.urn is not None
        assert index.school_by_urn[school.urn] is next(
            p for p in protocol.parties_of(PartyKind.SCHOOL) if p.urn == school.urn
        )


def test_a_copy_with_other_rules_gets_its_own_index() -> None:
    """model_copy does not validate: a copy with other rules must not answer from the old index."""
    protocol = make_protocol(make_rule(id="rule-a"))
    copied = protocol.model_copy(
        update={
            "rules": (
                *protocol.rules,
                *make_protocol(
                    make_rule(
                        id="rule-b", types=["uk.sehub.concern.raised.v1"], publishers=[POLICE]
                    )
                ).rules,
            )
        }
    )

    assert protocol.index.rules_for("uk.sehub.concern.raised.v1", POLICE) == ()
    assert [r.id for r in copied.index.rules_for("uk.sehub.concern.raised.v1", POLICE)] == [
        "rule-b"
    ]


def test_the_index_takes_no_part_in_comparing_protocols() -> None:
    """Two protocols with equal fields are equal whatever their indexes (each load builds one)."""
    first, second = make_protocol(make_rule()), make_protocol(make_rule())

    assert first.index is not second.index
    assert first == second
    assert first != make_protocol(make_rule(id="rule-other"))


def test_conditions_are_refused_in_file_order_around_the_rules_that_apply() -> None:
    """Refusals of unmet conditions keep their places between the rules that apply (file order)."""
    rules = [
        make_rule(id="rule-1", when={"adult": True}),
        make_rule(id="rule-2", recipients=["durham-childrens"]),
        make_rule(id="rule-3", when={"se_marker": True, "adult": True}),
        make_rule(id="rule-4", when={"adult": True}, recipients=["northumberland-education"]),
    ]
    protocol = make_protocol(*rules)
    example = next(e for e in EXAMPLES if e["type"] == STARTED)
    notification = parse_notification(example)

    decision = decide(notification, protocol, NOW)

    assert decision == decide_by_scan(notification, protocol, NOW)
    assert [(r.rule_id, r.reason) for r in decision.refusals[:3]] == [
        ("rule-1", "condition not met: adult"),
        ("rule-3", "condition not met: adult"),
        ("rule-4", "condition not met: adult"),
    ]


def test_the_shipped_protocol_decides_every_example_as_the_scan_does() -> None:
    """Under the shipped protocol, every documented example is decided and explained as scanned."""
    protocol = shipped_protocol()
    for example in EXAMPLES:
        notification = parse_notification(example)
        indexed, scanned = (
            decide(notification, protocol, NOW),
            decide_by_scan(notification, protocol, NOW),
        )

        assert indexed == scanned
        assert explain(indexed, protocol) == explain(scanned, protocol)


def test_notifications_told_apart_only_by_risk_are_decided_apart() -> None:
    """The memo keys on the risk: a high then a low risk meet and fail risk_at_least in turn."""
    protocol = make_protocol(make_rule(types=[STARTED], when={"risk_at_least": "medium"}))
    example = next(e for e in EXAMPLES if e["type"] == STARTED)
    high, low = (
        parse_notification({**example, "data": {**example["data"], "risk_level": level}})
        for level in ("high", "low")
    )

    assert [v.recipient for v in decide(high, protocol, NOW).views] == [POLICE]
    assert decide(low, protocol, NOW) == decide_by_scan(low, protocol, NOW)
    assert decide(low, protocol, NOW).views == ()
