"""Facts about a notification's subject (child or adult, SE marker, risk, placement, where they
live and who is responsible), the publisher's authorities for them, and the rule conditions
judged on those facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.sharing import ActivePlacement, Facts, Refusal, RoutingState, decide, facts_for
from protocols import Authority, Party
from schemas import agency_id_from_source, parse_notification, source_for_agency
from tests.unit.builders import (
    CHILDRENS,
    DELETE,
    NOW,
    POLICE,
    confidential_placement,
    documented_example,
    documented_from,
    make_event,
    make_protocol,
    make_rule,
    partnership_protocol,
    placed,
    placed_in,
    shipped_protocol,
)

EMPTY = RoutingState()
RESIDENT = Authority.RESIDENT_AUTHORITY
RESPONSIBLE = Authority.RESPONSIBLE_AUTHORITY
HOST = Authority.HOST_AUTHORITY
AS_PUBLISHED = object()  # the event's source, as the shipped protocol declares it


def _facts(
    event: dict[str, Any], state: RoutingState = EMPTY, publisher: Any = AS_PUBLISHED
) -> Facts:
    """The facts of ``event`` in ``state``; the publisher is the party that published it
    (None when it is not a party), unless another (a :class:`Party`, or None) is given."""
    notification = parse_notification(event)
    if publisher is AS_PUBLISHED:
        party_id = agency_id_from_source(notification.source)
        parties = {party.id: party for party in shipped_protocol().parties}
        publisher = parties.get(party_id)
    dumped = notification.model_dump(mode="json", exclude_none=True)
    return facts_for(notification, dumped, state, publisher=publisher)


def _missing(born: str | None, at: str, *, looked_after: bool = False) -> dict[str, Any]:
    """A police missing report at ``at`` about someone born on ``born`` (None: not known)."""
    on = datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/London")).date().isoformat()
    event = make_event(
        source=source_for_agency(POLICE),
        time=at,
        data={"looked_after": looked_after, "started_on": on},
    )
    if born is None:
        del event["data"]["person"]["date_of_birth"]
    else:
        event["data"]["person"]["date_of_birth"] = born
    return event


# --- child or adult ----------------------------------------------------------------------------

AGES = [
    ("2008-05-04", "2026-05-03T12:00:00Z", True, "17 years 364 days"),
    ("2008-05-04", "2026-05-04T12:00:00Z", False, "18th birthday"),
    ("2008-05-04", "2026-05-05T12:00:00Z", False, "18 and a day"),
    ("2008-02-29", "2026-02-28T12:00:00Z", True, "leap-day birthday, day before"),
    ("2008-02-29", "2026-03-01T12:00:00Z", False, "leap-day birthday, 1 March"),
    ("2026-11-28", "2026-11-28T21:40:00Z", True, "born today"),
    ("1950-01-01", "2026-11-28T21:40:00Z", False, "elderly"),
]


@pytest.mark.parametrize(("born", "at", "child", "why"), AGES, ids=[case[3] for case in AGES])
def test_child_or_adult_comes_from_the_date_of_birth_at_the_event_time(
    born: str, at: str, child: bool, why: str
) -> None:
    """Under 18 on the event's date is a child; from the 18th birthday on, an adult."""
    facts = _facts(_missing(born, at, looked_after=True))

    assert facts.child is child, why
    assert facts.adult is (not child)


@pytest.mark.parametrize(
    "at",
    [
        "2026-05-03T23:30:00Z",  # 00:30 BST on 4 May in England: the 18th birthday
        "2026-05-04T00:30:00+01:00",  # the same instant, written in BST
    ],
)
def test_age_is_judged_on_englands_date_whatever_the_offset(at: str) -> None:
    """An event at 00:30 BST on the 18th birthday is about an adult, however its time is written."""
    facts = _facts(_missing("2008-05-04", at))

    assert facts.child is False
    assert facts.adult is True


def test_age_is_judged_on_the_records_own_date_not_when_it_was_posted() -> None:
    """A report of going missing the day before the 18th birthday, posted after it, is a child's."""
    event = _missing("2008-05-04", "2026-05-05T09:00:00Z")
    event["data"]["started_on"] = "2026-05-03"
    assert _facts(event).child is True


