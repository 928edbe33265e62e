"""Facts about a notification's subject (child or adult, SE marker, risk, placement) and the
rule conditions judged on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.sharing import ActivePlacement, Facts, Refusal, RoutingState, decide, facts_for
from schemas import parse_notification, source_for_agency
from tests.unit.builders import (
    CHILDRENS,
    DELETE,
    NOW,
    POLICE,
    documented_example,
    make_event,
    make_protocol,
    make_rule,
    placed_in,
)

EMPTY = RoutingState()
CONCERN = "uk.sehub.concern.raised.v1"
SE_RISK = "uk.sehub.se_risk.assessed.v1"


def _facts(
    event: dict[str, Any], state: RoutingState = EMPTY, publisher_la: str | None = None
) -> Facts:
    notification = parse_notification(event)
    event = notification.model_dump(mode="json", exclude_none=True)
    return facts_for(notification, event, state, publisher_la=publisher_la)


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
        return documented_example(
            "placement.started",
            data__confidential=True,
            data__host_la=DELETE,
            data__out_of_area=DELETE,
            data__placement_postcode=DELETE,
            data__distance_miles=DELETE,
            data__urn=DELETE,
        )
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


RESPONSIBLE = [
    (make_event(), EMPTY, None, "929", "missing"),
    (
        make_event(data={"person": {"responsible_la": "391"}}),
        placed_in("840"),
        "929",
        "391",
        "event-first",
    ),
    (documented_example("placement.started"), EMPTY, None, "929", "placement"),
    (
        documented_example("se_risk.assessed"),
        placed_in("840", placing_la="391"),
        "929",
        "391",
        "state-before-publisher",
    ),
    (documented_example("se_risk.assessed"), EMPTY, "929", "929", "publishing-council"),
    (documented_example("se_risk.assessed"), EMPTY, None, None, "unknown"),
    (documented_example("concern.raised"), EMPTY, None, None, "police-publisher"),
]


@pytest.mark.parametrize(
    ("event", "state", "publisher_la", "responsible"),
    [case[:4] for case in RESPONSIBLE],
    ids=[case[4] for case in RESPONSIBLE],
)
def test_the_responsible_la_comes_from_the_event_the_placement_or_the_publisher(
    event: dict[str, Any], state: RoutingState, publisher_la: str | None, responsible: str | None
) -> None:
    """The event's LA first, then the active placement's placing LA, then the publisher's own."""
    assert _facts(event, state, publisher_la).responsible_la == responsible


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