@pytest.mark.parametrize(
    ("subject", "child"),
    [("child", True), ("adult", False)],
)
def test_without_a_date_of_birth_a_concern_says_child_or_adult(subject: str, child: bool) -> None:
    """A concern with no date of birth is about whoever its ``subject`` names."""
    event = documented_example(
        "concern.raised", data__subject=subject, data__person__date_of_birth=DELETE
    )

    assert _facts(event).child is child


@pytest.mark.parametrize(
    ("subject", "born", "child"),
    [("adult", "2010-02-14", True), ("child", "1990-02-14", False)],
)
def test_a_date_of_birth_outranks_the_concerns_subject(
    subject: str, born: str, child: bool
) -> None:
    """When a concern carries a date of birth, the age it gives decides child or adult."""
    event = documented_example(
        "concern.raised", data__subject=subject, data__person__date_of_birth=born
    )

    assert _facts(event).child is child


@pytest.mark.parametrize(
    "type_name",
    [
        "placement.started",
        "placement.ended",
        "return_interview.recorded",
        "education.concern_raised",
    ],
)
def test_placements_return_interviews_and_education_concerns_are_about_children(
    type_name: str,
) -> None:
    """Without a date of birth, these notification types are about a child by definition."""
    event = documented_example(type_name, data__person__date_of_birth=DELETE)

    assert _facts(event).child is True


def test_a_looked_after_missing_person_of_unknown_age_is_a_child() -> None:
    """A missing report with no date of birth but ``looked_after: true`` is about a child."""
    assert _facts(_missing(None, "2026-11-28T21:40:00Z", looked_after=True)).child is True


@pytest.mark.parametrize(
    "event",
    [
        _missing(None, "2026-11-28T21:40:00Z", looked_after=False),
        documented_example("se_risk.assessed", data__person__date_of_birth=DELETE),
    ],
    ids=["missing-not-looked-after", "se-risk"],
)
def test_an_unknown_age_is_neither_child_nor_adult(event: dict[str, Any]) -> None:
    """With no date of birth and nothing else to go on, both child and adult are unknown."""
    facts = _facts(event)

    assert facts.child is None
    assert facts.adult is None


@pytest.mark.parametrize("condition", ["child", "adult"])
def test_an_unknown_age_satisfies_neither_child_nor_adult_conditions(condition: str) -> None:
    """A rule that needs ``child: true`` (or ``adult: true``) refuses when the age is unknown."""
    protocol = make_protocol(
        make_rule(
            id="rule-age", publishers=[POLICE], recipients=[CHILDRENS], when={condition: True}
        )
    )
    event = _missing(None, "2026-11-28T21:40:00Z", looked_after=False)

    decision = decide(parse_notification(event), protocol, NOW)

    assert decision.views == ()
    assert decision.refusals[0] == Refusal(None, "rule-age", f"condition not met: {condition}")


@pytest.mark.parametrize(
    ("born", "at", "shared_with_child_rule"),
    [
        ("2008-05-04", "2026-05-03T12:00:00Z", True),
        ("2008-05-04", "2026-05-04T12:00:00Z", False),
    ],
)
def test_child_rules_stop_on_the_18th_birthday(
    born: str, at: str, shared_with_child_rule: bool
) -> None:
    """A ``child: true`` rule shares the day before the 18th birthday and not on it."""
    protocol = make_protocol(
        make_rule(
            id="rule-child", publishers=[POLICE], recipients=[CHILDRENS], when={"child": True}
        )
    )
    decision = decide(parse_notification(_missing(born, at, looked_after=True)), protocol, NOW)

    assert bool(decision.views) is shared_with_child_rule


# --- SE marker, risk and looked after -----------------------------------------------------------

SE_MARKERS = [
    ("concern.raised", {}, True),
    ("concern.raised", {"data__markers__sexual_exploitation": False}, False),
    ("se_risk.assessed", {}, True),
    ("se_risk.assessed", {"data__markers__sexual_exploitation": False}, False),
    ("placement.started", {}, True),
    ("placement.started", {"data__se_risk": False}, False),
    ("return_interview.recorded", {}, None),  # se_risk_identified: null in the example
    ("return_interview.recorded", {"data__se_risk_identified": True}, True),
    ("return_interview.recorded", {"data__se_risk_identified": False}, False),
    ("missing_episode.started", {}, None),
    ("education.concern_raised", {}, None),
]


@pytest.mark.parametrize(("type_name", "changes", "marker"), SE_MARKERS)
def test_the_se_marker_comes_from_markers_se_risk_or_the_return_interview(
    type_name: str, changes: dict[str, Any], marker: bool | None
) -> None:
    """The SE marker comes from ``markers``, ``se_risk`` or ``se_risk_identified``, else unknown."""
    assert _facts(documented_example(type_name, **changes)).se_marker is marker


RISKS = [
    ("missing_episode.started", {"data__risk_level": "no_apparent_risk"}, 0),
    ("missing_episode.started", {"data__risk_level": "low"}, 1),
    ("missing_episode.started", {"data__risk_level": "medium"}, 2),
    ("missing_episode.started", {"data__risk_level": "high"}, 3),
    ("missing_episode.started", {"data__risk_level": DELETE}, None),
    ("concern.raised", {"data__grading": "low"}, 1),
    ("concern.raised", {"data__grading": "high"}, 3),
    ("se_risk.assessed", {"data__risk_level": "medium", "data__checklist_score": 2}, 2),
    ("placement.started", {}, None),
]


@pytest.mark.parametrize(("type_name", "changes", "risk"), RISKS)
def test_risk_levels_are_ordered_across_app_rmg_and_concern_gradings(
    type_name: str, changes: dict[str, Any], risk: int | None
) -> None:
    """no_apparent_risk < low < medium < high, from ``risk_level`` or ``grading``; else unknown."""
    assert _facts(documented_example(type_name, **changes)).risk == risk


@pytest.mark.parametrize(
    ("level", "threshold", "met"),
    [
        ("no_apparent_risk", "low", False),
        ("low", "low", True),
        ("low", "medium", False),
        ("medium", "medium", True),
        ("high", "medium", True),
        ("medium", "high", False),
        ("high", "high", True),
        (None, "low", False),
    ],
)
def test_risk_at_least_is_a_threshold(level: str | None, threshold: str, met: bool) -> None:
    """``risk_at_least`` holds at or above its level, never when the risk is not known."""
    protocol = make_protocol(make_rule(id="rule-risk", when={"risk_at_least": threshold}))
    event = make_event(data={"risk_level": level or "low"})
    if level is None:
        del event["data"]["risk_level"]

    decision = decide(parse_notification(event), protocol, NOW)

    assert bool(decision.views) is met
    if not met:
        assert decision.refusals[0] == Refusal(
            None, "rule-risk", f"condition not met: risk_at_least {threshold}"
        )


@pytest.mark.parametrize(
    ("event", "state", "looked_after"),
    [
        (make_event(data={"looked_after": True}), EMPTY, True),
        (make_event(data={"looked_after": False}), EMPTY, False),
        (make_event(data={"looked_after": False}), placed_in("391"), False),
        (documented_example("concern.raised"), EMPTY, None),
        (documented_example("concern.raised"), placed_in("391"), True),
        (documented_example("placement.ended"), EMPTY, True),
    ],
    ids=["flag-true", "flag-false", "flag-outranks-state", "unknown", "placed", "placement"],
)
def test_looked_after_comes_from_the_flag_a_placement_or_the_state(
    event: dict[str, Any], state: RoutingState, looked_after: bool | None
) -> None:
    """The event's own flag wins; a placement event or an active placement means looked after."""
    assert _facts(event, state).looked_after is looked_after


# --- placements: host and responsible LA --------------------------------------------------------


def _placement(host_la: str | None) -> dict[str, Any]:
    if host_la is None:
        return confidential_placement()
    return documented_example(
        "placement.started", data__host_la=host_la, data__out_of_area=host_la != "929"
    )


TWO_PLACEMENTS = RoutingState(
    placements=(ActivePlacement("PL-1", "929", "840"), ActivePlacement("PL-2", "929", "942"))
)
HOSTS = [
    (_placement("840"), EMPTY, "840", "placement-in-durham"),
    (_placement("929"), EMPTY, None, "placement-in-area"),
    (_placement(None), EMPTY, None, "confidential-placement"),
    (_placement("840"), placed_in("391"), "840", "event-outranks-state"),
    (make_event(), EMPTY, None, "missing-not-placed"),
    (make_event(), placed_in("391"), "391", "missing-placed-in-newcastle"),
    (make_event(), TWO_PLACEMENTS, "942", "most-recent-placement"),
    (make_event(), placed("929", "929"), None, "placed-in-area"),
    (make_event(), placed("929", None), None, "placed-confidentially"),
]


@pytest.mark.parametrize(
    ("event", "state", "host"), [case[:3] for case in HOSTS], ids=[case[3] for case in HOSTS]
)
def test_the_host_la_comes_from_the_event_or_the_active_placement(
    event: dict[str, Any], state: RoutingState, host: str | None
) -> None:
    """An out-of-area placement names its host; otherwise the active placement's host applies."""
    facts = _facts(event, state)

    assert facts.host_la == host
    assert facts.cross_border is (host is not None)


# --- where the person lives and who is responsible -----------------------------------------------


def _without_responsible(type_name: str, publisher: str, **changes: Any) -> dict[str, Any]:
    return documented_from(publisher, type_name, data__person__responsible_la=DELETE, **changes)


RESPONSIBLE_CASES = [
    # event, state, responsible LA, why
    (make_event(), EMPTY, "929", "named-by-the-person"),
    (make_event(), placed("391", "840"), "391", "the-state-first"),
    (
        documented_example("placement.started"),
        placed("840", "929"),
        "840",
        "the-state-before-a-placement-claim",
    ),
    (
        _without_responsible("placement.started", CHILDRENS),
        EMPTY,
        "929",
        "the-placing-la-last",
    ),
    (documented_example("se_risk.assessed"), EMPTY, None, "never-the-publishers-own-la"),
    (documented_example("return_interview.recorded"), EMPTY, None, "not-named-anywhere"),
    (documented_example("concern.raised"), EMPTY, None, "police-concern"),
    (
        documented_example("concern.raised", data__person__responsible_la="840"),
        EMPTY,
        "840",
        "police-concern-naming-it",
    ),
]


@pytest.mark.parametrize(
    ("event", "state", "responsible"),
    [case[:3] for case in RESPONSIBLE_CASES],
    ids=[case[3] for case in RESPONSIBLE_CASES],
)
def test_the_responsible_la_comes_from_the_state_then_the_person_then_the_placing_la(
    event: dict[str, Any], state: RoutingState, responsible: str | None
) -> None:
    """The active placement's placing LA first, then the person's ``responsible_la``, then a
    placement's ``placing_la``; never the publishing council's own LA by default."""
    assert _facts(event, state).responsible_la == responsible


@pytest.mark.parametrize(
    ("event", "state", "resident", "area"),
    [
        (make_event(data={"person": {"resident_la": "394"}}), EMPTY, "394", "394"),
        (make_event(), placed("929", "840"), "929", "840"),
        (make_event(), placed("929", None), "929", "929"),
        (documented_example("placement.started"), EMPTY, "391", "391"),
        (
            documented_example("placement.started", data__person__resident_la="929"),
            EMPTY,
            "929",
            "391",
        ),
        (
            documented_example("concern.raised", data__person__resident_la="S12000026"),
            EMPTY,
            "S12000026",
            "S12000026",
        ),
    ],
    ids=[
        "where-they-live",
        "placed-out-of-area",
        "placed-confidentially",
        "a-placement-where-they-live",
        "a-placement-elsewhere",
        "outside-england",
    ],
)
def test_the_person_is_in_the_host_la_while_placed_there_else_where_they_live(
    event: dict[str, Any], state: RoutingState, resident: str, area: str
) -> None:
    """``resident_la`` is what the person says; the area they are in is the host LA of an
    out-of-area placement (the event's own, or the state's), else where they live."""
    facts = _facts(event, state)

    assert facts.resident_la == resident
    assert facts.area_la == area


@pytest.mark.parametrize(
    ("event", "urn"),
    [
        (documented_example("concern.raised"), "122345"),
        (documented_example("concern.raised", data__person__school_urn=DELETE), None),
        (documented_example("missing_episode.started"), None),
    ],
)
def test_the_school_is_the_urn_the_person_names(event: dict[str, Any], urn: str | None) -> None:
    """The pupil's school is the person's ``school_urn``, else unknown."""
    assert _facts(event).school_urn == urn


# --- the publisher's authorities ----------------------------------------------------------------

DURHAM_CHILD = {"data__person__resident_la": "929", "data__person__responsible_la": "840"}
DURHAM_IN_NORTHUMBERLAND = placed("840", "929")
AUTHORITIES = [
    # publisher, event changes, state, authorities, why
    ("northumberland-childrens", {}, EMPTY, {RESIDENT, RESPONSIBLE}, "own-child-at-home"),
    ("northumberland-childrens", DURHAM_CHILD, DURHAM_IN_NORTHUMBERLAND, {RESIDENT, HOST}, "host"),
    ("durham-childrens", DURHAM_CHILD, DURHAM_IN_NORTHUMBERLAND, {RESPONSIBLE}, "responsible"),
    ("gateshead-childrens", DURHAM_CHILD, DURHAM_IN_NORTHUMBERLAND, set(), "another-council"),
    ("newcastle-childrens", {"data__person__resident_la": "391"}, EMPTY, {RESIDENT}, "resident"),
    ("northumberland-education", {}, EMPTY, {RESIDENT, RESPONSIBLE}, "a-councils-education"),
    (
        "northumberland-licensing",
        DURHAM_CHILD,
        DURHAM_IN_NORTHUMBERLAND,
        {RESIDENT, HOST},
        "licensing",
    ),
    ("northumbria-police", {}, EMPTY, set(), "police-in-their-area"),
    ("northumbria-healthcare", {}, EMPTY, set(), "health-in-their-area"),
    ("school-100001", {}, EMPTY, set(), "a-school-in-the-council"),
    ("synthetic-care-homes", DURHAM_CHILD, DURHAM_IN_NORTHUMBERLAND, {RESPONSIBLE}, "provider"),
    ("synthetic-care-homes", {}, EMPTY, set(), "provider-not-registered-by-the-council"),
    (
        "synthetic-care-homes",
        {"data__person__responsible_la": DELETE},
        EMPTY,
        set(),
        "provider-no-la",
    ),
    ("elsewhere-council", {}, EMPTY, set(), "not-a-party"),
]


@pytest.mark.parametrize(
    ("publisher", "changes", "state", "authorities"),
    [case[:4] for case in AUTHORITIES],
    ids=[case[4] for case in AUTHORITIES],
)
def test_the_publisher_holds_the_authorities_its_la_has_for_the_person(
    publisher: str, changes: dict[str, Any], state: RoutingState, authorities: set[Authority]
) -> None:
    """A council service holds the resident, responsible or host authority whose LA is its
    own; a provider the responsible authority of a council that registered it; anyone else,
    or a publisher that is no party, none."""
    event = documented_from(publisher, "missing_episode.started", **changes)

    assert _facts(event, state).publisher_is == authorities


def test_a_publisher_that_is_not_a_party_holds_no_authority() -> None:
    """Facts judged with no publishing party give it no authority, even over its own LA."""
    assert _facts(make_event(), publisher=None).publisher_is == frozenset()


def test_a_provider_acts_for_the_councils_that_registered_it_only() -> None:
    """A provider registered by Newcastle holds Newcastle's children's responsible authority,
    and not Durham's."""
    provider = Party(id="p", name="P", kind="provider", registered_by=("391",))
    newcastle = make_event(data={"person": {"responsible_la": "391"}})
    durham = make_event(data={"person": {"responsible_la": "840"}})

    assert _facts(newcastle, publisher=provider).publisher_is == {RESPONSIBLE}
    assert _facts(durham, publisher=provider).publisher_is == frozenset()


CLAIMS = [
    # publisher, state, claim_conflicts, why
    ("durham-childrens", DURHAM_IN_NORTHUMBERLAND, False, "the-responsible-council"),
    ("synthetic-care-homes", DURHAM_IN_NORTHUMBERLAND, False, "its-registered-provider"),
    ("gateshead-childrens", DURHAM_IN_NORTHUMBERLAND, True, "another-council"),
    ("northumberland-childrens", DURHAM_IN_NORTHUMBERLAND, True, "the-host-council"),
    ("northumbria-police", DURHAM_IN_NORTHUMBERLAND, True, "the-police"),
    ("gateshead-childrens", EMPTY, False, "the-first-council-to-place"),
]


@pytest.mark.parametrize(
    ("publisher", "state", "conflicts"),
    [case[:3] for case in CLAIMS],
    ids=[case[3] for case in CLAIMS],
)
def test_a_placement_from_anyone_but_the_responsible_authority_is_a_conflicting_claim(
    publisher: str, state: RoutingState, conflicts: bool
) -> None:
    """A placement (placing the child with the publisher's own council, or Durham for a party
    with none) conflicts unless its publisher holds the responsible authority the hub knows:
    the state's placing LA first, else the placement's own."""
    placing = shipped_protocol().la_of(publisher) or "840"
    event = documented_from(
        publisher,
        "placement.started",
        data__placing_la=placing,
        data__person__responsible_la=placing,
    )

    assert _facts(event, state).claim_conflicts is conflicts


@pytest.mark.parametrize(
    "type_name", ["missing_episode.started", "concern.raised", "se_risk.assessed"]
)
def test_only_a_placement_can_be_a_conflicting_claim(type_name: str) -> None:
    """Any other notification leaves ``claim_conflicts`` unknown, whoever publishes it."""
    event = documented_from("gateshead-childrens", type_name)

    assert _facts(event, DURHAM_IN_NORTHUMBERLAND).claim_conflicts is None


@pytest.mark.parametrize(
    ("changes", "on_rmg"),
    [
        ({}, True),  # added
        ({"data__rmg_status": "reviewed"}, True),
        (
            {"data__rmg_status": "removed", "data__risk_level": "low", "data__checklist_score": 1},
            False,
        ),
        ({"data__rmg_status": "not_referred"}, False),
        ({"data__rmg_status": DELETE}, None),
    ],
    ids=["added", "reviewed", "removed", "not-referred", "not-recorded"],
)
def test_on_the_rmg_is_added_or_reviewed(changes: dict[str, Any], on_rmg: bool | None) -> None:
    """Added or reviewed is on the RMG; removed or not referred is not; no status, unknown."""
    assert _facts(documented_example("se_risk.assessed", **changes)).on_rmg is on_rmg


def test_a_missing_report_says_nothing_of_the_rmg() -> None:
    """A notification with no RMG status leaves it unknown."""
    assert _facts(make_event()).on_rmg is None


# --- conditions on the publisher's authorities --------------------------------------------------


@pytest.mark.parametrize(
    ("publisher_is", "publisher", "reason"),
    [
        (["host_authority"], "northumberland-childrens", None),
        (["host_authority"], "durham-childrens", "publisher_is host_authority"),
        (["responsible_authority", "host_authority"], "durham-childrens", None),
        (
            ["resident_authority", "host_authority"],
            "gateshead-childrens",
            "publisher_is resident_authority or host_authority",
        ),
    ],
)
def test_publisher_is_holds_when_the_publisher_holds_any_one_of_them(
    publisher_is: list[str], publisher: str, reason: str | None
) -> None:
    """``publisher_is`` needs any one of the authorities named; the refusal names them all."""
    protocol = partnership_protocol(
        make_rule(
            id="rule-own",
            publishers=[publisher],
            recipients=["northumbria-police"],
            when={"publisher_is": publisher_is},
        )
    )
    event = documented_from(publisher, "missing_episode.started", **DURHAM_CHILD)

    decision = decide(parse_notification(event), protocol, NOW, DURHAM_IN_NORTHUMBERLAND)

    if reason is None:
        assert [v.recipient for v in decision.views] == ["northumbria-police"]
    else:
        assert decision.views == ()
        assert decision.refusals[0] == Refusal(None, "rule-own", f"condition not met: {reason}")


@pytest.mark.parametrize("wanted", [True, False])
def test_an_unknown_claim_meets_neither_claim_conflicts_condition(wanted: bool) -> None:
    """A notification that is not a placement satisfies neither ``claim_conflicts: true`` nor
    ``claim_conflicts: false``."""
    protocol = make_protocol(make_rule(id="rule-claim", when={"claim_conflicts": wanted}))

    decision = decide(parse_notification(make_event()), protocol, NOW)

    assert decision.views == ()
    assert decision.refusals[0] == Refusal(None, "rule-claim", "condition not met: claim_conflicts")


@pytest.mark.parametrize(
    ("state", "shared"), [(EMPTY, False), (placed_in("391"), True)], ids=["not-placed", "placed"]
)
def test_a_cross_border_rule_needs_an_active_out_of_area_placement(
    state: RoutingState, shared: bool
) -> None:
    """A ``cross_border: true`` rule applies only while the child is placed out of area."""
    protocol = make_protocol(make_rule(id="rule-border", when={"cross_border": True}))

    decision = decide(parse_notification(make_event()), protocol, NOW, state)

    assert bool(decision.views) is shared
    assert (
        Refusal(None, "rule-border", "condition not met: cross_border") in decision.refusals
    ) is not shared


@pytest.mark.parametrize(
    ("when", "shared"),
    [
        ({"looked_after": True}, True),
        ({"looked_after": False}, False),
        ({"se_marker": True}, False),  # unknown for a missing report
        ({"se_marker": False}, False),  # unknown is not false either
        ({"child": True, "looked_after": True, "risk_at_least": "high"}, True),
        ({"child": True, "adult": True}, False),
    ],
)
def test_every_condition_given_must_hold(when: dict[str, Any], shared: bool) -> None:
    """A rule applies only when each of its conditions is established and holds."""
    protocol = make_protocol(make_rule(when=when))

    decision = decide(parse_notification(make_event()), protocol, NOW)

    assert bool(decision.views) is shared


# A placement that began on Friday 18 December 2026: the next working days are Monday 21 to
# Thursday 24, then Tuesday 29 (Friday 25 and Monday 28 are bank holidays: Christmas Day and
# the substitute Boxing Day).
LATE_NOTICE = [
    ("2026-12-17T12:00:00Z", False, False, "before-it-began"),
    ("2026-12-18T12:00:00Z", False, False, "the-day-it-began"),
    ("2026-12-19T12:00:00Z", False, True, "after-not-an-emergency"),
    ("2026-12-29T12:00:00Z", True, False, "emergency-5th-working-day"),
    ("2026-12-30T12:00:00Z", True, True, "emergency-6th-working-day"),
]


@pytest.mark.parametrize(
    ("published", "emergency", "late"),
    [case[:3] for case in LATE_NOTICE],
    ids=[case[3] for case in LATE_NOTICE],
)
def test_a_placement_start_is_late_after_it_began_unless_an_emergency_within_five_working_days(
    published: str, emergency: bool, late: bool
) -> None:
    """Reg 13: notified before the placement; an emergency one within five working days,
    counted without weekends and bank holidays."""
    event = documented_example(
        "placement.started",
        time=published,
        data__started_on="2026-12-18",
        data__emergency=emergency,
    )
    assert _facts(event).late_notice is late


def test_lateness_is_judged_for_placement_starts_only() -> None:
    """A placement ending, or any other notification, has no late-notice fact."""
    assert _facts(documented_example("placement.ended")).late_notice is None
    assert _facts(documented_example("missing_episode.started")).late_notice is None


def test_lateness_is_judged_by_when_the_hub_decides_not_the_time_the_publisher_wrote() -> None:
    """A placement start dated before it began but decided a week after it began is late: a
    publisher cannot back-date its way out of the notice."""
    event = documented_example(
        "placement.started", time="2026-12-17T12:00:00Z", data__started_on="2026-12-18"
    )
    notification = parse_notification(event)
    decided = datetime(2026, 12, 28, 12, tzinfo=ZoneInfo("Europe/London"))

    assert decide(notification, shipped_protocol(), decided).facts.late_notice is True
    assert decide(notification, shipped_protocol(), notification.time).facts.late_notice is False
